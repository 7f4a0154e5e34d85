//! AVX-512 (F + DQ) lane arithmetic on eight `u64` lanes.
//!
//! The Shoup product here is the vector twin of [`crate::Modulus::mul_shoup_approx`]: it drops
//! the low×low partial product and the carries of the two middle partial products, so its
//! quotient may be up to 3 below the exact one and its result lies in `[0, 4q)` (see the proof
//! on the scalar twin). That saves one `vpmuludq` and the carry chain of an exact high product.

use std::arch::x86_64::*;

/// Loads eight lanes from `ptr` (no alignment needed).
///
/// # Safety
/// `ptr..ptr + 8` must be readable.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(crate) unsafe fn load(ptr: *const u64) -> __m512i {
    // SAFETY: the caller guarantees eight readable lanes.
    unsafe { _mm512_loadu_si512(ptr.cast()) }
}

/// Stores eight lanes to `ptr` (no alignment needed).
///
/// # Safety
/// `ptr..ptr + 8` must be writable.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(crate) unsafe fn store(ptr: *mut u64, value: __m512i) {
    // SAFETY: the caller guarantees eight writable lanes.
    unsafe { _mm512_storeu_si512(ptr.cast(), value) }
}

/// `value` in every lane.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(crate) fn splat(value: u64) -> __m512i {
    _mm512_set1_epi64(value as i64)
}

/// A constant multiplicand `w` with its Shoup companion `w' = floor(w·2^64/q)` split for
/// `vpmuludq`: `shoup` holds `w'` (its low 32 bits are used), `shoup_hi` holds `w' >> 32`.
#[derive(Clone, Copy)]
pub(crate) struct ShoupConstant {
    pub(crate) value: __m512i,
    pub(crate) shoup: __m512i,
    pub(crate) shoup_hi: __m512i,
}

impl ShoupConstant {
    /// The same constant in every lane.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    pub(crate) fn splat(value: u64, shoup: u64) -> Self {
        Self { value: splat(value), shoup: splat(shoup), shoup_hi: splat(shoup >> 32) }
    }
}

/// `vpmuludq`: the 64-bit products of the low 32-bit halves of `a` and `b`.
///
/// Written as inline assembly because LLVM rewrites `_mm512_mul_epu32` of a known-32-bit
/// operand into `vpandq` + `vpmullq`, an extra instruction in every butterfly.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(crate) fn mul_epu32(a: __m512i, b: __m512i) -> __m512i {
    let product: __m512i;
    // SAFETY: a register-only AVX-512F instruction (enabled for this function) with no memory
    // access, flags or stack use.
    unsafe {
        std::arch::asm!(
            "vpmuludq {product}, {a}, {b}",
            product = lateout(zmm_reg) product,
            a = in(zmm_reg) a,
            b = in(zmm_reg) b,
            options(pure, nomem, nostack, preserves_flags),
        );
    }
    product
}

/// `y·w mod q` with an approximate Shoup quotient. Any `y < 2^64`, `w < q < 2^62`;
/// output in `[0, 4q)`, congruent to `y·w`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(crate) fn mul_shoup_approx(y: __m512i, w: ShoupConstant, q: __m512i) -> __m512i {
    let y_hi = _mm512_srli_epi64::<32>(y);
    let hi_hi = _mm512_mul_epu32(w.shoup_hi, y_hi);
    let hi_lo = mul_epu32(w.shoup_hi, y);
    let lo_hi = _mm512_mul_epu32(w.shoup, y_hi);
    let middle = _mm512_add_epi64(_mm512_srli_epi64::<32>(hi_lo), _mm512_srli_epi64::<32>(lo_hi));
    let quotient = _mm512_add_epi64(hi_hi, middle);
    _mm512_sub_epi64(_mm512_mullo_epi64(w.value, y), _mm512_mullo_epi64(quotient, q))
}

/// Conditional subtraction: `x - bound` where `x >= bound`, else `x`. For `x < 2·bound` the
/// result lies in `[0, bound)`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(crate) fn reduce_once(x: __m512i, bound: __m512i) -> __m512i {
    // When x < bound the subtraction wraps to a value >= 2^64 - bound > x, so min keeps x.
    _mm512_min_epu64(x, _mm512_sub_epi64(x, bound))
}

/// Any `x < 2^64` reduced modulo `q` to `[0, 4q)`: an approximate Shoup product by 1, with
/// `one_shoup = floor(2^64/q)` in every lane (and its high half in `one_shoup_hi`).
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(crate) fn reduce_u64(x: __m512i, one_shoup: __m512i, one_shoup_hi: __m512i, q: __m512i) -> __m512i {
    let x_hi = _mm512_srli_epi64::<32>(x);
    let hi_hi = _mm512_mul_epu32(one_shoup_hi, x_hi);
    let hi_lo = _mm512_mul_epu32(one_shoup_hi, x);
    let lo_hi = _mm512_mul_epu32(one_shoup, x_hi);
    let middle = _mm512_add_epi64(_mm512_srli_epi64::<32>(hi_lo), _mm512_srli_epi64::<32>(lo_hi));
    let quotient = _mm512_add_epi64(hi_hi, middle);
    _mm512_sub_epi64(x, _mm512_mullo_epi64(quotient, q))
}

/// The exact 128-bit products `a·b` of lanes below `2^62`, as `(high, low)` 64-bit halves.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(crate) fn mul_wide(a: __m512i, b: __m512i) -> (__m512i, __m512i) {
    let (a_hi, b_hi) = (_mm512_srli_epi64::<32>(a), _mm512_srli_epi64::<32>(b));
    let lo_lo = _mm512_mul_epu32(a, b);
    // a, b < 2^62: each cross product is below 2^62, so the middle sum cannot overflow.
    let middle = _mm512_add_epi64(
        _mm512_add_epi64(_mm512_mul_epu32(a, b_hi), _mm512_mul_epu32(a_hi, b)),
        _mm512_srli_epi64::<32>(lo_lo),
    );
    let high = _mm512_add_epi64(_mm512_mul_epu32(a_hi, b_hi), _mm512_srli_epi64::<32>(middle));
    (high, _mm512_mullo_epi64(a, b))
}
