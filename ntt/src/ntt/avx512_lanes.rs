//! AVX-512 butterflies of the NTT kernels with 64-bit Shoup arithmetic (`vpmuludq` +
//! `vpmullq`), and what every AVX-512 butterfly family shares: the [`NttLanes`] interface the
//! drivers in `avx512.rs` are generic over, twiddle loads and the lane shuffles.
//!
//! **Multiplier.** [`mul_shoup_approx`]: three `vpmuludq` for an approximate quotient (at most 3
//! below Shoup's, output in `[0, 4q)`) and two `vpmullq`.
//!
//! **Ranges.** Two variants, chosen by the plan from `q`:
//! * `FAST` (`q < 2^61`): forward values stay in `[0, 8q)` between stages (the butterfly reduces
//!   only `x` to `[0, 4q)` and adds the product unreduced); inverse values stay in `[0, 4q)`.
//! * general (`q < 2^62`): the classic Harvey ranges, `[0, 4q)` forward and `[0, 2q)` inverse,
//!   with the product reduced to `[0, 2q)`.

use std::arch::x86_64::*;

use super::plan::Twiddles;
use crate::simd::avx512::{ShoupConstant, load, mul_shoup_approx, reduce_once, splat};

/// A twiddle-like constant with all its companions: `value`, `floor(value·2^64/q)` and
/// `floor(value·2^52/q)` (the last only meaningful for IFMA plans).
#[derive(Clone, Copy, Debug)]
pub(super) struct ScalarConstant {
    pub(super) value: u64,
    pub(super) shoup: u64,
    pub(super) shoup52: u64,
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
#[derive(Clone, Copy)]
pub(super) struct Shoup64<const FAST: bool> {
    q: __m512i,
    two_q: __m512i,
    four_q: __m512i,
}

impl<const FAST: bool> Shoup64<FAST> {
    /// Constants for `q`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    pub(super) fn new(q: u64) -> Self {
        Self { q: splat(q), two_q: splat(2 * q), four_q: splat(4 * q) }
    }

    /// `FAST`: forward range `[0, 8q)`, inverse range `[0, 4q)`. General: `[0, 4q)`, `[0, 2q)`.
    /// Either way this is the inverse range's bound and half the forward range's.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    fn bound(&self) -> __m512i {
        if FAST { self.four_q } else { self.two_q }
    }

    /// A product in `[0, 4q)` reduced as the variant needs: unchanged for `FAST`, else to `[0, 2q)`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    fn product(&self, y: __m512i, w: ShoupConstant) -> __m512i {
        let p = mul_shoup_approx(y, w, self.q);
        if FAST { p } else { reduce_once(p, self.two_q) }
    }

    /// Maps a product in `[0, 4q)` to the inverse API range.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    fn inverse_output<const STRICT: bool>(&self, v: __m512i) -> __m512i {
        let v = reduce_once(v, self.two_q);
        if STRICT { reduce_once(v, self.q) } else { v }
    }
}

impl<const FAST: bool> NttLanes for Shoup64<FAST> {
    type Twiddle = ShoupConstant;
    const RUNS: usize = 4;

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    unsafe fn twiddles<const WIDTH: usize>(&self, table: &Twiddles, index: usize) -> ShoupConstant {
        debug_assert!(index + WIDTH <= table.value.len());
        // SAFETY: the caller guarantees `index + WIDTH` is in bounds of the equal-length tables.
        unsafe {
            let shoup = repeat::<WIDTH>(table.shoup.as_ptr().add(index));
            // Scalar broadcasts and full vectors are plain loads; the 2- and 4-entry patterns
            // cost a shuffle each, so their high halves are shifted out of `shoup` instead.
            let shoup_hi = if WIDTH == 1 || WIDTH == 8 {
                repeat::<WIDTH>(table.shoup_hi.as_ptr().add(index))
            } else {
                _mm512_srli_epi64::<32>(shoup)
            };
            ShoupConstant { value: repeat::<WIDTH>(table.value.as_ptr().add(index)), shoup, shoup_hi }
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    unsafe fn constant(&self, c: ScalarConstant) -> ShoupConstant {
        ShoupConstant::splat(c.value, c.shoup)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    unsafe fn forward(&self, x: &mut __m512i, y: &mut __m512i, w: ShoupConstant) {
        let bound = self.bound();
        let product = self.product(*y, w);
        let x_reduced = reduce_once(*x, bound);
        *x = _mm512_add_epi64(x_reduced, product);
        *y = _mm512_sub_epi64(_mm512_add_epi64(x_reduced, bound), product);
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    unsafe fn inverse(&self, x: &mut __m512i, y: &mut __m512i, w: ShoupConstant) {
        let bound = self.bound();
        let difference = _mm512_sub_epi64(_mm512_add_epi64(*x, bound), *y);
        *x = reduce_once(_mm512_add_epi64(*x, *y), bound);
        *y = self.product(difference, w);
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    unsafe fn inverse_last<const STRICT: bool>(
        &self,
        x: &mut __m512i,
        y: &mut __m512i,
        n_inv: ShoupConstant,
        w: ShoupConstant,
    ) {
        let bound = self.bound();
        let sum = _mm512_add_epi64(*x, *y);
        let difference = _mm512_sub_epi64(_mm512_add_epi64(*x, bound), *y);
        *x = self.inverse_output::<STRICT>(mul_shoup_approx(sum, n_inv, self.q));
        *y = self.inverse_output::<STRICT>(mul_shoup_approx(difference, w, self.q));
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    unsafe fn forward_output<const STRICT: bool>(&self, v: __m512i) -> __m512i {
        let v = if FAST { reduce_once(v, self.four_q) } else { v };
        if STRICT { reduce_once(reduce_once(v, self.two_q), self.q) } else { v }
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
