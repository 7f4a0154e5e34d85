//! Every SIMD kernel against its scalar twin ([`Isa::Scalar`]) on random and edge inputs.
//! A tier this CPU lacks is skipped with a message on stderr, never passed silently.

mod common;

use common::random_residues;
use proptest::prelude::*;
use spencnn_ntt::primes::generate_ntt_primes;
use spencnn_ntt::vector::{Kernels, shoup_companions};
use spencnn_ntt::{GaloisPermutation, Isa, Modulus, NttPlan, automorphism_coefficients_with_isa};

/// The SIMD tiers available here; logs the others.
fn simd_tiers() -> Vec<Isa> {
    common::available_tiers(&[Isa::Avx2, Isa::Avx512])
}

/// Prime sizes covering every kernel choice: IFMA (< 2^50), the wide-range 64-bit kernels
/// (< 2^61) and the general ones (< 2^62).
const BITS: [u32; 10] = [20, 30, 45, 49, 50, 51, 55, 60, 61, 62];

fn modulus_strategy() -> impl Strategy<Value = Modulus> {
    prop::sample::select(BITS.to_vec())
        .prop_map(|bits| Modulus::new(generate_ntt_primes(bits, 16, 1).unwrap()[0]).unwrap())
}

/// Random residues with edge values (0, 1, q−1) mixed in.
fn residues_with_edges(len: usize, q: u64, seed: u64) -> Vec<u64> {
    let mut v = random_residues(len, q, seed);
    for (i, x) in v.iter_mut().enumerate() {
        match i % 7 {
            0 => *x = q - 1,
            3 => *x = 0,
            5 if seed.is_multiple_of(2) => *x = 1,
            _ => {}
        }
    }
    v
}

