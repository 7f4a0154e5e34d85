//! Key sets: planning and estimates, parallel generation identical to sequential generation,
//! streaming with progress.

use std::sync::Arc;

use spencnn_ckks::rlwe::{GaloisKeySet, KeyGenCost, KeyStorage};
use spencnn_ckks::*;

fn context() -> Arc<Context> {
    let params = Parameters::builder()
        .log_n(7)
        .q_bits(&[30, 30, 30, 30])
        .p_bits(&[60])
        .log_scale(25.0)
        .dnum(2)
        .insecure_for_testing_only()
        .build()
        .unwrap();
    Context::new(params).unwrap()
}

/// Steps at levels with duplicates (same element at two levels) and the identity.
const STEPS: [(i64, usize); 8] = [(1, 3), (2, 0), (3, 1), (-1, 2), (5, 3), (2, 2), (0, 3), (64, 1)];

fn pool(threads: usize) -> rayon::ThreadPool {
    rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap()
}

#[test]
fn the_set_is_deduplicated_at_the_highest_level_and_validated() {
    let ctx = context();
    let params = ctx.params();
    let set = GaloisKeySet::for_steps_at_levels(params, &STEPS).unwrap();
    // Step 0 and step 64 (= N/2: the identity) need no key; step 2 is kept at level 2.
    assert_eq!(set.len(), 5);
    let n = params.n();
    let step_two = rlwe::galois_element_for_step(2, n);
    assert!(set.keys().contains(&(step_two, 2)));
    assert!(set.keys().windows(2).all(|pair| pair[0].0 < pair[1].0));
    assert!(matches!(
        GaloisKeySet::for_steps_at_levels(params, &[(1, 4)]),
        Err(CkksError::LevelOutOfRange { level: 4, min: 0, max: 3 })
    ));
    assert!(matches!(GaloisKeySet::for_elements(params, &[(4, 0)]), Err(CkksError::Ntt(_))));
    assert!(matches!(GaloisKeySet::for_elements(params, &[(2 * n as u64 + 1, 0)]), Err(CkksError::Ntt(_))));
    let top = GaloisKeySet::for_steps(params, &[1, 2], Conjugation::Include);
    assert_eq!(top.levels().collect::<Vec<_>>(), [3, 3, 3]);
}

#[test]
fn parallel_generation_is_bit_identical_to_sequential() {
    let ctx = context();
    let set = GaloisKeySet::for_steps_at_levels(ctx.params(), &STEPS).unwrap();
    let generate = |threads: usize| {
        pool(threads).install(|| {
            let mut keygen = KeyGenerator::from_seed(&ctx, [21; 32]);
            let sk = keygen.secret_key();
            let keys = keygen.galois_key_set(&sk, &set).unwrap();
            // The generator ends where the sequential run ends.
            let after = keygen.relin_key(&sk).unwrap();
            (keys.to_bytes(&ctx).unwrap(), after.to_bytes(&ctx).unwrap())
        })
    };
    let sequential = generate(1);
    assert_eq!(generate(2), sequential);
    assert_eq!(generate(3), sequential);
    // And one key at a time, in the set's order.
    let mut keygen = KeyGenerator::from_seed(&ctx, [21; 32]);
    let sk = keygen.secret_key();
    let mut one_by_one = GaloisKeys::empty(&ctx);
    for &(element, level) in set.keys() {
        let key = keygen.galois_key_at_level(&sk, element, level).unwrap();
        assert_eq!(key.level(), level);
        one_by_one.insert(key).unwrap();
    }
    assert_eq!(one_by_one.to_bytes(&ctx).unwrap(), sequential.0);
    // The set API of a single step agrees with galois_keys_at_levels.
    let mut keygen = KeyGenerator::from_seed(&ctx, [21; 32]);
    let sk = keygen.secret_key();
    assert_eq!(keygen.galois_keys_at_levels(&sk, &STEPS).unwrap().to_bytes(&ctx).unwrap(), sequential.0);
}

