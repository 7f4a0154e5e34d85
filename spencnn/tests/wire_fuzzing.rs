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
use spencnn::inference::wire::WireError;
use spencnn::inference::wire::fuzzing::{FUZZ_MAX_BYTES, Target, fixture};
use spencnn::inference::wire::{WIRE_HEADER_LEN, ciphertexts_len};
use spencnn::inference::{EncryptedImage, EncryptedLogits, EvaluationKeys, InferError};
use spencnn_ckks::{Encoder, Encryptor, KeyGenerator, ObjectKind};

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
    assert!(ciphertexts_len(&f.ctx, interface.outputs.len(), f.ctx.params().max_level()) <= FUZZ_MAX_BYTES);
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

/// Found by `wire_logits` (after about 48 thousand runs): an answer whose ciphertexts have fewer slots
/// than the model's made `Client::decrypt` index the decoded slots out of bounds (a panic on a
/// hostile server's message: "the len is 1 but the index is 4"); it is now
/// [`InferError::OutputMismatch`]. The input (rebuilt in the current format: the same answer at
/// the output's level and scale with half the slots), and the same case built by hand.
#[test]
fn logits_with_fewer_slots_are_refused() {
    let found = include_bytes!("../../fuzz/regressions/wire_logits/fewer-slots");
    assert!(Target::Logits.loads(found), "the input still reaches the client's decryption");
    Target::Logits.run(found);
    let f = fixture();
    let logits = f.client.receive_logits(found).unwrap();
    let refused = f.client.decrypt(&logits);
    assert!(matches!(refused, Err(InferError::OutputMismatch { field: "slots", .. })), "{refused:?}");
    assert_eq!(fewer_slots_answer(), found, "the committed input is the hand-built case");
}

/// The fixture's answer shape with half the slots.
fn fewer_slots_answer() -> Vec<u8> {
    let f = fixture();
    let (ctx, interface) = (&f.ctx, f.client.interface());
    let sk = KeyGenerator::from_seed(ctx, [9; 32]).secret_key();
    let spec = interface.outputs[0];
    let pt = Encoder::new(ctx).encode_real(&[1.0], interface.slots / 2, spec.level, spec.scale).unwrap();
    let ct = Encryptor::from_seed(ctx, [8; 32]).encrypt_symmetric(&pt, &sk).unwrap();
    let key_fingerprint = f.client.key_fingerprint().unwrap();
    let answer = EncryptedLogits { key_fingerprint, ciphertexts: vec![ct; interface.outputs.len()] };
    let bytes = answer.to_bytes(ctx).unwrap();
    match f.client.decrypt(&answer) {
        Err(InferError::OutputMismatch { ciphertext: 0, field: "slots", expected, found }) => {
            assert_eq!((expected, found), (interface.slots as f64, (interface.slots / 2) as f64));
        }
        other => panic!("{other:?}"),
    }
    bytes
}

/// Found by `wire_image` (after 12 thousand runs): an image whose scale is within CKKS's
/// relative tolerance (1e-9) of the model's input scale but not equal to it passed the
/// server's image check and then failed mid-evaluation (`add_plain: scale mismatch`, after the
/// square doubled the deviation). The server now requires exactly the interface's scale. The
/// input is rebuilt in the current format (the client's image at a scale 1e-12 away).
#[test]
fn images_at_a_nearby_scale_are_refused_before_evaluation() {
    let found = include_bytes!("../../fuzz/regressions/wire_image/scale-near-input");
    assert!(Target::Image.loads(found), "the input still reaches the server's evaluation");
    Target::Image.run(found);
    let f = fixture();
    let image = f.server.receive_image(found);
    assert!(
        matches!(image, Err(InferError::ImageMismatch { field: "scale", expected, found, .. })
            if expected != found && (expected - found).abs() <= 1e-9 * expected),
        "{image:?}"
    );
    assert_eq!(nearby_scale_image(), found, "the committed input is the hand-built case");
}

