//! A word-size odd modulus with precomputed Barrett and Shoup constants.
//!
//! Conventions used throughout the crate:
//! * a value is *reduced* when it lies in `[0, q)`;
//! * *lazy* results lie in a documented multiple of `q`, e.g. `[0, 2q)`;
//! * every modulus is below `2^62`, so `4q` fits in a `u64` and the Harvey butterflies can
//!   keep intermediate values in `[0, 4q)` without overflow.

use crate::error::NttError;

/// Moduli must be below `2^MAX_MODULUS_BITS` (so that `4q < 2^64`).
pub const MAX_MODULUS_BITS: u32 = 62;

/// An odd modulus `3 <= q < 2^62` with its reduction constants.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Modulus {
    q: u64,
    /// `floor(2^128 / q)`, the Barrett constant for 128-bit inputs.
    barrett_ratio: u128,
}

impl Modulus {
    /// Validates `q` (odd, `3 <= q < 2^62`) and precomputes its constants.
    ///
    /// # Errors
    /// [`NttError::EvenModulus`] or [`NttError::ModulusOutOfRange`].
    pub fn new(q: u64) -> Result<Self, NttError> {
        if q < 3 || q >> MAX_MODULUS_BITS != 0 {
            return Err(NttError::ModulusOutOfRange { q, max_bits: MAX_MODULUS_BITS });
        }
        if q.is_multiple_of(2) {
            return Err(NttError::EvenModulus { q });
        }
        // q is odd and > 1, so it does not divide 2^128 and floor((2^128 - 1)/q) = floor(2^128/q).
        Ok(Self { q, barrett_ratio: u128::MAX / u128::from(q) })
    }

    /// The modulus `q`.
    #[inline(always)]
    pub const fn value(&self) -> u64 {
        self.q
    }

    /// Number of significant bits of `q`.
    pub const fn bits(&self) -> u32 {
        64 - self.q.leading_zeros()
    }

    /// The Barrett constant `floor(2^128 / q)`.
    pub const fn barrett_ratio(&self) -> u128 {
        self.barrett_ratio
    }

    /// `a + b mod q` for reduced inputs; output reduced.
    #[inline(always)]
    pub fn add(&self, a: u64, b: u64) -> u64 {
        debug_assert!(a < self.q && b < self.q);
        subtract_if_at_least(a + b, self.q)
    }

    /// `a - b mod q` for reduced inputs; output reduced.
    #[inline(always)]
    pub fn sub(&self, a: u64, b: u64) -> u64 {
        debug_assert!(a < self.q && b < self.q);
        let (difference, borrow) = a.overflowing_sub(b);
        difference.wrapping_add(self.q & mask_from(borrow))
    }

    /// `-a mod q` for a reduced input; output reduced.
    #[inline(always)]
    pub fn neg(&self, a: u64) -> u64 {
        debug_assert!(a < self.q);
        subtract_if_at_least(self.q - a, self.q)
    }

    /// Reduces any `u64`; output in `[0, q)`.
    #[inline(always)]
    pub fn reduce(&self, a: u64) -> u64 {
        self.reduce_u128(u128::from(a))
    }

    /// Reduces a signed value; output in `[0, q)`.
    #[inline(always)]
    pub fn reduce_i64(&self, a: i64) -> u64 {
        let r = self.reduce(a.unsigned_abs());
        select(a < 0, self.neg(r), r)
    }