/// Any 64-bit values, biased to the edges of the lazy ranges: near 0, `q`, `2^62` and `2^64`.
fn edge_heavy_words(len: usize, q: u64, seed: u64) -> Vec<u64> {
    random_residues(len, u64::MAX, seed)
        .into_iter()
        .enumerate()
        .map(|(j, x)| match j % 5 {
            0 => x,
            1 => x % q,
            2 => q - 1 - (x % 3),
            3 => (1u64 << 62) - 1 - (x % 5),
            _ => x % 4,
        })
        .collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(40))]

    #[test]
    fn rns_kernels_match_scalar(m in modulus_strategy(), len in 0usize..70, terms in 0usize..6, seed in any::<u64>()) {
        let q = m.value();
        let inputs: Vec<Vec<u64>> = (0..terms).map(|t| edge_heavy_words(len, q, seed.wrapping_add(t as u64))).collect();
        let views: Vec<&[u64]> = inputs.iter().map(|x| x.as_slice()).collect();
        let weights: Vec<(u64, u64)> = (0..terms).map(|t| [q - 1, 1, 0, q / 3, seed % q][t % 5]).map(|w| (w, m.shoup(w))).collect();
        let (a, b) = (residues_with_edges(len, q, seed), residues_with_edges(len, q, !seed));
        let c = seed % q;
        let signed: Vec<i64> = edge_heavy_words(len, q, seed ^ 7)
            .into_iter()
            .enumerate()
            .map(|(j, x)| match j % 9 {
                0 => i64::MIN,
                1 => i64::MAX,
                2 => -(q as i64),
                3 => 0,
                _ if j % 2 == 0 => x as i64,
                _ => (x as i64).wrapping_neg(),
            })
            .collect();
        // A source prime smaller and one larger than q.
        let sources = [generate_ntt_primes(20, 16, 1).unwrap()[0], generate_ntt_primes(62, 16, 1).unwrap()[0]];
        let run = |k: &Kernels| {
            let mut out = Vec::new();
            let mut v = vec![0; len]; k.weighted_sum(&mut v, &views, &weights, &m).unwrap(); out.push(v);
            let mut v = a.clone(); k.sub_mul_scalar_assign(&mut v, &b, c, m.shoup(c), &m).unwrap(); out.push(v);
            let mut v = vec![0; len]; k.signed_to_residues(&mut v, &signed, &m).unwrap(); out.push(v);
            for s in sources {
                let x: Vec<u64> = edge_heavy_words(len, s, seed ^ s).into_iter().map(|x| x % s).collect();
                let mut v = vec![0; len]; k.reduce_centred(&mut v, &x, s / 2, s % q, &m).unwrap(); out.push(v);
            }
            out
        };
        let expected = run(&Kernels::new(Isa::Scalar).unwrap());
        for isa in simd_tiers() {
            prop_assert_eq!(run(&Kernels::new(isa).unwrap()), expected.clone(), "isa {:?}, q = {}", isa, q);
        }
    }

    #[test]
    fn element_wise_kernels_match_scalar(m in modulus_strategy(), len in 0usize..70, seed in any::<u64>()) {
        let q = m.value();
        let (a, b) = (residues_with_edges(len, q, seed), residues_with_edges(len, q, seed ^ 1));
        // Shoup products accept any u64 on the left.
        let wide: Vec<u64> = a.iter().enumerate().map(|(i, &x)| if i % 5 == 1 { u64::MAX - x } else { x }).collect();
        let b_shoup = shoup_companions(&b, &m);
        let scalar = Kernels::new(Isa::Scalar).unwrap();
        for isa in simd_tiers() {
            let simd = Kernels::new(isa).unwrap();
            let run = |k: &Kernels| {
                let mut out = Vec::new();
                let mut v = a.clone(); k.add_assign(&mut v, &b, &m).unwrap(); out.push(v);
                let mut v = a.clone(); k.sub_assign(&mut v, &b, &m).unwrap(); out.push(v);
                let mut v = a.clone(); k.neg_assign(&mut v, &m); out.push(v);
                let mut v = a.clone(); k.mul_assign(&mut v, &b, &m).unwrap(); out.push(v);
                let mut v = wide.clone(); k.mul_shoup_assign(&mut v, &b, &b_shoup, &m).unwrap(); out.push(v);
                let mut v = wide.clone(); k.mul_scalar_assign(&mut v, seed, &m); out.push(v);
                out
            };
            prop_assert_eq!(run(&simd), run(&scalar), "isa {:?}, q = {}", isa, q);
        }
    }

    #[test]
    fn multiply_accumulates_match_scalar(m in modulus_strategy(), len in 1usize..40, terms in 0usize..40, seed in any::<u64>()) {
        let q = m.value();
        let lhs: Vec<Vec<u64>> = (0..terms).map(|t| residues_with_edges(len, q, seed.wrapping_add(2 * t as u64))).collect();
        let rhs: Vec<Vec<u64>> = (0..terms).map(|t| residues_with_edges(len, q, seed.wrapping_add(2 * t as u64 + 1))).collect();
        let rhs_shoup: Vec<Vec<u64>> = rhs.iter().map(|w| shoup_companions(w, &m)).collect();
        let pairs: Vec<(&[u64], &[u64])> = lhs.iter().zip(&rhs).map(|(x, y)| (x.as_slice(), y.as_slice())).collect();
        let triples: Vec<(&[u64], &[u64], &[u64])> =
            lhs.iter().zip(&rhs).zip(&rhs_shoup).map(|((x, y), z)| (x.as_slice(), y.as_slice(), z.as_slice())).collect();
        let start = residues_with_edges(len, q, !seed);
        let scalar = Kernels::new(Isa::Scalar).unwrap();
        let (mut expected, mut expected_shoup) = (start.clone(), start.clone());
        scalar.multiply_accumulate(&mut expected, &pairs, &m).unwrap();
        scalar.multiply_accumulate_shoup(&mut expected_shoup, &triples, &m).unwrap();
        prop_assert_eq!(&expected, &expected_shoup);
        for isa in simd_tiers() {
            let simd = Kernels::new(isa).unwrap();
            let (mut acc, mut acc_shoup) = (start.clone(), start.clone());
            simd.multiply_accumulate(&mut acc, &pairs, &m).unwrap();
            simd.multiply_accumulate_shoup(&mut acc_shoup, &triples, &m).unwrap();
            prop_assert_eq!(&acc, &expected, "isa {:?}, q = {}", isa, q);
            prop_assert_eq!(&acc_shoup, &expected, "isa {:?}, q = {} (Shoup)", isa, q);
        }
    }

    #[test]
    fn galois_kernels_match_scalar(log_n in 0u32..=17, k_raw in any::<u64>(), seed in any::<u64>()) {
        let n = 1usize << log_n;
        let k = (k_raw % (2 * n as u64)) | 1;
        let m = Modulus::new(generate_ntt_primes(50, 16, 1).unwrap()[0]).unwrap();
        let input = residues_with_edges(n, m.value(), seed);
        let permutation = GaloisPermutation::new(n, k).unwrap();
        let (mut expected, mut expected_coefficients) = (vec![0; n], vec![0; n]);
        permutation.apply_with_isa(Isa::Scalar, &input, &mut expected).unwrap();
        automorphism_coefficients_with_isa(Isa::Scalar, &input, &mut expected_coefficients, k, &m).unwrap();
        for isa in simd_tiers() {
            let (mut out, mut out_coefficients) = (vec![0; n], vec![0; n]);
            permutation.apply_with_isa(isa, &input, &mut out).unwrap();
            automorphism_coefficients_with_isa(isa, &input, &mut out_coefficients, k, &m).unwrap();
            prop_assert_eq!(&out, &expected, "isa {:?} n {} k {}", isa, n, k);
            prop_assert_eq!(&out_coefficients, &expected_coefficients, "isa {:?} n {} k {}", isa, n, k);
        }
    }

    #[test]
    fn transforms_match_scalar(log_n in 4u32..=17, bits in prop::sample::select(BITS.to_vec()), seed in any::<u64>(), edge in 0usize..4) {
        let n = 1usize << log_n;
        let q = generate_ntt_primes(bits, n, 1).unwrap()[0];
        // Random reduced values, or all at an edge of the lazy input ranges.
        let input: Vec<u64> = match edge {
            0 => residues_with_edges(n, q, seed),
            1 => vec![q - 1; n],
            2 => vec![0; n],
            _ => random_residues(n, q, seed).iter().map(|&x| x % 4 + 4 * q - 4).collect(),
        };
        let reduced: Vec<u64> = input.iter().map(|&x| x % q).collect();
        let scalar = NttPlan::with_isa(n, q, Isa::Scalar).unwrap();
        let mut expected_forward = reduced.clone();
        scalar.forward(&mut expected_forward).unwrap();
        let mut expected_inverse = reduced.clone();
        scalar.inverse(&mut expected_inverse).unwrap();
        for isa in simd_tiers() {
            let plan = NttPlan::with_isa(n, q, isa).unwrap();
            let variants = if plan.uses_ifma() { vec![plan.clone(), plan.without_ifma()] } else { vec![plan] };
            for plan in variants {
                let tag = format!("isa {:?} ifma {} n {} q {}", isa, plan.uses_ifma(), n, q);
                let mut v = reduced.clone();
                plan.forward(&mut v).unwrap();
                prop_assert_eq!(&v, &expected_forward, "forward, {}", tag);
                let mut v = input.clone();
                plan.forward_lazy(&mut v).unwrap();
                prop_assert!(v.iter().all(|&x| x < 4 * q), "forward_lazy range, {}", tag);
                prop_assert_eq!(v.iter().map(|&x| x % q).collect::<Vec<_>>(), expected_forward.clone(), "forward_lazy, {}", tag);
                let mut v = reduced.clone();
                plan.inverse(&mut v).unwrap();
                prop_assert_eq!(&v, &expected_inverse, "inverse, {}", tag);
                // inverse_lazy accepts [0, 2q): shift half of the reduced inputs up by q.
                let mut v: Vec<u64> = reduced.iter().enumerate().map(|(i, &x)| x + (i as u64 % 2) * q).collect();
                plan.inverse_lazy(&mut v).unwrap();
                prop_assert!(v.iter().all(|&x| x < 2 * q), "inverse_lazy range, {}", tag);
                prop_assert_eq!(v.iter().map(|&x| x % q).collect::<Vec<_>>(), expected_inverse.clone(), "inverse_lazy, {}", tag);
            }
        }
    }
}
