//! AVX-512 butterflies of the NTT kernels with 64-bit Shoup arithmetic, and what every AVX-512
//! butterfly family shares: the [`NttLanes`] interface the drivers in `avx512.rs` are generic
//! over, twiddle loads and the lane shuffles.
//!
//! **Multiplier.** Two ways to estimate the Shoup quotient, then two `vpmullq` for the
//! remainder: [`mul_shoup_approx`] (three `vpmuludq`, any AVX-512 CPU, output in `[0, 4q)`) or
//! [`Shoup64::product_ifma`] (one `vpmullq` and two `vpmadd52huq` on a 104-bit companion, CPUs
//! with IFMA, output in `[0, 3q)`).
//!
//! **Ranges.** Two variants, chosen by the plan from `q`:
//! * `FAST` (`q < 2^61`): forward values stay in `[0, 8q)` between stages (the butterfly reduces
//!   only `x` to `[0, 4q)` and adds the product unreduced); inverse values stay in `[0, 4q)`.
//! * general (`q < 2^62`): the classic Harvey ranges, `[0, 4q)` forward and `[0, 2q)` inverse,
//!   with the product reduced to `[0, 2q)`.

use std::arch::x86_64::*;

use super::plan::Twiddles;
use crate::simd::avx512::{ShoupConstant, load, mul_shoup_approx, reduce_once, splat};

/// A twiddle-like constant with all its companions: `value`, `floor(value·2^64/q)`,
/// `floor(value·2^52/q)` (only meaningful for IFMA plans) and the low half of the 104-bit one.
#[derive(Clone, Copy, Debug)]
pub(super) struct ScalarConstant {
    pub(super) value: u64,
    pub(super) shoup: u64,
    pub(super) shoup52: u64,
    /// `floor(value·2^104/q) mod 2^52` (only meaningful for IFMA plans with `q >= 2^50`).
    pub(super) shoup52_low: u64,
}

/// One family of AVX-512 butterflies (its arithmetic and its lazy ranges). The drivers only
/// see these operations, so each family documents its ranges here:
/// * `forward`: inputs and outputs in the family's forward range (always containing `[0, 4q)`);
/// * `inverse`: inputs and outputs in the family's inverse range (always containing `[0, 2q)`);
/// * `inverse_last`: inverse-range inputs, outputs in `[0, q)` when `STRICT`, else `[0, 2q)`;
/// * `forward_output`: forward-range input, output in `[0, q)` when `STRICT`, else `[0, 4q)`.
pub(super) trait NttLanes: Copy {
    /// A twiddle (with companions) in vector registers.
    type Twiddle: Copy;

    /// Runs of 16 values the drivers interleave in the in-register stages (4 or 8): more
    /// hides more latency but needs more registers, so it depends on the family's footprint.
    const RUNS: usize;

    /// Twiddles `index .. index + WIDTH` (WIDTH = 1, 2, 4 or 8), lane `l` holding entry
    /// `index + l % WIDTH`.
    ///
    /// # Safety
    /// `index + WIDTH` within the table; the CPU supports the family's features.
    unsafe fn twiddles<const WIDTH: usize>(&self, table: &Twiddles, index: usize) -> Self::Twiddle;

    /// A constant in every lane.
    ///
    /// # Safety
    /// The CPU supports the family's features.
    unsafe fn constant(&self, c: ScalarConstant) -> Self::Twiddle;

    /// Cooley–Tukey butterfly `(x, y) ← (x + w·y, x − w·y)`.
    ///
    /// # Safety
    /// The CPU supports the family's features.
    unsafe fn forward(&self, x: &mut __m512i, y: &mut __m512i, w: Self::Twiddle);

    /// Gentleman–Sande butterfly `(x, y) ← (x + y, w·(x − y))`.
    ///
    /// # Safety
    /// The CPU supports the family's features.
    unsafe fn inverse(&self, x: &mut __m512i, y: &mut __m512i, w: Self::Twiddle);

    /// The last inverse butterfly with `1/n` folded in: `((x + y)·n⁻¹, (x − y)·w)` where `w`
    /// already includes `n⁻¹`.
    ///
    /// # Safety
    /// The CPU supports the family's features.
    unsafe fn inverse_last<const STRICT: bool>(
        &self,
        x: &mut __m512i,
        y: &mut __m512i,
        n_inv: Self::Twiddle,
        w: Self::Twiddle,
    );