    /// Barrett reduction of any `u128`; output in `[0, q)`.
    #[inline(always)]
    pub fn reduce_u128(&self, x: u128) -> u64 {
        const LO: u128 = u64::MAX as u128;
        let (x_lo, x_hi) = (x & LO, x >> 64);
        let (r_lo, r_hi) = (self.barrett_ratio & LO, self.barrett_ratio >> 64);
        // floor(x * ratio / 2^128) computed from 64x64 partial products, never overflowing.
        let lo_lo = (x_lo * r_lo) >> 64;
        let lo_hi = x_lo * r_hi;
        let hi_lo = x_hi * r_lo;
        let mid = lo_lo + (lo_hi & LO) + (hi_lo & LO);
        let quotient = x_hi * r_hi + (lo_hi >> 64) + (hi_lo >> 64) + (mid >> 64);
        // The estimate undershoots the true quotient by at most 2.
        let r = x.wrapping_sub(quotient.wrapping_mul(u128::from(self.q))) as u64;
        subtract_if_at_least(subtract_if_at_least(r, self.q), self.q)
    }

    /// `a * b mod q` for any `u64` inputs (Barrett); output in `[0, q)`.
    #[inline(always)]
    pub fn mul(&self, a: u64, b: u64) -> u64 {
        self.reduce_u128(u128::from(a) * u128::from(b))
    }

    /// `base^exponent mod q` (square and multiply, variable time in the public exponent).
    pub fn pow(&self, base: u64, mut exponent: u64) -> u64 {
        let mut result = 1 % self.q;
        let mut b = self.reduce(base);
        while exponent > 0 {
            if exponent & 1 == 1 {
                result = self.mul(result, b);
            }
            b = self.mul(b, b);
            exponent >>= 1;
        }
        result
    }

    /// The multiplicative inverse of `a` modulo `q`, or `None` when `gcd(a, q) != 1`.
    pub fn inv(&self, a: u64) -> Option<u64> {
        // Extended Euclid on signed 128-bit values: works for composite q too.
        let (mut old_r, mut r) = (i128::from(self.reduce(a)), i128::from(self.q));
        let (mut old_s, mut s) = (1i128, 0i128);
        while r != 0 {
            let quotient = old_r / r;
            (old_r, r) = (r, old_r - quotient * r);
            (old_s, s) = (s, old_s - quotient * s);
        }
        if old_r != 1 {
            return None;
        }
        Some(old_s.rem_euclid(i128::from(self.q)) as u64)
    }

    /// The Shoup companion `floor(w * 2^64 / q)` of a constant `w < q`.
    #[inline]
    pub fn shoup(&self, w: u64) -> u64 {
        debug_assert!(w < self.q);
        ((u128::from(w) << 64) / u128::from(self.q)) as u64
    }

    /// Shoup multiplication `a * w mod q` with `w_shoup = self.shoup(w)`, lazy.
    ///
    /// `a` may be any `u64`; `w < q`. Output in `[0, 2q)`.
    #[inline(always)]
    pub fn mul_shoup_lazy(&self, a: u64, w: u64, w_shoup: u64) -> u64 {
        let quotient = ((u128::from(a) * u128::from(w_shoup)) >> 64) as u64;
        w.wrapping_mul(a).wrapping_sub(quotient.wrapping_mul(self.q))
    }

    /// Shoup multiplication with an approximate quotient: the scalar twin of the SIMD kernels'
    /// multiplier. `a` may be any `u64`; `w < q`. Output in `[0, 4q)`, congruent to `a·w`.
    ///
    /// The quotient keeps three of the four 32×32-bit partial products of `w_shoup·a` and drops
    /// the carries of the two middle ones. Writing `β = w_shoup = β_h·2^32 + β_l` and
    /// `a = a_h·2^32 + a_l`, it is `Q̂ = β_h·a_h + ⌊β_h·a_l/2^32⌋ + ⌊β_l·a_h/2^32⌋`. Then
    /// `⌊β·a/2^64⌋ − Q̂ ≤ 2` (three dropped fractions, each below 1), and the exact Shoup
    /// quotient leaves `a·w − ⌊β·a/2^64⌋·q < 2q`, so `a·w − Q̂·q < 4q`. It is never negative because
    /// `Q̂ ≤ β·a/2^64 ≤ a·w/q`. The result therefore fits in a `u64` and wrapping arithmetic is
    /// exact.
    #[inline(always)]
    pub fn mul_shoup_approx(&self, a: u64, w: u64, w_shoup: u64) -> u64 {
        const LOW: u64 = 0xFFFF_FFFF;
        let (a_hi, a_lo) = (a >> 32, a & LOW);
        let (s_hi, s_lo) = (w_shoup >> 32, w_shoup & LOW);
        let quotient = s_hi * a_hi + ((s_hi * a_lo) >> 32) + ((s_lo * a_hi) >> 32);
        w.wrapping_mul(a).wrapping_sub(quotient.wrapping_mul(self.q))
    }

