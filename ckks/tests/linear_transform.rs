//! Homomorphic linear transformations against the f64 matrix-vector product, at N = 2^12
//! (insecure, fast): dense and sparse-diagonal matrices, full and sparse slots, single and
//! double hoisting, pre-encoded and on-demand plaintexts.

mod common;

use common::*;
use proptest::prelude::*;
use spencnn_ckks::circuits::{
    BsgsCost, CircuitError, DiagonalMatrix, EncodedLinearTransform, Hoisting, LinearTransform,
};
use spencnn_ckks::*;

/// A matrix with the given diagonals, random entries scaled by `1/count` so that products of
/// unit-square vectors stay in the unit disc.
fn random_matrix(slots: usize, diagonals: &[i64], seed: u64) -> DiagonalMatrix {
    let weight = 1.0 / diagonals.len() as f64;
    let diags = diagonals.iter().enumerate().map(|(j, &k)| {
        let values = random_values(slots, seed ^ ((j as u64 + 1) * 0x1234_5678));
        (k, values.into_iter().map(|z| z.scale(weight)).collect())
    });
    DiagonalMatrix::from_diagonals(slots, diags).unwrap()
}

/// Encrypts `x`, applies the transform (rescaling by the last prime, with plaintexts at that
/// prime's scale so that the scale is kept) and checks against `M·x`.
fn check_transform(f: &mut Fixture, transform: &LinearTransform, hoisting: Hoisting, on_demand: bool, label: &str) {
    let slots = transform.slots();
    let x = random_values(slots, 77);
    let pt = f.encoder.encode_complex(&x, slots, f.top(), f.scale()).unwrap();
    let ct = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    let keys = f.galois_keys(&transform.rotation_steps(), Conjugation::Exclude);
    let q_last = f.ctx.params().q_primes()[f.top()] as f64;
    let out = if on_demand {
        transform.evaluate_on_demand(&f.evaluator, &f.encoder, &ct, &keys, q_last, hoisting).unwrap()
    } else {
        let encoded = transform.encode(&f.encoder, f.top(), q_last, hoisting).unwrap();
        encoded.evaluate(&f.evaluator, &ct, &keys).unwrap()
    };
    let out = f.evaluator.rescale(&out).unwrap();
    assert!((out.scale() / f.scale() - 1.0).abs() < 1e-12, "the scale is kept");
    let expected = transform.matrix().apply(&x).unwrap();
    assert_precision(label, &expected, &f.decrypt(&out), 20.0);
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(4))]

    #[test]
    fn random_sparse_diagonal_matrices(seed in any::<u64>(), count in 1usize..12, double in any::<bool>()) {
        let mut f = Fixture::new(law_params());
        let slots = 256;
        let mut diagonals: Vec<i64> = (0..count as u64).map(|j| ((seed >> (j * 5)) % slots as u64) as i64).collect();
        diagonals.sort_unstable();
        diagonals.dedup();
        let transform = LinearTransform::new(random_matrix(slots, &diagonals, seed), BsgsCost::default()).unwrap();
        let hoisting = if double { Hoisting::Double } else { Hoisting::Single };
        check_transform(&mut f, &transform, hoisting, false, &format!("{} diagonals {hoisting:?}", diagonals.len()));
    }
}

#[test]
fn dense_matrix_full_slots_every_mode() {
    let mut f = Fixture::new(law_params());
    let slots = f.slots();
    // 64 consecutive diagonals around 0 on 2048 slots: baby span 8 or 16.
    let diagonals: Vec<i64> = (-32..32).collect();
    let transform = LinearTransform::new(random_matrix(slots, &diagonals, 3), BsgsCost::default()).unwrap();
    assert!(transform.split().baby_steps().len() > 1 && transform.split().giant_steps().len() > 1);
    for hoisting in [Hoisting::Single, Hoisting::Double] {
        check_transform(&mut f, &transform, hoisting, false, &format!("dense 64 diagonals, encoded, {hoisting:?}"));
        check_transform(&mut f, &transform, hoisting, true, &format!("dense 64 diagonals, on demand, {hoisting:?}"));
    }
}

