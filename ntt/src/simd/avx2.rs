//! AVX2 lane arithmetic on four `u64` lanes. AVX2 has no unsigned 64-bit compare or min and no
//! 64-bit low multiply, so both are emulated here (sign-flipped signed compares; three
//! `vpmuludq`).

use std::arch::x86_64::*;

/// Loads four lanes from `ptr`.
///
/// # Safety
/// `ptr..ptr + 4` must be readable.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn load(ptr: *const u64) -> __m256i {
    // SAFETY: the caller guarantees four readable lanes.
    unsafe { _mm256_loadu_si256(ptr.cast()) }
}

/// Stores four lanes to `ptr`.
///
/// # Safety
/// `ptr..ptr + 4` must be writable.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) unsafe fn store(ptr: *mut u64, value: __m256i) {
    // SAFETY: the caller guarantees four writable lanes.
    unsafe { _mm256_storeu_si256(ptr.cast(), value) }
}

/// `value` in every lane.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn splat(value: u64) -> __m256i {
    _mm256_set1_epi64x(value as i64)
}

/// Unsigned `min(a, b)` per lane.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn min_epu64(a: __m256i, b: __m256i) -> __m256i {
    let sign = splat(1 << 63);
    let a_greater = _mm256_cmpgt_epi64(_mm256_xor_si256(a, sign), _mm256_xor_si256(b, sign));
    _mm256_blendv_epi8(a, b, a_greater)
}

/// `x - bound` where `x >= bound`, else `x` (the AVX2 twin of the AVX-512 `reduce_once`).
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn reduce_once(x: __m256i, bound: __m256i) -> __m256i {
    min_epu64(x, _mm256_sub_epi64(x, bound))
}

/// The low 64 bits of `a·b` per lane.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn mullo_epi64(a: __m256i, b: __m256i) -> __m256i {
    let cross = _mm256_add_epi64(
        _mm256_mul_epu32(a, _mm256_srli_epi64::<32>(b)),
        _mm256_mul_epu32(_mm256_srli_epi64::<32>(a), b),
    );
    _mm256_add_epi64(_mm256_mul_epu32(a, b), _mm256_slli_epi64::<32>(cross))
}

/// `y·w mod q` with the approximate Shoup quotient of [`crate::Modulus::mul_shoup_approx`]
/// (`w_shoup` full, `w_shoup_hi = w_shoup >> 32`). Any `y < 2^64`; output in `[0, 4q)`.
#[inline]
#[target_feature(enable = "avx2")]
pub(crate) fn mul_shoup_approx(y: __m256i, w: __m256i, w_shoup: __m256i, w_shoup_hi: __m256i, q: __m256i) -> __m256i {
    let y_hi = _mm256_srli_epi64::<32>(y);
    let hi_hi = _mm256_mul_epu32(w_shoup_hi, y_hi);
    let hi_lo = _mm256_mul_epu32(w_shoup_hi, y);
    let lo_hi = _mm256_mul_epu32(w_shoup, y_hi);
    let middle = _mm256_add_epi64(_mm256_srli_epi64::<32>(hi_lo), _mm256_srli_epi64::<32>(lo_hi));
    let quotient = _mm256_add_epi64(hi_hi, middle);
    _mm256_sub_epi64(mullo_epi64(w, y), mullo_epi64(quotient, q))
}