/// The client's image shape at a scale `1 + 1e-12` times the input scale.
fn nearby_scale_image() -> Vec<u8> {
    let f = fixture();
    let (ctx, interface) = (&f.ctx, f.client.interface());
    let sk = KeyGenerator::from_seed(ctx, [9; 32]).secret_key();
    let scale = interface.input_scale * (1.0 + 1e-12);
    let pt = Encoder::new(ctx).encode_real(&[0.5], interface.slots, interface.input_level, scale).unwrap();
    let ct = Encryptor::from_seed(ctx, [8; 32]).encrypt_symmetric(&pt, &sk).unwrap();
    let count = f.image.ciphertexts.len();
    let image = EncryptedImage { key_fingerprint: f.image.key_fingerprint, ciphertexts: vec![ct; count] };
    image.to_bytes(ctx).unwrap()
}

/// A keys message whose Galois frame holds the full form of a key (which `spencnn-ckks` loads)
/// used to load and re-serialize in seeded form, so that the entry point's canonical-form
/// assertion failed: key frames must be seeded.
#[test]
fn full_form_key_frames_are_refused() {
    let found = include_bytes!("../../fuzz/regressions/wire_keys/full-form-frame");
    Target::EvaluationKeys.run(found);
    let f = fixture();
    match EvaluationKeys::from_bytes(&f.ctx, found, FUZZ_MAX_BYTES) {
        Err(WireError::KeyNotSeeded { object: "Galois key", index: 0, found: ObjectKind::GaloisKeys }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(full_form_keys_message(), found, "the committed input is the hand-built case");
}

/// The client's keys message with one Galois key, in full form.
fn full_form_keys_message() -> Vec<u8> {
    let f = fixture();
    let sk = KeyGenerator::from_seed(&f.ctx, [9; 32]).secret_key();
    let key = KeyGenerator::from_seed(&f.ctx, [10; 32]).galois_keys_at_levels(&sk, &[(1, 0)]).unwrap();
    let full = key.to_bytes(&f.ctx).unwrap();
    // Envelope header and interface digest of the client's message, no relinearization key, one frame.
    let mut bytes = f.keys_bytes[..WIRE_HEADER_LEN + 8].to_vec();
    bytes.push(0);
    bytes.extend_from_slice(&1u32.to_le_bytes());
    bytes.extend_from_slice(&(full.len() as u64).to_le_bytes());
    bytes.extend_from_slice(&full);
    // In seeded form the same key loads.
    let mut seeded = f.keys_bytes[..WIRE_HEADER_LEN + 8].to_vec();
    let seeded_frame = key.key_to_seeded_bytes(&f.ctx, key.elements().next().unwrap()).unwrap();
    seeded.push(0);
    seeded.extend_from_slice(&1u32.to_le_bytes());
    seeded.extend_from_slice(&(seeded_frame.len() as u64).to_le_bytes());
    seeded.extend_from_slice(&seeded_frame);
    assert!(Target::EvaluationKeys.loads(&seeded));
    bytes
}

/// Writes the rebuilt regression inputs (run once when the format changes:
/// `SPENCNN_WRITE_REGRESSIONS=1 cargo test -p spencnn --test wire_fuzzing write_rebuilt`).
#[test]
fn write_rebuilt_regressions_when_asked() {
    if std::env::var_os("SPENCNN_WRITE_REGRESSIONS").is_none() {
        return;
    }
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz/regressions");
    for (dir, name, bytes) in [
        ("wire_logits", "fewer-slots", fewer_slots_answer()),
        ("wire_image", "scale-near-input", nearby_scale_image()),
        ("wire_keys", "full-form-frame", full_form_keys_message()),
    ] {
        std::fs::create_dir_all(root.join(dir)).unwrap();
        std::fs::write(root.join(dir).join(name), bytes).unwrap();
    }
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