#[test]
fn fully_dense_matrix_on_sparse_slots() {
    let mut f = Fixture::new(law_params());
    let slots = 32;
    let rows: Vec<Vec<Complex>> = (0..slots).map(|i| random_values(slots, 500 + i as u64)).collect();
    let rows: Vec<Vec<Complex>> =
        rows.into_iter().map(|r| r.into_iter().map(|z| z.scale(1.0 / 32.0)).collect()).collect();
    let matrix = DiagonalMatrix::from_dense(&rows).unwrap();
    assert_eq!(matrix.diagonal_count(), slots);
    let transform = LinearTransform::new(matrix, BsgsCost::default()).unwrap();
    // Steps stay in (-16, 16]: the keys a 32-slot ciphertext needs.
    assert!(transform.rotation_steps().iter().all(|s| (-16..=16).contains(s)));
    check_transform(&mut f, &transform, Hoisting::Double, false, "dense 32x32 on 32 slots");
    // Every baby span gives the same product.
    for span in [1, 4, 32] {
        let t = LinearTransform::with_baby_span(transform.matrix().clone(), span).unwrap();
        check_transform(&mut f, &t, Hoisting::Single, false, &format!("dense 32x32, baby span {span}"));
    }
}

#[test]
fn galois_elements_match_the_rotation_steps() {
    let matrix = random_matrix(64, &[0, 1, 2, 9, 17, 63], 5);
    let transform = LinearTransform::with_baby_span(matrix, 8).unwrap();
    // 9 = 8 + 1, 17 = 16 + 1, 63 = 56 + 7 with giant step 56 ≡ -8.
    assert_eq!(transform.rotation_steps(), [-8, 1, 2, 7, 8, 16]);
    let n = 1 << 12;
    let expected: Vec<u64> = {
        let mut e: Vec<u64> = [-8i64, 1, 2, 7, 8, 16].iter().map(|&s| rlwe::galois_element_for_step(s, n)).collect();
        e.sort_unstable();
        e
    };
    assert_eq!(transform.galois_elements(n), expected);
}

#[test]
fn mismatches_are_typed_errors() {
    let mut f = Fixture::new(law_params());
    let transform = LinearTransform::new(random_matrix(16, &[0, 3], 9), BsgsCost::default()).unwrap();
    let keys = f.galois_keys(&transform.rotation_steps(), Conjugation::Exclude);
    let encoded: EncodedLinearTransform = transform.encode(&f.encoder, 2, f.scale(), Hoisting::Double).unwrap();
    let pt = f.encoder.encode_complex(&random_values(16, 1), 16, f.top(), f.scale()).unwrap();
    let ct = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    // Above the plaintexts' level: dropped, then evaluated.
    assert_eq!(encoded.evaluate(&f.evaluator, &ct, &keys).unwrap().level(), 2);
    let low = f.evaluator.drop_to_level(&ct, 1).unwrap();
    assert_eq!(
        encoded.evaluate(&f.evaluator, &low, &keys).unwrap_err(),
        CircuitError::Ckks(CkksError::LevelMismatch { left: 1, right: 2 })
    );
    let other_slots = f.encrypt(&random_values(8, 2));
    assert!(matches!(
        transform.evaluate_on_demand(&f.evaluator, &f.encoder, &other_slots, &keys, f.scale(), Hoisting::Single),
        Err(CircuitError::Ckks(CkksError::SlotCountMismatch { .. }))
    ));
    let no_keys = GaloisKeys::empty(&f.ctx);
    assert!(matches!(
        encoded.evaluate(&f.evaluator, &ct, &no_keys),
        Err(CircuitError::Ckks(CkksError::MissingGaloisKey { .. }))
    ));
    assert!(LinearTransform::new(DiagonalMatrix::zero(16).unwrap(), BsgsCost::default()).is_err());
    assert!(encoded.memory_bytes() > 0);
}