    /// Shoup multiplication `a * w mod q`; output in `[0, q)`.
    #[inline(always)]
    pub fn mul_shoup(&self, a: u64, w: u64, w_shoup: u64) -> u64 {
        subtract_if_at_least(self.mul_shoup_lazy(a, w, w_shoup), self.q)
    }

    /// Maps `x` in `[0, 2q)` to `[0, q)`.
    #[inline(always)]
    pub fn reduce_once(&self, x: u64) -> u64 {
        debug_assert!(x < 2 * self.q);
        subtract_if_at_least(x, self.q)
    }

    /// The centred representative of a reduced `a`, in `(-q/2, q/2]`.
    #[inline(always)]
    pub fn center(&self, a: u64) -> i64 {
        debug_assert!(a < self.q);
        if a > self.q / 2 { a as i64 - self.q as i64 } else { a as i64 }
    }
}

/// All ones if `condition`, else zero (from the flag, without a branch).
#[inline(always)]
const fn mask_from(condition: bool) -> u64 {
    (condition as u64).wrapping_neg()
}

/// `x − bound` if `x ≥ bound`, else `x`, for any `x, bound`. Branch-free: the borrow of the
/// subtraction becomes a mask, so residues of secrets (keys pass through the NTT and these
/// reductions at key generation and loading) take the same instructions whatever their value.
#[inline(always)]
pub const fn subtract_if_at_least(x: u64, bound: u64) -> u64 {
    let (difference, borrow) = x.overflowing_sub(bound);
    difference.wrapping_add(bound & mask_from(borrow))
}

/// `if_true` if `condition`, else `if_false`, through a mask (no branch on `condition`).
#[inline(always)]
pub const fn select(condition: bool, if_true: u64, if_false: u64) -> u64 {
    let mask = mask_from(condition);
    (if_true & mask) | (if_false & !mask)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MODULI: [u64; 5] = [3, 97, 1_125_899_903_827_969, 1_152_921_504_606_584_833, (1 << 62) - 57];

    #[test]
    fn rejects_bad_moduli() {
        assert_eq!(Modulus::new(10), Err(NttError::EvenModulus { q: 10 }));
        assert_eq!(Modulus::new(1), Err(NttError::ModulusOutOfRange { q: 1, max_bits: 62 }));
        assert_eq!(Modulus::new(1 << 62 | 1), Err(NttError::ModulusOutOfRange { q: 1 << 62 | 1, max_bits: 62 }));
    }

    #[test]
    fn barrett_matches_u128_remainder_at_the_edges() {
        for q in MODULI {
            let m = Modulus::new(q).unwrap();
            for x in [
                0u128,
                1,
                u128::from(q) - 1,
                u128::from(q),
                u128::MAX,
                u128::MAX - 1,
                u128::from(q) * u128::from(q) - 1,
            ] {
                assert_eq!(u128::from(m.reduce_u128(x)), x % u128::from(q), "q={q} x={x}");
            }
        }
    }

    #[test]
    fn inverse_and_pow() {
        let m = Modulus::new(1_152_921_504_606_584_833).unwrap();
        let a = 123_456_789_u64;
        let inv = m.inv(a).unwrap();
        assert_eq!(m.mul(a, inv), 1);
        assert_eq!(m.pow(a, m.value() - 1), 1, "Fermat");
        assert_eq!(Modulus::new(15).unwrap().inv(5), None);
    }
}