    /// Maps a forward output to the API range.
    ///
    /// # Safety
    /// The CPU supports the family's features.
    unsafe fn forward_output<const STRICT: bool>(&self, v: __m512i) -> __m512i;
}

/// Reads `WIDTH` (1, 2, 4 or 8) consecutive entries from `ptr`, repeated across the lanes.
///
/// # Safety
/// `ptr .. ptr + WIDTH` readable.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn repeat<const WIDTH: usize>(ptr: *const u64) -> __m512i {
    // SAFETY: the caller guarantees WIDTH readable entries from `ptr`.
    unsafe {
        match WIDTH {
            1 => _mm512_set1_epi64(*ptr as i64),
            2 => _mm512_broadcast_i64x2(_mm_loadu_si128(ptr.cast())),
            4 => _mm512_broadcast_i64x4(_mm256_loadu_si256(ptr.cast())),
            _ => load(ptr),
        }
    }
}

/// 64-bit Shoup butterflies; `FAST` needs `q < 2^61`, the general variant `q < 2^62`.
/// `IFMA` selects how the Shoup quotient is estimated: three `vpmuludq` and their carries
/// ([`mul_shoup_approx`], any AVX-512 CPU) or one `vpmullq` and two `vpmadd52huq`
/// ([`Shoup64::product_ifma`], CPUs with AVX-512 IFMA). The ranges are the same either way.
#[derive(Clone, Copy)]
pub(super) struct Shoup64<const FAST: bool, const IFMA: bool> {
    q: __m512i,
    two_q: __m512i,
    four_q: __m512i,
}

/// A twiddle with its 104-bit Shoup companion `w' = floor(w·2^104/q)` split into 52-bit
/// halves, in vector registers (the IFMA variant of [`Shoup64`]).
#[derive(Clone, Copy)]
pub(super) struct Shoup104Constant {
    value: __m512i,
    /// `w' >> 52 = floor(w·2^52/q)`.
    high: __m512i,
    /// `w' mod 2^52`.
    low: __m512i,
}

impl<const FAST: bool> Shoup64<FAST, false> {
    /// Constants for `q`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    pub(super) fn new(q: u64) -> Self {
        Self { q: splat(q), two_q: splat(2 * q), four_q: splat(4 * q) }
    }

    /// `y·w mod q` in `[0, 4q)` for any `y < 2^64`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    fn product_approx(&self, y: __m512i, w: ShoupConstant) -> __m512i {
        mul_shoup_approx(y, w, self.q)
    }
}

impl<const FAST: bool> Shoup64<FAST, true> {
    /// Constants for `q`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
    pub(super) fn new(q: u64) -> Self {
        Self { q: splat(q), two_q: splat(2 * q), four_q: splat(4 * q) }
    }

    /// `y·w mod q` in `[0, 3q)` for any `y < 2^64` and `w < q < 2^62`.
    ///
    /// With `y = y_h·2^52 + y_l` and `w' = floor(w·2^104/q) = w_h·2^52 + w_l`, the quotient
    /// estimate `Q̂ = y_h·w_h + ⌊y_h·w_l/2^52⌋ + ⌊y_l·w_h/2^52⌋` (one `vpmullq`, two
    /// `vpmadd52huq`, which read only the low 52 bits of `y`) drops two fractions below 1, the
    /// term `y_l·w_l/2^104 < 2^-52` and the truncation of `w'` (below `y/2^104 < 2^-40`), so
    /// `y·w/q − Q̂ ∈ [0, 2 + 2^-39)` and `y·w − Q̂·q ∈ [0, 3q)`, computed modulo `2^64`.
    /// `y_h < 2^12` and `w_h < 2^52` keep `y_h·w_h` below `2^64`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
    pub(super) fn product_ifma(&self, y: __m512i, w: Shoup104Constant) -> __m512i {
        let y_high = _mm512_srli_epi64::<52>(y);
        let partial = _mm512_madd52hi_epu64(_mm512_mullo_epi64(y_high, w.high), y_high, w.low);
        let quotient = _mm512_madd52hi_epu64(partial, y, w.high);
        _mm512_sub_epi64(_mm512_mullo_epi64(w.value, y), _mm512_mullo_epi64(quotient, self.q))
    }
}

