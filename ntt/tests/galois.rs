//! Galois automorphisms: NTT-form permutation against the coefficient-form definition.

mod common;

use common::random_residues;
use proptest::prelude::*;
use spencnn_ntt::primes::generate_ntt_primes;
use spencnn_ntt::{GaloisPermutation, Modulus, NttError, NttPlan, automorphism_coefficients};

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn ntt_form_permutation_matches_coefficient_automorphism(log_n in 4u32..=13, k_raw in any::<u64>(), seed in any::<u64>()) {
        let n = 1usize << log_n;
        let k = (k_raw % (2 * n as u64)) | 1;
        let q = generate_ntt_primes(55, n, 1).unwrap()[0];
        let plan = NttPlan::new(n, q).unwrap();
        let a = random_residues(n, q, seed);

        let mut via_coefficients = vec![0; n];
        automorphism_coefficients(&a, &mut via_coefficients, k, plan.modulus()).unwrap();
        plan.forward(&mut via_coefficients).unwrap();

        let mut a_ntt = a.clone();
        plan.forward(&mut a_ntt).unwrap();
        let mut via_permutation = vec![0; n];
        GaloisPermutation::new(n, k).unwrap().apply(&a_ntt, &mut via_permutation).unwrap();
        prop_assert_eq!(via_permutation, via_coefficients);
    }

    #[test]
    fn automorphisms_compose_multiplicatively(log_n in 4u32..=10, k1 in any::<u64>(), k2 in any::<u64>(), seed in any::<u64>()) {
        let n = 1usize << log_n;
        let two_n = 2 * n as u64;
        let (k1, k2) = ((k1 % two_n) | 1, (k2 % two_n) | 1);
        let q = generate_ntt_primes(40, n, 1).unwrap()[0];
        let m = Modulus::new(q).unwrap();
        let a = random_residues(n, q, seed);
        let (mut once, mut twice, mut direct) = (vec![0; n], vec![0; n], vec![0; n]);
        automorphism_coefficients(&a, &mut once, k1, &m).unwrap();
        automorphism_coefficients(&once, &mut twice, k2, &m).unwrap();
        automorphism_coefficients(&a, &mut direct, k1 * k2 % two_n, &m).unwrap();
        prop_assert_eq!(twice, direct);
    }
}

#[test]
fn coefficient_automorphism_of_x_is_x_to_the_k_with_sign() {
    let n = 16;
    let m = Modulus::new(97).unwrap();
    let mut x = vec![0u64; n];
    x[1] = 1;
    let mut out = vec![0u64; n];
    automorphism_coefficients(&x, &mut out, 5, &m).unwrap();
    assert_eq!(out[5], 1);
    // X -> X^19 = X^16 * X^3 = -X^3.
    automorphism_coefficients(&x, &mut out, 19, &m).unwrap();
    assert_eq!(out[3], 96);
    assert_eq!(out.iter().filter(|&&c| c != 0).count(), 1);
}

#[test]
fn invalid_elements_and_lengths_are_errors() {
    let m = Modulus::new(97).unwrap();
    let a = vec![0u64; 16];
    let mut out = vec![0u64; 16];
    assert_eq!(automorphism_coefficients(&a, &mut out, 4, &m), Err(NttError::InvalidGaloisElement { k: 4, two_n: 32 }));
    assert_eq!(
        automorphism_coefficients(&a, &mut out, 33, &m),
        Err(NttError::InvalidGaloisElement { k: 33, two_n: 32 })
    );
    assert_eq!(GaloisPermutation::new(16, 32), Err(NttError::InvalidGaloisElement { k: 32, two_n: 32 }));
    assert_eq!(GaloisPermutation::new(12, 3), Err(NttError::DegreeNotPowerOfTwo { n: 12 }));
    let mut short = vec![0u64; 15];
    assert_eq!(
        automorphism_coefficients(&a, &mut short, 3, &m),
        Err(NttError::LengthMismatch { expected: 16, actual: 15 })
    );
    assert_eq!(
        GaloisPermutation::new(16, 3).unwrap().apply(&a, &mut short),
        Err(NttError::LengthMismatch { expected: 16, actual: 15 })
    );
}
