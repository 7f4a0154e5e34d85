//! CRT reconstruction: exact multi-precision (num-bigint) and the fast verified path used
//! by the decoder.
//!
//! Decrypted CKKS coefficients are small (`|m| ≪ Q`), so reconstructing them from one or two
//! limbs is exact when `|m|` is below half the product of those limbs. The fast path checks
//! every coefficient against one more limb: if `x ≡ m (mod q_0⋯q_r)` agrees with the residue
//! modulo `q_{r+1}` too, then `x = m` whenever `|m| < q_0⋯q_{r+1}/2 − q_0⋯q_r/2`; coefficients
//! failing the check go to the next width and finally to the exact BigInt reconstruction over
//! all limbs, so the result is never silently wrong.

use num_bigint::{BigInt, BigUint, Sign};
use num_traits::{ToPrimitive, Zero};

use zeroize::Zeroizing;

use super::buffer_pool::Scratch;
use super::context::RingContext;
use super::poly::RnsPoly;
use super::representation::{Coefficient, Ntt};

/// The centred integers `(-Q'/2, Q'/2]` represented by a coefficient-form polynomial, where
/// `Q'` is the product of all its primes (Q and P limbs).
pub(crate) fn reconstruct_centred(ring: &RingContext, poly: &RnsPoly<Coefficient>) -> Vec<BigInt> {
    let primes: Vec<u64> =
        ring.prime_indices(poly.q_limb_count(), poly.p_limb_count()).map(|i| ring.modulus(i).value()).collect();
    let limbs: Vec<&[u64]> = poly.limbs().collect();
    let mut out = Vec::with_capacity(poly.n());
    let crt = BigCrt::new(&primes);
    for j in 0..poly.n() {
        out.push(crt.centred(limbs.iter().map(|limb| limb[j])));
    }
    out
}

/// Garner-free CRT with precomputed `(Q/q_i)·[(Q/q_i)^{-1}]_{q_i}` terms.
struct BigCrt {
    product: BigUint,
    half: BigUint,
    basis: Vec<BigUint>,
}

impl BigCrt {
    fn new(primes: &[u64]) -> Self {
        let product = primes.iter().fold(BigUint::from(1u8), |acc, &q| acc * q);
        let basis = primes
            .iter()
            .map(|&q| {
                let hat = &product / q;
                let hat_mod = (&hat % q).to_u64().expect("below q");
                let inv = spencnn_ntt::Modulus::new(q).expect("valid prime").inv(hat_mod).expect("coprime");
                hat * inv
            })
            .collect();
        let half = &product >> 1;
        Self { product, half, basis }
    }

    fn centred(&self, residues: impl Iterator<Item = u64>) -> BigInt {
        let mut sum = BigUint::zero();
        for (r, b) in residues.zip(&self.basis) {
            sum += b * r;
        }
        sum %= &self.product;
        if sum > self.half {
            -BigInt::from_biguint(Sign::Plus, &self.product - sum)
        } else {
            BigInt::from_biguint(Sign::Plus, sum)
        }
    }
}

/// The centred integer coefficients of an NTT-form polynomial (Q limbs only), as `f64`.
///
/// Fast path: inverse NTT of at most three limbs and a verified one- or two-limb CRT per
/// coefficient (see the module documentation); exact BigInt fallback for the rest.
pub(crate) fn centred_coefficients_f64(ring: &RingContext, poly: &RnsPoly<Ntt>) -> Vec<f64> {
    let level = poly.q_limb_count();
    let n = poly.n();
    let used = level.min(3);
    // The limbs hold a decrypted message in coefficient form: wiped when dropped.
    let limbs: Vec<Zeroizing<Scratch>> = (0..used)
        .map(|i| {
            let mut limb = Scratch::copy_of(poly.limb(i));
            ring.plan(i).inverse(&mut limb).expect("limb length is the ring degree");
            Zeroizing::new(limb)
        })
        .collect();
    let m0 = ring.modulus(0);
    let mut out = vec![0.0f64; n];
    if level == 1 {
        for (o, &a) in out.iter_mut().zip(limbs[0].iter()) {
            *o = m0.center(a) as f64;
        }
        return out;
    }
    let m1 = ring.modulus(1);
    let (q0, q1) = (u128::from(m0.value()), u128::from(m1.value()));
    let q01 = q0 * q1;
    let q0_inv_mod_q1 = m1.inv(m1.reduce(m0.value())).expect("coprime");
    let mut unresolved = Vec::new();
    for j in 0..n {
        let x1 = m0.center(limbs[0][j]);
        if m1.reduce_i64(x1) == limbs[1][j] {
            out[j] = x1 as f64;
            continue;
        }
        // Two-limb CRT: x = a + q0·((b − a)·q0^{-1} mod q1) in [0, q0·q1), then centred.
        let a = limbs[0][j];
        let t = m1.mul(m1.sub(limbs[1][j], m1.reduce(a)), q0_inv_mod_q1);
        let x = u128::from(a) + q0 * u128::from(t);
        let x2: i128 = if x > q01 / 2 { x as i128 - q01 as i128 } else { x as i128 };
        let verified = match limbs.get(2) {
            None => true, // all limbs used: exact by definition
            Some(limb) => {
                let m2 = ring.modulus(2);
                let r = m2.reduce_u128(x2.unsigned_abs());
                (if x2 < 0 { m2.neg(r) } else { r }) == limb[j]
            }
        };
        if verified {
            out[j] = x2 as f64;
        } else {
            unresolved.push(j);
        }
    }
    if !unresolved.is_empty() {
        let exact = reconstruct_centred(ring, &poly.clone().into_coefficient(ring));
        for j in unresolved {
            out[j] = exact[j].to_f64().unwrap_or(f64::NAN);
        }
    }
    out
}