/// The [`NttLanes`] implementation of one [`Shoup64`] variant: `$features` are its target
/// features, `$runs` its [`NttLanes::RUNS`], `$twiddle` its twiddle type, `$product` the
/// method computing a product in `[0, 4q)`, `$load` the expression loading `WIDTH` twiddles
/// from `table` at `index`. (The IFMA product needs fewer temporaries, so eight runs fit in
/// the registers; with the three-`vpmuludq` product eight runs spill.)
macro_rules! shoup64_lanes {
    ($ifma:literal, $features:literal, $runs:literal, $twiddle:ty, $product:ident, |$table:ident, $index:ident| $load:expr) => {
        impl<const FAST: bool> Shoup64<FAST, $ifma> {
            /// `FAST`: forward range `[0, 8q)`, inverse range `[0, 4q)`. General: `[0, 4q)`,
            /// `[0, 2q)`. Either way this is the inverse range's bound and half the forward
            /// range's.
            #[inline]
            #[target_feature(enable = $features)]
            fn bound(&self) -> __m512i {
                if FAST { self.four_q } else { self.two_q }
            }

            /// A product in `[0, 4q)` reduced as the variant needs: unchanged for `FAST`, else
            /// to `[0, 2q)`.
            #[inline]
            #[target_feature(enable = $features)]
            fn product(&self, y: __m512i, w: $twiddle) -> __m512i {
                let p = self.$product(y, w);
                if FAST { p } else { reduce_once(p, self.two_q) }
            }

            /// Maps a product in `[0, 4q)` to the inverse API range.
            #[inline]
            #[target_feature(enable = $features)]
            fn inverse_output<const STRICT: bool>(&self, v: __m512i) -> __m512i {
                let v = reduce_once(v, self.two_q);
                if STRICT { reduce_once(v, self.q) } else { v }
            }
        }

        impl<const FAST: bool> NttLanes for Shoup64<FAST, $ifma> {
            type Twiddle = $twiddle;
            const RUNS: usize = $runs;

            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn twiddles<const WIDTH: usize>(&self, $table: &Twiddles, $index: usize) -> $twiddle {
                debug_assert!($index + WIDTH <= $table.value.len());
                // SAFETY: the caller guarantees `index + WIDTH` is in bounds of the equal-length
                // tables (the plan fills the companions this variant reads).
                unsafe { $load }
            }

            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn constant(&self, c: ScalarConstant) -> $twiddle {
                <$twiddle>::from_scalar(c)
            }

            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn forward(&self, x: &mut __m512i, y: &mut __m512i, w: $twiddle) {
                let bound = self.bound();
                let product = self.product(*y, w);
                let x_reduced = reduce_once(*x, bound);
                *x = _mm512_add_epi64(x_reduced, product);
                *y = _mm512_sub_epi64(_mm512_add_epi64(x_reduced, bound), product);
            }

            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn inverse(&self, x: &mut __m512i, y: &mut __m512i, w: $twiddle) {
                let bound = self.bound();
                let difference = _mm512_sub_epi64(_mm512_add_epi64(*x, bound), *y);
                *x = reduce_once(_mm512_add_epi64(*x, *y), bound);
                *y = self.product(difference, w);
            }

            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn inverse_last<const STRICT: bool>(
                &self,
                x: &mut __m512i,
                y: &mut __m512i,
                n_inv: $twiddle,
                w: $twiddle,
            ) {
                let bound = self.bound();
                let sum = _mm512_add_epi64(*x, *y);
                let difference = _mm512_sub_epi64(_mm512_add_epi64(*x, bound), *y);
                *x = self.inverse_output::<STRICT>(self.$product(sum, n_inv));
                *y = self.inverse_output::<STRICT>(self.$product(difference, w));
            }

            #[inline]
            #[target_feature(enable = $features)]
            unsafe fn forward_output<const STRICT: bool>(&self, v: __m512i) -> __m512i {
                let v = if FAST { reduce_once(v, self.four_q) } else { v };
                if STRICT { reduce_once(reduce_once(v, self.two_q), self.q) } else { v }
            }
        }
    };
}

shoup64_lanes!(false, "avx512f,avx512dq,avx512bw,avx512vl", 4, ShoupConstant, product_approx, |table, index| {
    debug_assert!(index + WIDTH <= table.shoup.len());
    let shoup = repeat::<WIDTH>(table.shoup.as_ptr().add(index));
    // Scalar broadcasts and full vectors are plain loads; the 2- and 4-entry patterns cost a
    // shuffle each, so their high halves are shifted out of `shoup` instead.
    let shoup_hi = if WIDTH == 1 || WIDTH == 8 {
        repeat::<WIDTH>(table.shoup_hi.as_ptr().add(index))
    } else {
        _mm512_srli_epi64::<32>(shoup)
    };
    ShoupConstant { value: repeat::<WIDTH>(table.value.as_ptr().add(index)), shoup, shoup_hi }
});

