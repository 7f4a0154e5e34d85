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

proptest! {
    #![proptest_config(ProptestConfig::with_cases(32))]

    #[test]
    fn rns_kernels_match_big_integers(m in modulus_strategy(), len in 0usize..100, terms in 0usize..6, seed in any::<u64>()) {
        let q = m.value();
        let (q128, qi) = (u128::from(q), i128::from(q));
        // Weighted sum: inputs any u64.
        let inputs: Vec<Vec<u64>> = (0..terms).map(|t| random_residues(len, u64::MAX, seed.wrapping_add(t as u64))).collect();
        let views: Vec<&[u64]> = inputs.iter().map(|x| x.as_slice()).collect();
        let weights: Vec<(u64, u64)> = random_residues(terms, q, !seed).into_iter().map(|w| (w, m.shoup(w))).collect();
        let mut out = vec![1; len];
        vector::weighted_sum(&mut out, &views, &weights, &m).unwrap();
        for j in 0..len {
            let expected = (0..terms).fold(0u128, |s, t| (s + u128::from(inputs[t][j]) * u128::from(weights[t].0)) % q128);
            prop_assert_eq!(u128::from(out[j]), expected);
        }
        // (a − b)·c.
        let (a, b, c) = (random_residues(len, q, seed), random_residues(len, q, seed ^ 1), seed % q);
        let mut v = a.clone();
        vector::sub_mul_scalar_assign(&mut v, &b, c, m.shoup(c), &m).unwrap();
        for j in 0..len {
            prop_assert_eq!(u128::from(v[j]), (u128::from(a[j]) + q128 - u128::from(b[j])) * u128::from(c) % q128);
        }
        // Signed values, any i64 and small ones.
        let signed: Vec<i64> = random_residues(len, u64::MAX, seed ^ 2).into_iter().map(|x| x as i64).collect();
        let small: Vec<i64> = signed.iter().map(|&x| x % qi as i64).collect();
        let (mut any, mut secret) = (vec![0; len], vec![0; len]);
        vector::signed_to_residues(&mut any, &signed, &m).unwrap();
        vector::small_signed_to_residues(&mut secret, &small, &m).unwrap();
        for j in 0..len {
            prop_assert_eq!(i128::from(any[j]), i128::from(signed[j]).rem_euclid(qi));
            prop_assert_eq!(i128::from(secret[j]), i128::from(small[j]).rem_euclid(qi));
        }
        // Centred conversion from a smaller and a larger prime.
        for s in [generate_ntt_primes(20, 16, 1).unwrap()[0], generate_ntt_primes(62, 16, 1).unwrap()[0]] {
            let x = random_residues(len, s, seed ^ s);
            let mut v = vec![0; len];
            vector::reduce_centred(&mut v, &x, s / 2, s % q, &m).unwrap();
            for j in 0..len {
                let centred = if x[j] > s / 2 { i128::from(x[j]) - i128::from(s) } else { i128::from(x[j]) };
                prop_assert_eq!(i128::from(v[j]), centred.rem_euclid(qi));
            }
        }
        // Adding a constant.
        let mut v = a.clone();
        vector::add_scalar_assign(&mut v, c, &m);
        prop_assert!(v.iter().zip(&a).all(|(&x, &y)| u128::from(x) == (u128::from(y) + u128::from(c)) % q128));
    }
}

#[test]
fn signed_extremes_map_to_their_residues() {
    let m = Modulus::new(1_152_921_504_606_584_833).unwrap();
    let values =
        [0i64, 1, -1, 19, -19, i64::MAX, i64::MIN, i64::MIN + 1, -(1 << 40), m.value() as i64, -(m.value() as i64)];
    let mut out = [0u64; 11];
    vector::signed_to_residues(&mut out, &values, &m).unwrap();
    for (&v, &o) in values.iter().zip(&out) {
        assert_eq!(i128::from(o), i128::from(v).rem_euclid(i128::from(m.value())), "v={v}");
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
    assert_eq!(vector::weighted_sum(&mut a, &[&b], &[(1, m.shoup(1))], &m), err);
    assert_eq!(
        vector::weighted_sum(&mut a, &[], &[(1, m.shoup(1))], &m),
        Err(NttError::LengthMismatch { expected: 0, actual: 1 })
    );
    assert_eq!(vector::reduce_centred(&mut a, &b, 1, 2, &m), err);
    assert_eq!(vector::sub_mul_scalar_assign(&mut a, &b, 1, m.shoup(1), &m), err);
    assert_eq!(vector::signed_to_residues(&mut a, &[1; 7], &m), err);
    assert_eq!(vector::small_signed_to_residues(&mut a, &[1; 7], &m), err);
}
