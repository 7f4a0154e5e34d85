//! The wire fuzz entry points (`spencnn::inference::wire::fuzzing`, run by the `wire_*`
//! cargo-fuzz targets) in the normal test suite: every seed through every entry point,
//! truncations, random garbage and random mutations of the seeds, and the regressions the
//! fuzzers found.

#[path = "../../ckks/tests/support/byte_mutation.rs"]
mod byte_mutation;

use byte_mutation::{apply, mutation};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use spencnn::inference::wire::fuzzing::{FUZZ_MAX_BYTES, Target, fixture};
use spencnn::inference::wire::{WIRE_HEADER_LEN, ciphertexts_len};
use spencnn::inference::{EncryptedLogits, InferError};
use spencnn_ckks::{Encoder, Encryptor, KeyGenerator};

#[test]
fn every_seed_loads_under_its_own_target_only() {
    for target in Target::ALL {
        let seeds = target.seed_inputs();
        assert!(!seeds.is_empty(), "{}", target.name());
        for (i, seed) in seeds.iter().enumerate() {
            assert!(seed.len() <= FUZZ_MAX_BYTES, "{} seed {i}: {} bytes", target.name(), seed.len());
            for other in Target::ALL {
                assert_eq!(other.loads(seed), other == target, "{} seed {i} under {}", target.name(), other.name());
            }
        }
    }
}

#[test]
fn every_seed_runs_through_every_entry_point() {
    for target in Target::ALL {
        for seed in target.seed_inputs() {
            for entry in Target::ALL {
                entry.run(&seed);
            }
        }
    }
}

#[test]
fn the_fixture_deployment_answers() {
    let f = fixture();
    let answer = f.client.receive_logits(&f.logits_bytes).unwrap();
    let logits = f.client.decrypt(&answer).unwrap();
    assert_eq!(logits.len(), 3);
    assert!(logits.iter().all(|v| v.is_finite()));
    // The client's limit fits inside the fuzz limit, so the entry point's comparison of the two
    // loaders is meaningful.
    let interface = f.client.interface();
    assert!(ciphertexts_len(&f.ctx, interface.outputs, f.ctx.params().max_level()) <= FUZZ_MAX_BYTES);
    let params = f.ctx.params();
    eprintln!(
        "fixture: N = {}, top level {}, {} rotation keys; interface {} B, keys {} B, image {} B, logits {} B",
        params.n(),
        params.max_level(),
        interface.rotation_steps.len(),
        f.interface_bytes.len(),
        f.keys_bytes.len(),
        f.image_bytes.len(),
        f.logits_bytes.len()
    );
    // The logits share one ciphertext (as in the bundled networks), so a short ciphertext
    // would be indexed beyond its slots.
    assert!(interface.logits.iter().all(|l| l.ct == 0) && interface.logits.iter().any(|l| l.slot > 0));
}

/// Prefixes of every seed: every length inside the header and the first frame header, then
/// evenly spaced lengths (each stops at a different field or inside a CKKS object).
#[test]
fn truncated_seeds_never_panic() {
    for target in Target::ALL {
        for seed in target.seed_inputs() {
            let spaced = (0..64).map(|k| k * seed.len() / 64);
            for len in (0..WIRE_HEADER_LEN + 40).chain(spaced) {
                let prefix = &seed[..len.min(seed.len())];
                if len < seed.len() {
                    assert!(!target.loads(prefix), "{}: a {len}-byte prefix loads", target.name());
                }
                target.run(prefix);
            }
        }
    }
}

#[test]
fn random_garbage_never_panics() {
    let mut rng = ChaCha20Rng::seed_from_u64(17);
    for len in [0, 1, 8, 19, 20, 21, 64, 200, 4096] {
        for _ in 0..16 {
            let mut bytes = vec![0u8; len];
            rng.fill_bytes(&mut bytes);
            // Half of them with a valid header of a valid message, so the body is parsed.
            if len >= WIRE_HEADER_LEN && rng.next_u32() % 2 == 0 {
                let target = Target::ALL[rng.next_u32() as usize % 4];
                bytes[..WIRE_HEADER_LEN].copy_from_slice(&target.seed_inputs()[0][..WIRE_HEADER_LEN]);
            }
            for target in Target::ALL {
                target.run(&bytes);
            }
        }
    }
}

/// Found by `wire_logits` (in its first seconds): an answer whose ciphertexts have fewer slots
/// than the model's made `Client::decrypt` index the decoded slots out of bounds (a panic on a
/// hostile server's message: "the len is 1 but the index is 4"); it is now
/// [`InferError::OutputMismatch`]. The fuzzer's input, and the same case built by hand.
#[test]
fn logits_with_fewer_slots_are_refused() {
    let found = include_bytes!("fuzz_regressions/wire_logits-fewer-slots");
    assert!(Target::Logits.loads(found), "the input still reaches the client's decryption");
    Target::Logits.run(found);
    let f = fixture();
    let logits = f.client.receive_logits(found).unwrap();
    assert!(matches!(f.client.decrypt(&logits), Err(InferError::OutputMismatch { field: "slots", found: 1, .. })));

    let (ctx, interface) = (&f.ctx, f.client.interface());
    let sk = KeyGenerator::from_seed(ctx, [9; 32]).secret_key();
    let pt = Encoder::new(ctx).encode_real(&[1.0], interface.slots / 2, 0, 2f64.powi(20)).unwrap();
    let ct = Encryptor::from_seed(ctx, [8; 32]).encrypt_symmetric(&pt, &sk).unwrap();
    let bytes = EncryptedLogits { ciphertexts: vec![ct; interface.outputs] }.to_bytes(ctx).unwrap();
    Target::Logits.run(&bytes);
    let logits = f.client.receive_logits(&bytes).unwrap();
    match f.client.decrypt(&logits) {
        Err(InferError::OutputMismatch { ciphertext: 0, field: "slots", expected, found }) => {
            assert_eq!((expected, found), (interface.slots, interface.slots / 2));
        }
        other => panic!("{other:?}"),
    }
}

/// Found by `wire_image` (after 12 thousand runs): an image whose scale is within CKKS's
/// relative tolerance (1e-9) of the model's input scale but not equal to it passed the
/// server's image check and then failed mid-evaluation (`add_plain: scale mismatch`, after the
/// square doubled the deviation). The server now requires exactly the interface's scale.
#[test]
fn images_at_a_nearby_scale_are_refused_before_evaluation() {
    let found = include_bytes!("fuzz_regressions/wire_image-scale-near-input");
    assert!(Target::Image.loads(found), "the input still reaches the server's evaluation");
    Target::Image.run(found);
    let f = fixture();
    let image = f.server.receive_image(found);
    assert!(
        matches!(image, Err(InferError::ImageMismatch { field: "scale", expected, found, .. })
            if expected != found && (expected - found).abs() <= 1e-9 * expected),
        "{image:?}"
    );
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 256, ..ProptestConfig::default() })]

    /// Random edits (set, flip, insert, remove, truncate) of the seeds through their entry
    /// points, half of them inside the envelope (the first 200 bytes).
    #[test]
    fn mutated_seeds_never_panic(
        target in 0usize..4,
        seed in 0usize..2,
        head in any::<bool>(),
        mutations in proptest::collection::vec(mutation(), 1..5),
    ) {
        let target = Target::ALL[target];
        let seeds = target.seed_inputs();
        let mut bytes = seeds[seed % seeds.len()].clone();
        for edit in &mutations {
            apply(&mut bytes, edit, if head { 200 } else { usize::MAX });
        }
        target.run(&bytes);
    }
}