shoup64_lanes!(
    true,
    "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma",
    8,
    Shoup104Constant,
    product_ifma,
    |table, index| {
        debug_assert!(index + WIDTH <= table.shoup52_low.len());
        Shoup104Constant {
            value: repeat::<WIDTH>(table.value.as_ptr().add(index)),
            high: repeat::<WIDTH>(table.shoup52.as_ptr().add(index)),
            low: repeat::<WIDTH>(table.shoup52_low.as_ptr().add(index)),
        }
    }
);

impl ShoupConstant {
    /// The constant `c` in every lane.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    fn from_scalar(c: ScalarConstant) -> Self {
        Self::splat(c.value, c.shoup)
    }
}

impl Shoup104Constant {
    /// The constant `c` in every lane.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    fn from_scalar(c: ScalarConstant) -> Self {
        Self { value: splat(c.value), high: splat(c.shoup52), low: splat(c.shoup52_low) }
    }
}

/// Perfect shuffle of two vectors: `(a, b) → ([a0 b0 a1 b1 a2 b2 a3 b3], [a4 b4 … a7 b7])`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) fn interleave(a: __m512i, b: __m512i) -> (__m512i, __m512i) {
    let low = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
    let high = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    (_mm512_permutex2var_epi64(a, low, b), _mm512_permutex2var_epi64(a, high, b))
}

/// Inverse perfect shuffle: `(a, b) → (even lanes of a‖b, odd lanes of a‖b)`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) fn deinterleave(a: __m512i, b: __m512i) -> (__m512i, __m512i) {
    let even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    let odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
    (_mm512_permutex2var_epi64(a, even, b), _mm512_permutex2var_epi64(a, odd, b))
}

#[cfg(test)]
mod tests {
    use std::arch::x86_64::*;

    use proptest::prelude::*;

    use super::{Shoup64, Shoup104Constant};
    use crate::Modulus;
    use crate::ntt::plan::shoup104;
    use crate::simd::avx512::splat;

    /// The IFMA-quotient product of eight `y` lanes by `w`, against `u128` arithmetic.
    fn check_product_ifma(q: u64, w: u64, ys: [u64; 8]) -> Result<(), TestCaseError> {
        if !std::arch::is_x86_feature_detected!("avx512ifma") {
            eprintln!("skipped: this CPU lacks AVX-512 IFMA");
            return Ok(());
        }
        let modulus = Modulus::new(q).unwrap();
        let (high, low) = shoup104(w, &modulus);
        let mut out = [0u64; 8];
        // SAFETY: IFMA (and so AVX-512 F) was detected above; `out` has eight lanes.
        unsafe {
            let lanes = Shoup64::<false, true>::new(q);
            let constant = Shoup104Constant { value: splat(w), high: splat(high), low: splat(low) };
            let product = lanes.product_ifma(_mm512_loadu_si512(ys.as_ptr().cast()), constant);
            _mm512_storeu_si512(out.as_mut_ptr().cast(), product);
        }
        for (y, r) in ys.into_iter().zip(out) {
            prop_assert!(u128::from(r) < 3 * u128::from(q), "q {} w {} y {} -> {} not below 3q", q, w, y, r);
            prop_assert_eq!(u128::from(r) % u128::from(q), u128::from(y) * u128::from(w) % u128::from(q));
        }
        Ok(())
    }

    proptest! {
        #[test]
        fn product_ifma_range_and_value(q_raw in 3u64..(1 << 62), w_raw in any::<u64>(), ys in any::<[u64; 8]>()) {
            let q = q_raw | 1;
            check_product_ifma(q, w_raw % q, ys)?;
            // Edges: the largest inputs and twiddles, and values at the lazy range bounds.
            let edges = [u64::MAX, u64::MAX - 1, 8 * (q >> 1), (4 * q).wrapping_sub(1), q - 1, 1 << 52, (1 << 52) - 1, 0];
            check_product_ifma(q, q - 1, edges)?;
            check_product_ifma(q, w_raw % q, edges)?;
        }
    }
}
