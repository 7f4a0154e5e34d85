//! Serialization: size and count fields out of range, inconsistent content, the format pin,
//! and random mutations of valid bytes through the fuzz entry points (never a panic).

#[path = "support/byte_mutation.rs"]
mod byte_mutation;

use byte_mutation::{apply, mutation};
use proptest::prelude::*;
use spencnn_ckks::serialization::fuzzing::{Target, fixture};
use spencnn_ckks::serialization::{HEADER_LEN, ObjectKind};
use spencnn_ckks::*;

const LIMIT: usize = 1 << 30;

fn patched(bytes: &[u8], offset: usize, field: &[u8]) -> Vec<u8> {
    let mut out = bytes.to_vec();
    out[offset..offset + field.len()].copy_from_slice(field);
    out
}

fn out_of_range(result: Result<impl Sized, SerializationError>, name: &str) {
    match result {
        Err(SerializationError::FieldOutOfRange { field, .. }) => assert_eq!(field, name),
        Err(other) => panic!("{name}: {other:?}"),
        Ok(_) => panic!("{name}: accepted"),
    }
}

#[test]
fn huge_or_invalid_size_fields_are_rejected_before_allocation() {
    let f = fixture();
    let ctx = &f.ctx;
    let ct = f.ciphertext.to_bytes(ctx).unwrap();
    let at = HEADER_LEN;
    out_of_range(Ciphertext::from_bytes(ctx, &patched(&ct, at, &u16::MAX.to_le_bytes()), LIMIT), "level");
    // Two Q primes: level 1 is the top, level 2 does not exist.
    out_of_range(Ciphertext::from_bytes(ctx, &patched(&ct, at, &2u16.to_le_bytes()), LIMIT), "level");
    out_of_range(Ciphertext::from_bytes(ctx, &patched(&ct, at + 2, &[200]), LIMIT), "size");
    for slots in [0u32, 3, 16, u32::MAX] {
        assert!(matches!(
            Ciphertext::from_bytes(ctx, &patched(&ct, at + 3, &slots.to_le_bytes()), LIMIT),
            Err(SerializationError::InvalidSlotCount { .. })
        ));
    }
    for scale in [0.0f64, -1.0, f64::NAN, f64::INFINITY] {
        assert!(matches!(
            Ciphertext::from_bytes(ctx, &patched(&ct, at + 7, &scale.to_bits().to_le_bytes()), LIMIT),
            Err(SerializationError::InvalidScale { .. })
        ));
    }
    // A size-3 header on a size-2 body: the missing polynomial is detected before it is read.
    assert!(matches!(
        Ciphertext::from_bytes(ctx, &patched(&ct, at + 2, &[3]), LIMIT),
        Err(SerializationError::UnexpectedEnd { .. })
    ));

    let pt = f.plaintext.to_bytes(ctx).unwrap();
    out_of_range(Plaintext::from_bytes(ctx, &patched(&pt, at + 2, &[7]), LIMIT), "special");

    let gk = f.galois.to_bytes(ctx).unwrap();
    out_of_range(GaloisKeys::from_bytes(ctx, &patched(&gk, at, &u32::MAX.to_le_bytes()), LIMIT), "count");
    // In range (N − 1 = 15 keys) but far more than the input holds: no key is decoded.
    assert!(matches!(
        GaloisKeys::from_bytes(ctx, &patched(&gk, at, &15u32.to_le_bytes()), LIMIT),
        Err(SerializationError::UnexpectedEnd { .. })
    ));
    let first_element = u64::from_le_bytes(gk[at + 4..at + 12].try_into().unwrap());
    for element in [0u64, 1, 2, 32, u64::MAX] {
        assert!(matches!(
            GaloisKeys::from_bytes(ctx, &patched(&gk, at + 4, &element.to_le_bytes()), LIMIT),
            Err(SerializationError::InvalidGaloisElement { .. })
        ));
    }
    // Two keys: give the second one the first one's element.
    assert_eq!(f.galois.len(), 2);
    let per_key = (gk.len() - at - 4) / 2;
    assert_eq!(
        GaloisKeys::from_bytes(ctx, &patched(&gk, at + 4 + per_key, &first_element.to_le_bytes()), LIMIT).unwrap_err(),
        SerializationError::UnorderedGaloisElements { previous: first_element, element: first_element }
    );

    let params = ctx.params().to_bytes();
    // Offsets in the parameters body: log_n 0, secret kind 1, weight 2, insecure 6, dnum 7,
    // #Q 9, #P 11, log_scale 13, primes 21.
    out_of_range(Parameters::from_bytes_insecure_for_testing_only(&patched(&params, at, &[40]), LIMIT), "log_n");
    for (offset, value, name) in [(1, 5u8, "secret_kind"), (6, 2, "insecure")] {
        assert_eq!(
            Parameters::from_bytes_insecure_for_testing_only(&patched(&params, at + offset, &[value]), LIMIT)
                .unwrap_err(),
            SerializationError::InvalidField { field: name, value: u64::from(value) }
        );
    }
    out_of_range(
        Parameters::from_bytes_insecure_for_testing_only(&patched(&params, at + 9, &u16::MAX.to_le_bytes()), LIMIT),
        "q_count",
    );
    assert!(matches!(
        Parameters::from_bytes_insecure_for_testing_only(&patched(&params, at + 9, &100u16.to_le_bytes()), LIMIT),
        Err(SerializationError::UnexpectedEnd { .. })
    ));
    // A composite "prime" is refused by the builder; so is an insecure set by the secure loader.
    let composite = patched(&params, at + 21, &1_000_000u64.to_le_bytes());
    assert!(matches!(
        Parameters::from_bytes_insecure_for_testing_only(&composite, LIMIT),
        Err(SerializationError::InvalidParameters(CkksError::InvalidPrime { .. }))
    ));
    assert_eq!(Parameters::from_bytes(&params, LIMIT).unwrap_err(), SerializationError::InsecureParameters);
}

