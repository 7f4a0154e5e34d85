//! Compact switching keys (uniform half held as its seed) against expanded ones: every key
//! switch bit-identical, conversions and loaders that round-trip, and typed errors.

use std::sync::Arc;

use proptest::prelude::*;
use spencnn_ckks::rlwe::{Decomposition, KeyStorage, key_switch};
use spencnn_ckks::serialization::HEADER_LEN;
use spencnn_ckks::*;

const LIMIT: usize = 1 << 28;

/// Values in `[-1, 1)` from a seed.
fn values(count: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

/// A secret-key encryption of seeded values at `level`.
fn encrypt(ctx: &Arc<Context>, sk: &SecretKey, level: usize, seed: u8) -> Ciphertext {
    let slots = ctx.params().max_slots();
    let scale = ctx.params().default_scale();
    let pt = Encoder::new(ctx).encode_real(&values(slots, u64::from(seed)), slots, level, scale).unwrap();
    Encryptor::from_seed(ctx, [seed; 32]).encrypt_symmetric(&pt, sk).unwrap()
}

fn small_context() -> Arc<Context> {
    let params = Parameters::builder()
        .log_n(6)
        .q_bits(&[50, 40, 40])
        .p_bits(&[50])
        .dnum(3)
        .insecure_for_testing_only()
        .build()
        .unwrap();
    Context::new(params).unwrap()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    /// Random small parameter sets (degree, chain, P, dnum), key levels and ciphertext levels:
    /// rotations (plain, hoisted, double-hoisted) and relinearization give the same
    /// ciphertexts with compact keys as with expanded ones, and raw key switches the same pairs.
    #[test]
    fn compact_key_switching_is_bit_identical(
        log_n in 4u32..=7,
        q_bits in prop::collection::vec(30u32..=45, 1..=4),
        p_bits in prop::collection::vec(46u32..=55, 1..=2),
        dnum_pick in any::<prop::sample::Index>(),
        key_level_pick in any::<prop::sample::Index>(),
        ct_level_pick in any::<prop::sample::Index>(),
        step in 1i64..8,
        seed in any::<u8>(),
    ) {
        let params = Parameters::builder()
            .log_n(log_n)
            .q_bits(&q_bits)
            .p_bits(&p_bits)
            .dnum(1 + dnum_pick.index(q_bits.len()))
            .log_scale(30.0)
            .insecure_for_testing_only()
            .build();
        prop_assume!(params.is_ok());
        let ctx = Context::new(params.unwrap()).unwrap();
        let top = ctx.params().max_level();
        let key_level = key_level_pick.index(top + 1);
        let level = ct_level_pick.index(key_level + 1);

        let mut keygen = KeyGenerator::from_seed(&ctx, [seed; 32]);
        let sk = keygen.secret_key();
        let galois = keygen.galois_keys_at_levels(&sk, &[(step, key_level), (-step, key_level)]).unwrap();
        let rlk = keygen.relin_key_at_level(&sk, key_level).unwrap();
        let compact_galois = galois.clone().with_storage(&ctx, KeyStorage::Compact).unwrap();
        let compact_rlk = rlk.clone().with_storage(&ctx, KeyStorage::Compact).unwrap();
        prop_assert!(compact_galois.memory_bytes() * 2 == galois.memory_bytes());

        let eval = Evaluator::new(&ctx);
        let ct = encrypt(&ctx, &sk, level, seed);
        for step in [step, -step] {
            prop_assert_eq!(
                eval.rotate(&ct, step, &galois).unwrap().polys().to_vec(),
                eval.rotate(&ct, step, &compact_galois).unwrap().polys().to_vec()
            );
        }
        let hoisted = eval.hoist(&ct).unwrap();
        prop_assert_eq!(
            eval.rotate_hoisted(&hoisted, -step, &galois).unwrap().polys().to_vec(),
            eval.rotate_hoisted(&hoisted, -step, &compact_galois).unwrap().polys().to_vec()
        );
        let slots = ctx.params().max_slots();
        let weight = Encoder::new(&ctx)
            .encode_real_extended(&values(slots, 3), slots, level, ctx.params().default_scale())
            .unwrap();
        let terms = [(step, &weight), (-step, &weight), (0, &weight)];
        prop_assert_eq!(
            eval.multiply_rotated_sum(&[(&hoisted, &terms)], &galois).unwrap().polys().to_vec(),
            eval.multiply_rotated_sum(&[(&hoisted, &terms)], &compact_galois).unwrap().polys().to_vec()
        );
        let squared = eval.square(&ct).unwrap();
        prop_assert_eq!(
            eval.relinearize(&squared, &rlk).unwrap().polys().to_vec(),
            eval.relinearize(&squared, &compact_rlk).unwrap().polys().to_vec()
        );
        let c1 = &ct.polys()[1];
        prop_assert_eq!(
            key_switch(&ctx, c1, rlk.switching_key()).unwrap(),
            key_switch(&ctx, c1, compact_rlk.switching_key()).unwrap()
        );
        let decomposition = Decomposition::new(&ctx, c1).unwrap();
        prop_assert_eq!(decomposition.level(), level);
    }
}

#[test]
fn storage_conversions_and_generation_agree() {
    let ctx = small_context();
    let mut keygen = KeyGenerator::from_seed(&ctx, [4; 32]);
    let sk = keygen.secret_key();
    let expanded = keygen.galois_keys(&sk, &[1, 2], Conjugation::Include).unwrap();
    let rlk = keygen.relin_key(&sk).unwrap();
    assert!(expanded.elements().all(|g| expanded.get(g).unwrap().storage() == KeyStorage::Expanded));

    // Generated compact from the same seed = generated expanded, then compacted.
    let mut compact_keygen = KeyGenerator::from_seed(&ctx, [4; 32]).with_key_storage(KeyStorage::Compact);
    assert_eq!(compact_keygen.key_storage(), KeyStorage::Compact);
    let compact_sk = compact_keygen.secret_key();
    let generated = compact_keygen.galois_keys(&compact_sk, &[1, 2], Conjugation::Include).unwrap();
    let compact_rlk = compact_keygen.relin_key(&compact_sk).unwrap();
    assert!(generated.elements().all(|g| generated.get(g).unwrap().storage() == KeyStorage::Compact));
    assert_eq!(compact_rlk.storage(), KeyStorage::Compact);
    assert!(compact_rlk.switching_key().a_parts().is_none());
    for form in [SerializedForm::Full, SerializedForm::Seeded] {
        let bytes = |keys: &GaloisKeys| match form {
            SerializedForm::Full => keys.to_bytes(&ctx).unwrap(),
            _ => keys.to_seeded_bytes(&ctx).unwrap(),
        };
        assert_eq!(bytes(&generated), bytes(&expanded), "{form:?}");
    }
    assert_eq!(compact_rlk.to_bytes(&ctx).unwrap(), rlk.to_bytes(&ctx).unwrap());

    // Compact → expanded restores every uniform part; restriction keeps the storage.
    let restored = generated.clone().with_storage(&ctx, KeyStorage::Expanded).unwrap();
    for g in expanded.elements() {
        let (original, back) = (expanded.get(g).unwrap().switching_key(), restored.get(g).unwrap().switching_key());
        assert_eq!(back.a_parts().unwrap(), original.a_parts().unwrap());
        assert_eq!(back.b_parts(), original.b_parts());
        let low = generated.get(g).unwrap().switching_key().restricted(ctx.params(), 0).unwrap();
        assert_eq!(low.storage(), KeyStorage::Compact);
        assert_eq!(low.level(), 0);
        let expanded_low = original.restricted(ctx.params(), 0).unwrap();
        assert_eq!(*low.uniform_part(&ctx, 0), expanded_low.a_parts().unwrap()[0]);
    }
}

#[test]
fn seeded_bytes_load_compact_and_rotate_identically() {
    let ctx = small_context();
    let mut keygen = KeyGenerator::from_seed(&ctx, [5; 32]);
    let sk = keygen.secret_key();
    let keys = keygen.galois_keys(&sk, &[3], Conjugation::Exclude).unwrap();
    let rlk = keygen.relin_key(&sk).unwrap();
    let seeded = keys.to_seeded_bytes(&ctx).unwrap();
    let compact = GaloisKeys::from_bytes_with_storage(&ctx, &seeded, LIMIT, KeyStorage::Compact).unwrap();
    let from_full =
        GaloisKeys::from_bytes_with_storage(&ctx, &keys.to_bytes(&ctx).unwrap(), LIMIT, KeyStorage::Compact).unwrap();
    for loaded in [&compact, &from_full] {
        assert!(loaded.elements().all(|g| loaded.get(g).unwrap().storage() == KeyStorage::Compact));
        assert_eq!(loaded.memory_bytes() * 2, keys.memory_bytes());
    }
    let expanded = GaloisKeys::from_bytes(&ctx, &seeded, LIMIT).unwrap();
    assert_eq!(expanded.memory_bytes(), keys.memory_bytes());

    let eval = Evaluator::new(&ctx);
    let ct = encrypt(&ctx, &sk, ctx.params().max_level(), 9);
    let reference = eval.rotate(&ct, 3, &keys).unwrap();
    for loaded in [&compact, &from_full, &expanded] {
        assert_eq!(eval.rotate(&ct, 3, loaded).unwrap().polys(), reference.polys());
    }
    let compact_rlk =
        RelinKey::from_bytes_with_storage(&ctx, &rlk.to_seeded_bytes(&ctx).unwrap(), LIMIT, KeyStorage::Compact)
            .unwrap();
    let squared = eval.square(&ct).unwrap();
    assert_eq!(
        eval.relinearize(&squared, &compact_rlk).unwrap().polys().to_vec(),
        eval.relinearize(&squared, &rlk).unwrap().polys().to_vec()
    );
    // And back to the same bytes.
    assert_eq!(compact.to_seeded_bytes(&ctx).unwrap(), seeded);
    assert_eq!(compact.to_bytes(&ctx).unwrap(), keys.to_bytes(&ctx).unwrap());
}

#[test]
fn malformed_seeds_and_levels_are_typed_errors() {
    let ctx = small_context();
    let mut keygen = KeyGenerator::from_seed(&ctx, [6; 32]);
    let sk = keygen.secret_key();
    let rlk = keygen.relin_key(&sk).unwrap();
    let (level_at, seed_at) = (HEADER_LEN, HEADER_LEN + 2);
    for storage in [KeyStorage::Compact, KeyStorage::Expanded] {
        let load = |bytes: &[u8]| RelinKey::from_bytes_with_storage(&ctx, bytes, LIMIT, storage);
        // A full key whose stored uniform parts are not its seed's expansion.
        let mut other_seed = rlk.to_bytes(&ctx).unwrap();
        other_seed[seed_at] ^= 1;
        assert!(matches!(load(&other_seed), Err(SerializationError::SeedMismatch { .. })), "{storage:?}");
        // A seed cut short, and a level above the top.
        let seeded = rlk.to_seeded_bytes(&ctx).unwrap();
        assert!(matches!(load(&seeded[..seed_at + 20]), Err(SerializationError::UnexpectedEnd { .. })), "{storage:?}");
        let mut high = seeded.clone();
        high[level_at..level_at + 2].copy_from_slice(&7u16.to_le_bytes());
        assert!(
            matches!(load(&high), Err(SerializationError::FieldOutOfRange { field: "level", .. })),
            "{storage:?}: {:?}",
            load(&high)
        );
    }
    // A compact key below the ciphertext's level, and one of other parameters.
    let low = KeyGenerator::from_seed(&ctx, [6; 32])
        .with_key_storage(KeyStorage::Compact)
        .galois_keys_at_levels(&sk, &[(1, 0)])
        .unwrap();
    let eval = Evaluator::new(&ctx);
    let ct = encrypt(&ctx, &sk, ctx.params().max_level(), 1);
    assert!(matches!(eval.rotate(&ct, 1, &low), Err(CkksError::KeyLevelTooLow { key_level: 0, level: 2 })));
    let other = Context::new(
        Parameters::builder().log_n(5).q_bits(&[50, 40, 40]).p_bits(&[50]).insecure_for_testing_only().build().unwrap(),
    )
    .unwrap();
    assert!(matches!(low.clone().with_storage(&other, KeyStorage::Expanded), Err(CkksError::ParameterMismatch { .. })));
    let compact_rlk = rlk.with_storage(&ctx, KeyStorage::Compact).unwrap();
    assert!(matches!(
        key_switch(
            &other,
            &encrypt(&other, &KeyGenerator::new(&other).secret_key(), 0, 2).polys()[1],
            compact_rlk.switching_key()
        ),
        Err(CkksError::UnexpectedBasis { .. })
    ));
}