#[test]
fn streaming_reports_progress_and_matches_the_estimate() {
    let ctx = context();
    let params = ctx.params();
    let set = GaloisKeySet::for_steps_at_levels(params, &STEPS).unwrap();
    for storage in [KeyStorage::Expanded, KeyStorage::Compact] {
        let estimate = set.estimate(params, None, 2);
        assert_eq!((estimate.keys, estimate.seconds), (5, None));
        let mut keygen = KeyGenerator::from_seed(&ctx, [22; 32]).with_key_storage(storage);
        let sk = keygen.secret_key();
        let (mut bytes, mut reports) = (0, Vec::new());
        pool(2)
            .install(|| {
                keygen.galois_keys_streamed(&sk, &set, |key, progress| {
                    assert_eq!(key.len(), 1);
                    bytes += key.memory_bytes();
                    reports.push(progress);
                    Ok::<_, CkksError>(())
                })
            })
            .unwrap();
        let expected = match storage {
            KeyStorage::Expanded => estimate.expanded_bytes,
            KeyStorage::Compact => estimate.compact_bytes,
        };
        assert_eq!(bytes, expected, "{storage:?}");
        assert_eq!(reports.iter().map(|p| p.keys_done).collect::<Vec<_>>(), [1, 2, 3, 4, 5]);
        assert!(reports.windows(2).all(|pair| pair[0].limbs_done < pair[1].limbs_done));
        let last = reports.last().unwrap();
        assert_eq!((last.limbs_done, last.keys_total), (estimate.work_limbs, 5));
        assert_eq!(last.remaining(), Some(std::time::Duration::ZERO));
    }
}

#[test]
fn a_stream_stopped_early_never_reuses_randomness() {
    let ctx = context();
    let set = GaloisKeySet::for_steps_at_levels(ctx.params(), &STEPS).unwrap();
    let after = |stop_after: usize| {
        let mut keygen = KeyGenerator::from_seed(&ctx, [23; 32]);
        let sk = keygen.secret_key();
        let mut seen = 0;
        let result = keygen.galois_keys_streamed(&sk, &set, |_, _| {
            seen += 1;
            if seen == stop_after { Err(CkksError::EmptyAccumulator) } else { Ok(()) }
        });
        assert_eq!(result.is_err(), stop_after <= set.len());
        keygen.relin_key(&sk).unwrap().to_bytes(&ctx).unwrap()
    };
    assert_eq!(after(1), after(set.len() + 1));
}

#[test]
fn calibrated_estimates_scale_with_the_work_and_threads() {
    let ctx = context();
    let params = ctx.params();
    let cost = KeyGenCost::calibrate(&ctx).unwrap();
    assert!(cost.seconds_per_limb.is_finite() && cost.seconds_per_limb >= 0.0);
    assert!(cost.seconds_per_key.is_finite() && cost.seconds_per_key >= 0.0);
    assert!(cost.seconds_per_limb > 0.0 || cost.seconds_per_key > 0.0);
    let set = GaloisKeySet::for_steps_at_levels(params, &STEPS).unwrap();
    let one = set.estimate(params, Some(&cost), 1);
    let two = set.estimate(params, Some(&cost), 2);
    let seconds = one.seconds.unwrap();
    let modelled = cost.seconds_per_key * one.keys as f64 + cost.seconds_per_limb * one.work_limbs as f64;
    assert!((seconds - modelled).abs() <= 1e-12 * seconds.max(1.0));
    assert!((two.seconds.unwrap() * 2.0 - seconds).abs() <= 1e-12 * seconds.max(1.0));
    // Σ digits × (level + 1 + k) over the keys: levels 1, 2, 2, 3, 3 with α = 2 and k = 1.
    let expected_limbs = [(1, 3), (2, 4), (2, 4), (2, 5), (2, 5)].iter().map(|(d, l)| d * l).sum::<usize>();
    let mut levels: Vec<usize> = set.levels().collect();
    levels.sort_unstable();
    assert_eq!(levels, [1, 2, 2, 3, 3]);
    assert_eq!(one.work_limbs, expected_limbs);
    assert_eq!(one.expanded_bytes, 2 * expected_limbs * params.n() * 8);
}