#[test]
fn full_keys_must_match_their_seed() {
    let f = fixture();
    let ctx = &f.ctx;
    for bytes in [f.pk.to_bytes(ctx).unwrap(), f.rlk.to_bytes(ctx).unwrap()] {
        let kind = serialization::peek_header(&bytes).unwrap().kind;
        // A relinearization key's seed follows its level (u16).
        let seed_at = if kind == ObjectKind::PublicKey { HEADER_LEN } else { HEADER_LEN + 2 };
        let other_seed = patched(&bytes, seed_at, &[0x55; 4]);
        let result = match kind {
            ObjectKind::PublicKey => PublicKey::from_bytes(ctx, &other_seed, LIMIT).map(drop),
            _ => RelinKey::from_bytes(ctx, &other_seed, LIMIT).map(drop),
        };
        assert!(matches!(result, Err(SerializationError::SeedMismatch { .. })), "{kind:?}: {result:?}");
    }
    // A Plaintext loader given a ciphertext, and a ciphertext under other parameters.
    let ct = f.ciphertext.to_bytes(ctx).unwrap();
    assert_eq!(
        Plaintext::from_bytes(ctx, &ct, LIMIT).unwrap_err(),
        SerializationError::WrongObjectKind { expected: "Plaintext", found: ObjectKind::Ciphertext }
    );
    let other = Context::new(Preset::N8192Depth2.build().unwrap()).unwrap();
    assert!(matches!(Ciphertext::from_bytes(&other, &ct, LIMIT), Err(SerializationError::ParameterMismatch { .. })));
    assert!(matches!(f.ciphertext.to_bytes(&other), Err(SerializationError::ParameterMismatch { .. })));
}

/// FNV-1a, to pin the bytes of deterministic objects.
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325u64, |h, &b| (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3))
}

/// The bytes of objects made from fixed seeds are pinned: a change in the format, the NTT
/// domain (root, order), the seed expansion or the samplers makes old files unreadable and
/// must come with a new `FORMAT_VERSION`.
#[test]
fn format_is_pinned() {
    let f = fixture();
    let ctx = &f.ctx;
    let pins = [
        ("parameters", fnv1a(&ctx.params().to_bytes())),
        ("seeded ciphertext", fnv1a(&f.ciphertext.to_seeded_bytes(ctx).unwrap())),
        ("ciphertext", fnv1a(&f.ciphertext.to_bytes(ctx).unwrap())),
        ("secret key", fnv1a(&f.sk.to_bytes(ctx).unwrap())),
        ("seeded galois keys", fnv1a(&f.galois.to_seeded_bytes(ctx).unwrap())),
        ("lower-level galois keys", fnv1a(&lower_level_keys().to_bytes(ctx).unwrap())),
    ];
    for ((name, got), (pin_name, pin)) in pins.into_iter().zip(PINS) {
        assert_eq!(name, pin_name);
        assert_eq!(got, pin, "{name}: serialized bytes changed (got {got:#018x})");
    }
}

const PINS: [(&str, u64); 6] = [
    ("parameters", 0x353c_501f_0895_0146),
    ("seeded ciphertext", 0xb0ee_75de_1e3f_6a98),
    ("ciphertext", 0xba9e_8bc7_8065_6021),
    ("secret key", 0xc289_2962_5fb9_7e0b),
    ("seeded galois keys", 0xda39_9de9_145f_de56),
    ("lower-level galois keys", 0x9f2d_0db4_ed06_fa34),
];

