//! Ring-layer tests against BigInt references.

use num_bigint::BigInt;
use num_traits::{Signed, ToPrimitive};
use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use super::*;
use crate::params::Parameters;

fn ring() -> RingContext {
    let params = Parameters::builder()
        .log_n(5)
        .q_bits(&[60, 40, 40, 40])
        .p_bits(&[49, 49])
        .insecure_for_testing_only()
        .build()
        .unwrap();
    RingContext::new(&params).unwrap()
}

fn product(ring: &RingContext, indices: impl Iterator<Item = usize>) -> BigInt {
    indices.fold(BigInt::from(1), |acc, i| acc * ring.modulus(i).value())
}

/// A random polynomial with `level` Q limbs and `special` P limbs (uniform modulo the product).
fn random_poly(ring: &RingContext, seed: u64, level: usize, special: usize) -> RnsPoly<Coefficient> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    let mut poly = RnsPoly::<Coefficient>::zero(ring, level, special);
    for i in 0..poly.limb_count() {
        let q = ring.modulus(ring.prime_index(level, i)).value();
        for x in poly.limb_mut(i) {
            *x = rng.next_u64() % q;
        }
    }
    poly
}

/// Exact `round(a / d)` for `d > 0` (floor of `a/d + 1/2`).
fn round_div(a: &BigInt, d: &BigInt) -> BigInt {
    let numerator = a * 2 + d;
    let denominator = d * 2;
    let (q, r): (BigInt, BigInt) = (&numerator / &denominator, &numerator % &denominator);
    if r.sign() == num_bigint::Sign::Minus { q - 1 } else { q }
}

