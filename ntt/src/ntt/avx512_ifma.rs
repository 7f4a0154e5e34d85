//! AVX-512 IFMA butterflies (52-bit multiply-add, `vpmadd52{lo,hi}uq`) for `q < 2^50`.
//!
//! With 52-bit Shoup companions `w' = floor(w·2^52/q)`, one `vpmadd52huq` gives the exact
//! Shoup quotient `Q = floor(w'·y/2^52)` of any `y < 2^52`, and `w·y − Q·q` lies in `[0, 2q)`;
//! it is computed modulo `2^52` as `lo52(w·y) + lo52(Q·(2^52 − q))` (two `vpmadd52luq`) and
//! one mask. Ranges are the classic Harvey ones: forward values in `[0, 4q)`, inverse values in
//! `[0, 2q)`; `4q < 2^52` keeps every multiplicand inside the 52-bit inputs.

use std::arch::x86_64::*;

use super::avx512_lanes::{NttLanes, ScalarConstant, repeat};
use super::plan::{IFMA52_LIMIT, Twiddles};
use crate::simd::avx512::{reduce_once, splat};

/// A twiddle and its 52-bit Shoup companion, in every lane.
#[derive(Clone, Copy)]
pub(super) struct IfmaConstant {
    value: __m512i,
    shoup52: __m512i,
}

/// IFMA butterflies for `q < 2^50`.
#[derive(Clone, Copy)]
pub(super) struct Ifma52 {
    q: __m512i,
    two_q: __m512i,
    /// `2^52 − q`, so that `lo52(Q·(2^52 − q)) ≡ −Q·q (mod 2^52)`.
    minus_q: __m512i,
    mask52: __m512i,
}

impl Ifma52 {
    /// Constants for `q < 2^50`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
    pub(super) fn new(q: u64) -> Self {
        debug_assert!(q < IFMA52_LIMIT);
        Self { q: splat(q), two_q: splat(2 * q), minus_q: splat((1 << 52) - q), mask52: splat((1 << 52) - 1) }
    }

    /// `y·w mod q` for `y < 2^52`; output in `[0, 2q)`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
    fn product(&self, y: __m512i, w: IfmaConstant) -> __m512i {
        let zero = _mm512_setzero_si512();
        let quotient = _mm512_madd52hi_epu64(zero, w.shoup52, y);
        let low = _mm512_madd52lo_epu64(zero, w.value, y);
        _mm512_and_si512(_mm512_madd52lo_epu64(low, quotient, self.minus_q), self.mask52)
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
    fn inverse_output<const STRICT: bool>(&self, v: __m512i) -> __m512i {
        if STRICT { reduce_once(v, self.q) } else { v }
    }
}

impl NttLanes for Ifma52 {
    type Twiddle = IfmaConstant;
    // Two registers per twiddle leave room for eight runs in flight.
    const RUNS: usize = 8;

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
    unsafe fn twiddles<const WIDTH: usize>(&self, table: &Twiddles, index: usize) -> IfmaConstant {
        debug_assert!(index + WIDTH <= table.shoup52.len());
        // SAFETY: the caller guarantees `index + WIDTH` is in bounds; IFMA plans fill `shoup52`.
        unsafe {
            IfmaConstant {
                value: repeat::<WIDTH>(table.value.as_ptr().add(index)),
                shoup52: repeat::<WIDTH>(table.shoup52.as_ptr().add(index)),
            }
        }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
    unsafe fn constant(&self, c: ScalarConstant) -> IfmaConstant {
        IfmaConstant { value: splat(c.value), shoup52: splat(c.shoup52) }
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
    unsafe fn forward(&self, x: &mut __m512i, y: &mut __m512i, w: IfmaConstant) {
        let product = self.product(*y, w);
        let x_reduced = reduce_once(*x, self.two_q);
        *x = _mm512_add_epi64(x_reduced, product);
        *y = _mm512_sub_epi64(_mm512_add_epi64(x_reduced, self.two_q), product);
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
    unsafe fn inverse(&self, x: &mut __m512i, y: &mut __m512i, w: IfmaConstant) {
        let difference = _mm512_sub_epi64(_mm512_add_epi64(*x, self.two_q), *y);
        *x = reduce_once(_mm512_add_epi64(*x, *y), self.two_q);
        *y = self.product(difference, w);
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
    unsafe fn inverse_last<const STRICT: bool>(
        &self,
        x: &mut __m512i,
        y: &mut __m512i,
        n_inv: IfmaConstant,
        w: IfmaConstant,
    ) {
        let sum = _mm512_add_epi64(*x, *y);
        let difference = _mm512_sub_epi64(_mm512_add_epi64(*x, self.two_q), *y);
        *x = self.inverse_output::<STRICT>(self.product(sum, n_inv));
        *y = self.inverse_output::<STRICT>(self.product(difference, w));
    }

    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
    unsafe fn forward_output<const STRICT: bool>(&self, v: __m512i) -> __m512i {
        if STRICT { reduce_once(reduce_once(v, self.two_q), self.q) } else { v }
    }
}