/// The version-3 bytes differ from version 2 only in the version and the level fields: with
/// those patched back, the bytes hash to the version-2 pins.
#[test]
fn version_three_changes_only_the_version_and_the_levels() {
    let f = fixture();
    let ctx = &f.ctx;
    let as_v2 = |bytes: &[u8], level_at: &[usize]| {
        let mut v2 = patched(bytes, 8, &2u16.to_le_bytes());
        for &at in level_at {
            let level = u16::from_le_bytes([v2[at], v2[at + 1]]);
            v2[at..at + 2].copy_from_slice(&(level + 1).to_le_bytes());
        }
        fnv1a(&v2)
    };
    // The fixture has two Q primes: a fresh ciphertext stores level 1.
    let stored = f.ciphertext.to_bytes(ctx).unwrap();
    assert_eq!(u16::from_le_bytes([stored[HEADER_LEN], stored[HEADER_LEN + 1]]), 1);
    assert_eq!(as_v2(&ctx.params().to_bytes(), &[]), 0x16f3_fc07_a67d_36b9);
    assert_eq!(as_v2(&f.ciphertext.to_bytes(ctx).unwrap(), &[HEADER_LEN]), 0xa4c5_a12b_c77c_cc6f);
    assert_eq!(as_v2(&f.ciphertext.to_seeded_bytes(ctx).unwrap(), &[HEADER_LEN]), 0x85c1_6b2e_2fa8_4806);
}

/// Keys of the rotation by 1 at level 0 and by 2 at level 1 (the top), from a fixed seed.
fn lower_level_keys() -> GaloisKeys {
    let f = fixture();
    KeyGenerator::from_seed(&f.ctx, [0xf2; 32]).galois_keys_at_levels(&f.sk, &[(1, 0), (2, 1)]).unwrap()
}

#[test]
fn key_levels_are_checked_and_round_trip() {
    let f = fixture();
    let ctx = &f.ctx;
    let keys = lower_level_keys();
    let levels: Vec<usize> = keys.elements().map(|g| keys.get(g).unwrap().level()).collect();
    assert_eq!(levels, [0, 1]);
    for bytes in [keys.to_bytes(ctx).unwrap(), keys.to_seeded_bytes(ctx).unwrap()] {
        let loaded = GaloisKeys::from_bytes(ctx, &bytes, LIMIT).unwrap();
        assert_eq!(loaded.to_bytes(ctx).unwrap(), keys.to_bytes(ctx).unwrap());
        // The first key's level: L = 2 (there are two Q primes, levels 0 and 1) and above are
        // out of range.
        let at = HEADER_LEN + 4 + 8;
        for level in [2u16, 3, u16::MAX] {
            out_of_range(GaloisKeys::from_bytes(ctx, &patched(&bytes, at, &level.to_le_bytes()), LIMIT), "level");
        }
    }
    // A level-0 key is smaller than a level-1 key; claiming level 1 for it runs out of input.
    let low = KeyGenerator::from_seed(ctx, [3; 32]).galois_keys_at_levels(&f.sk, &[(1, 0)]).unwrap();
    let top = KeyGenerator::from_seed(ctx, [3; 32]).galois_keys_at_levels(&f.sk, &[(1, 1)]).unwrap();
    let (low, top) = (low.to_seeded_bytes(ctx).unwrap(), top.to_seeded_bytes(ctx).unwrap());
    assert!(low.len() < top.len());
    assert!(matches!(
        GaloisKeys::from_bytes(ctx, &patched(&low, HEADER_LEN + 12, &1u16.to_le_bytes()), LIMIT),
        Err(SerializationError::UnexpectedEnd { .. })
    ));
    let rlk = KeyGenerator::from_seed(ctx, [4; 32]).relin_key_at_level(&f.sk, 0).unwrap();
    assert_eq!(rlk.level(), 0);
    let bytes = rlk.to_seeded_bytes(ctx).unwrap();
    assert_eq!(RelinKey::from_bytes(ctx, &bytes, LIMIT).unwrap().level(), 0);
    out_of_range(RelinKey::from_bytes(ctx, &patched(&bytes, HEADER_LEN, &2u16.to_le_bytes()), LIMIT), "level");
    // Version-2 bytes, which stored the number of primes where version 3 stores the level, are
    // refused.
    assert_eq!(
        Ciphertext::from_bytes(ctx, &patched(&f.ciphertext.to_bytes(ctx).unwrap(), 8, &2u16.to_le_bytes()), LIMIT)
            .unwrap_err(),
        SerializationError::UnsupportedVersion { found: 2, supported: 3 }
    );
}

#[test]
fn seed_inputs_pass_their_entry_points() {
    for target in Target::ALL {
        for bytes in target.seed_inputs() {
            target.run(&bytes);
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    /// Random edits of valid bytes, fed to every loader's fuzz entry point: never a panic;
    /// accepted bytes re-serialize to themselves and the objects work.
    #[test]
    fn mutated_bytes_never_panic(
        target in 0usize..Target::ALL.len(),
        input in 0usize..3,
        mutations in proptest::collection::vec(mutation(), 1..6),
    ) {
        let target = Target::ALL[target];
        let inputs = target.seed_inputs();
        let mut bytes = inputs[input % inputs.len()].clone();
        for m in &mutations {
            apply(&mut bytes, m, usize::MAX);
        }
        target.run(&bytes);
    }
}