fn assert_congruent(ring: &RingContext, poly: &RnsPoly<Coefficient>, expected: &[BigInt]) {
    let got = crt::reconstruct_centred(ring, poly);
    let modulus = product(ring, ring.prime_indices(poly.q_limb_count(), poly.p_limb_count()));
    for (j, (g, e)) in got.iter().zip(expected).enumerate() {
        let diff = (g - e) % &modulus;
        assert!(diff == BigInt::from(0), "coefficient {j}: got {g}, expected {e}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn mod_down_by_p_rounds_exactly(seed in any::<u64>(), level in 1usize..=4) {
        let ring = ring();
        let a = random_poly(&ring, seed, level, 2);
        let a_int = crt::reconstruct_centred(&ring, &a);
        let p = product(&ring, 4..6);
        let mut poly = a.into_ntt(&ring);
        DivideRound::new(&ring, &[4, 5]).apply(&ring, &mut poly);
        prop_assert_eq!((poly.q_limb_count(), poly.p_limb_count()), (level, 0));
        let expected: Vec<BigInt> = a_int.iter().map(|x| round_div(x, &p)).collect();
        assert_congruent(&ring, &poly.into_coefficient(&ring), &expected);
    }

    #[test]
    fn rescale_rounds_exactly(seed in any::<u64>(), level in 2usize..=4) {
        let ring = ring();
        let a = random_poly(&ring, seed, level, 0);
        let a_int = crt::reconstruct_centred(&ring, &a);
        let q_last = BigInt::from(ring.modulus(level - 1).value());
        let mut poly = a.into_ntt(&ring);
        DivideRound::new(&ring, &[level - 1]).apply(&ring, &mut poly);
        prop_assert_eq!(poly.q_limb_count(), level - 1);
        let expected: Vec<BigInt> = a_int.iter().map(|x| round_div(x, &q_last)).collect();
        assert_congruent(&ring, &poly.into_coefficient(&ring), &expected);
    }

    #[test]
    fn approximate_extension_error_is_a_small_multiple(seed in any::<u64>()) {
        // Extend x mod (q1·q2) to every other prime: the result is x + u·q1·q2 with 0 ≤ u < 2.
        let ring = ring();
        let x = random_poly(&ring, seed, 4, 2);
        let source = [1usize, 2];
        let converter = BasisConverter::new(&ring, &source);
        let mut scaled: Vec<Scratch> = source.iter().map(|&i| Scratch::copy_of(x.limb(i))).collect();
        converter.scale_sources(&ring, &mut scaled);
        let s_prod = product(&ring, source.iter().copied());
        // Exact value of x mod S in [0, S).
        let exact = crt_of(&ring, x.limb(1), x.limb(2), 1, 2);
        for target in [0usize, 3, 4, 5] {
            let mut out = vec![0u64; ring.n()];
            converter.convert(&ring, &scaled, None, target, &mut out);
            let t = ring.modulus(target).value();
            for j in 0..ring.n() {
                let ok = (0..2).any(|u| {
                    let value: BigInt = &exact[j] + &s_prod * u;
                    (value % t).to_u64().unwrap() == out[j]
                });
                prop_assert!(ok, "target {} coefficient {}", target, j);
            }
        }
    }
}

/// `x mod (q_a·q_b)` in `[0, q_a·q_b)` from two residues.
fn crt_of(ring: &RingContext, a: &[u64], b: &[u64], ia: usize, ib: usize) -> Vec<BigInt> {
    let mb = ring.modulus(ib);
    let qa = BigInt::from(ring.modulus(ia).value());
    let qa_inv = mb.inv(mb.reduce(ring.modulus(ia).value())).unwrap();
    a.iter()
        .zip(b)
        .map(|(&x, &y)| BigInt::from(x) + &qa * BigInt::from(mb.mul(mb.sub(y, mb.reduce(x)), qa_inv)))
        .collect()
}

#[test]
fn fast_decoding_crt_matches_bigint_for_small_and_large_values() {
    let ring = ring();
    let mut rng = ChaCha20Rng::seed_from_u64(3);
    // Magnitudes from tiny to beyond two limbs (2^100 > q0·q1/2 ≈ 2^99) to force every path.
    for bits in [10u32, 58, 62, 95, 120, 150] {
        let values: Vec<BigInt> = (0..ring.n())
            .map(|_| {
                let v = (0..3).fold(BigInt::from(0), |acc, _| (acc << 64) | BigInt::from(rng.next_u64()));
                let v: BigInt = v >> (192 - bits);
                if rng.next_u32() & 1 == 1 { -v } else { v }
            })
            .collect();
        let mut poly = RnsPoly::<Coefficient>::zero(&ring, 4, 0);
        for i in 0..4 {
            let q = BigInt::from(ring.modulus(i).value());
            for (x, v) in poly.limb_mut(i).iter_mut().zip(&values) {
                *x = (((v % &q) + &q) % &q).to_u64().unwrap();
            }
        }
        let decoded = crt::centred_coefficients_f64(&ring, &poly.clone().into_ntt(&ring));
        for (d, v) in decoded.iter().zip(&values) {
            let expected = v.to_f64().unwrap();
            assert!((d - expected).abs() <= expected.abs() * 1e-15, "bits {bits}: {d} vs {expected}");
        }
        assert!(values.iter().all(|v| v.abs().bits() <= u64::from(bits)));
    }
}

#[test]
fn representation_round_trip_and_products() {
    let ring = ring();
    let a = random_poly(&ring, 1, 4, 2);
    let b = a.clone().into_ntt(&ring).into_coefficient(&ring);
    assert_eq!(a, b);
    // (X) · (X^{n-1}) = X^n = −1 in the negacyclic ring.
    let n = ring.n();
    let mut x = vec![0i64; n];
    x[1] = 1;
    let mut y = vec![0i64; n];
    y[n - 1] = 1;
    let mut px = RnsPoly::from_signed(&x, &ring, 4, 2).into_ntt(&ring);
    px.mul_assign(&RnsPoly::from_signed(&y, &ring, 4, 2).into_ntt(&ring), &ring).unwrap();
    let mut minus_one = vec![0i64; n];
    minus_one[0] = -1;
    assert_eq!(px.into_coefficient(&ring), RnsPoly::from_signed(&minus_one, &ring, 4, 2));
    let mut wrong = RnsPoly::<Ntt>::zero(&ring, 3, 0);
    assert!(wrong.add_assign(&RnsPoly::zero(&ring, 4, 0), &ring).is_err());
    assert!(format!("{:?}", RnsPoly::<Ntt>::zero(&ring, 1, 0)).contains("q_limbs: 1"));
}

#[test]
fn uniform_expansion_of_a_lower_level_is_the_restriction() {
    let ring = ring();
    let full = sampling::uniform_from_seed([3; 32], &ring, 4, 2);
    for level in 1..=4 {
        for special in [0, 1, 2] {
            let lower = sampling::uniform_from_seed([3; 32], &ring, level, special);
            assert_eq!(lower, full.restricted(level, special), "level {level}, {special} P limbs");
        }
    }
    // Different seeds and different limbs of one seed differ.
    assert_ne!(sampling::uniform_from_seed([4; 32], &ring, 4, 2), full);
    assert_ne!(full.limb(1), full.limb(2));
}
