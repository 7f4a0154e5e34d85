//! Element-wise kernels against `u128` arithmetic.

mod common;

use common::random_residues;
use proptest::prelude::*;
use spencnn_ntt::primes::generate_ntt_primes;
use spencnn_ntt::{Modulus, NttError, vector};

fn modulus_strategy() -> impl Strategy<Value = Modulus> {
    prop::sample::select(vec![30u32, 45, 60, 62])
        .prop_map(|bits| Modulus::new(generate_ntt_primes(bits, 16, 1).unwrap()[0]).unwrap())
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    #[test]
    fn element_wise_kernels_match_u128(m in modulus_strategy(), len in 0usize..300, seed in any::<u64>()) {
        let q = m.value();
        let (a, b) = (random_residues(len, q, seed), random_residues(len, q, seed + 1));
        let q128 = u128::from(q);
        let expect = |f: &dyn Fn(u128, u128) -> u128| -> Vec<u64> {
            a.iter().zip(&b).map(|(&x, &y)| (f(u128::from(x), u128::from(y)) % q128) as u64).collect()
        };
        let mut v = a.clone();
        vector::add_assign(&mut v, &b, &m).unwrap();
        prop_assert_eq!(&v, &expect(&|x, y| x + y));
        let mut v = a.clone();
        vector::sub_assign(&mut v, &b, &m).unwrap();
        prop_assert_eq!(&v, &expect(&|x, y| x + q128 - y));
        let mut v = a.clone();
        vector::neg_assign(&mut v, &m);
        prop_assert_eq!(&v, &expect(&|x, _| q128 - x));
        let mut v = a.clone();
        vector::mul_assign(&mut v, &b, &m).unwrap();
        prop_assert_eq!(&v, &expect(&|x, y| x * y));
        let mut v = a.clone();
        vector::mul_shoup_assign(&mut v, &b, &vector::shoup_companions(&b, &m), &m).unwrap();
        prop_assert_eq!(&v, &expect(&|x, y| x * y));
        let c = b.first().copied().unwrap_or(5);
        let mut v = a.clone();
        vector::mul_scalar_assign(&mut v, c, &m);
        prop_assert_eq!(&v, &expect(&|x, _| x * u128::from(c)));
    }

    #[test]
    fn multiply_accumulate_matches_u128(m in modulus_strategy(), len in 1usize..200, terms in 0usize..40, seed in any::<u64>()) {
        let q = m.value();
        let a: Vec<Vec<u64>> = (0..terms).map(|t| random_residues(len, q, seed.wrapping_add(2 * t as u64))).collect();
        let b: Vec<Vec<u64>> = (0..terms).map(|t| random_residues(len, q, seed.wrapping_add(2 * t as u64 + 1))).collect();
        let start = random_residues(len, q, !seed);
        let pairs: Vec<(&[u64], &[u64])> = a.iter().zip(&b).map(|(x, y)| (x.as_slice(), y.as_slice())).collect();
        let mut acc = start.clone();
        vector::multiply_accumulate(&mut acc, &pairs, &m).unwrap();
        let q128 = u128::from(q);
        for j in 0..len {
            let expected = (0..terms).fold(u128::from(start[j]), |s, t| (s + u128::from(a[t][j]) * u128::from(b[t][j])) % q128);
            prop_assert_eq!(u128::from(acc[j]), expected);
        }
    }
}

#[test]
fn mismatched_lengths_are_errors() {
    let m = Modulus::new(97).unwrap();
    let mut a = vec![1u64; 8];
    let b = vec![1u64; 7];
    let err = Err(NttError::LengthMismatch { expected: 8, actual: 7 });
    assert_eq!(vector::add_assign(&mut a, &b, &m), err);
    assert_eq!(vector::sub_assign(&mut a, &b, &m), err);
    assert_eq!(vector::mul_assign(&mut a, &b, &m), err);
    assert_eq!(vector::mul_shoup_assign(&mut a, &b, &b, &m), err);
    assert_eq!(vector::multiply_accumulate(&mut a, &[(&b, &b)], &m), err);
}
