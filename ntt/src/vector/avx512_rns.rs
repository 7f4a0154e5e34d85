//! AVX-512 kernels of RNS basis conversion and exact division (eight lanes; the tail of a slice
//! runs on the scalar twins): the weighted sum `Σ_i x_i·w_i mod q`, the centred single-prime
//! conversion, the divide step `(a − b)·c mod q`, and signed integers to residues.
//!
//! Their Shoup products use the exact high word of `x·w'` (four 32×32-bit partial products
//! with carries), so a product lies in `[0, 2q)` for any 64-bit `x`; that keeps a running sum
//! of products in `[0, 2q)` with one conditional subtraction per term, whatever the number of
//! terms. Each kernel computes exactly what its scalar twin in `scalar.rs` computes.

use std::arch::x86_64::*;

use super::scalar;
use crate::modulus::Modulus;
use crate::simd::avx512::{load, reduce_once, splat, store};

/// `⌊a·b / 2^64⌋` per lane, for any 64-bit `a`, `b`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn mul_high(a: __m512i, b: __m512i) -> __m512i {
    let low_mask = splat(0xffff_ffff);
    let (a_hi, b_hi) = (_mm512_srli_epi64::<32>(a), _mm512_srli_epi64::<32>(b));
    let ll = _mm512_mul_epu32(a, b);
    let lh = _mm512_mul_epu32(a, b_hi);
    let hl = _mm512_mul_epu32(a_hi, b);
    let hh = _mm512_mul_epu32(a_hi, b_hi);
    // The carry out of the low 64 bits: at most 34 bits, no overflow.
    let mid = _mm512_add_epi64(
        _mm512_srli_epi64::<32>(ll),
        _mm512_add_epi64(_mm512_and_si512(lh, low_mask), _mm512_and_si512(hl, low_mask)),
    );
    _mm512_add_epi64(
        _mm512_add_epi64(hh, _mm512_srli_epi64::<32>(mid)),
        _mm512_add_epi64(_mm512_srli_epi64::<32>(lh), _mm512_srli_epi64::<32>(hl)),
    )
}

/// Shoup product `x·w mod q` in `[0, 2q)` for any 64-bit `x` (`w < q`, `w_shoup = ⌊w·2^64/q⌋`):
/// the vector twin of [`Modulus::mul_shoup_lazy`].
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn mul_shoup_lazy(x: __m512i, w: __m512i, w_shoup: __m512i, q: __m512i) -> __m512i {
    let quotient = mul_high(x, w_shoup);
    _mm512_sub_epi64(_mm512_mullo_epi64(x, w), _mm512_mullo_epi64(quotient, q))
}

/// `out[j] = Σ_i inputs[i][j]·w_i mod q`: inputs any `u64`, the running sum in `[0, 2q)`,
/// output reduced.
///
/// # Safety
/// Every input has `out.len()` entries, `weights.len() == inputs.len()`, every `w_i < q`; the
/// CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn weighted_sum(out: &mut [u64], inputs: &[&[u64]], weights: &[(u64, u64)], modulus: &Modulus) {
    let (q, two_q) = (splat(modulus.value()), splat(2 * modulus.value()));
    let broadcast: Vec<(__m512i, __m512i)> = weights.iter().map(|&(w, s)| (splat(w), splat(s))).collect();
    let body = out.len() / 8 * 8;
    for j in (0..body).step_by(8) {
        let mut acc = _mm512_setzero_si512();
        for (input, &(w, w_shoup)) in inputs.iter().zip(&broadcast) {
            // SAFETY: j + 8 <= body <= input.len().
            let x = unsafe { load(input.as_ptr().add(j)) };
            // acc in [0, 2q) plus a product in [0, 2q): below 4q < 2^64, then back to [0, 2q).
            acc = reduce_once(_mm512_add_epi64(acc, mul_shoup_lazy(x, w, w_shoup, q)), two_q);
        }
        // SAFETY: j + 8 <= out.len().
        unsafe { store(out.as_mut_ptr().add(j), reduce_once(acc, q)) };
    }
    scalar::weighted_sum(&mut out[body..], inputs, weights, modulus, body);
}

/// `out[j] = [x_j]_s mod q` for `x_j ∈ [0, s)`; output reduced.
///
/// # Safety
/// `input.len() == out.len()`; `source_mod_q < q`; the CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn reduce_centred(
    out: &mut [u64],
    input: &[u64],
    source_half: u64,
    source_mod_q: u64,
    modulus: &Modulus,
) {
    let q = splat(modulus.value());
    let (one, one_shoup) = (splat(1), splat(modulus.shoup(1)));
    let (half, s_mod_q) = (splat(source_half), splat(source_mod_q));
    let body = out.len() / 8 * 8;
    for j in (0..body).step_by(8) {
        // SAFETY: j + 8 <= body <= input.len().
        let x = unsafe { load(input.as_ptr().add(j)) };
        let r = reduce_once(mul_shoup_lazy(x, one, one_shoup, q), q);
        // Above half: subtract s mod q; r − c wraps when r < c, then r − c + q is the minimum.
        let above = _mm512_cmpgt_epu64_mask(x, half);
        let d = _mm512_sub_epi64(r, s_mod_q);
        let corrected = _mm512_min_epu64(d, _mm512_add_epi64(d, q));
        // SAFETY: j + 8 <= out.len().
        unsafe { store(out.as_mut_ptr().add(j), _mm512_mask_mov_epi64(r, above, corrected)) };
    }
    scalar::reduce_centred(&mut out[body..], &input[body..], source_half, source_mod_q, modulus);
}

/// `a[j] = (a[j] − b[j])·c mod q`; `a`, `b` reduced, output reduced.
///
/// # Safety
/// `a.len() == b.len()`; `c < q`, `c_shoup = shoup(c)`; the CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn sub_mul_scalar_assign(a: &mut [u64], b: &[u64], c: u64, c_shoup: u64, modulus: &Modulus) {
    let q = splat(modulus.value());
    let (c_vec, c_shoup_vec) = (splat(c), splat(c_shoup));
    let body = a.len() / 8 * 8;
    for j in (0..body).step_by(8) {
        // SAFETY: j + 8 <= body <= a.len() = b.len().
        let (x, y) = unsafe { (load(a.as_ptr().add(j)), load(b.as_ptr().add(j))) };
        // a + q − b in [1, 2q): any u64 is a valid Shoup input.
        let difference = _mm512_sub_epi64(_mm512_add_epi64(x, q), y);
        let product = reduce_once(mul_shoup_lazy(difference, c_vec, c_shoup_vec, q), q);
        // SAFETY: j + 8 <= a.len().
        unsafe { store(a.as_mut_ptr().add(j), product) };
    }
    scalar::sub_mul_scalar_assign(&mut a[body..], &b[body..], c, c_shoup, modulus);
}

/// `out[j] = values[j] mod q` for any `i64`; output reduced.
///
/// # Safety
/// `values.len() == out.len()`; the CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn signed_to_residues(out: &mut [u64], values: &[i64], modulus: &Modulus) {
    let q = splat(modulus.value());
    let (one, one_shoup) = (splat(1), splat(modulus.shoup(1)));
    let zero = _mm512_setzero_si512();
    let body = out.len() / 8 * 8;
    for j in (0..body).step_by(8) {
        // SAFETY: j + 8 <= body <= values.len(); i64 and u64 lanes have the same layout.
        let v = unsafe { load(values.as_ptr().add(j).cast()) };
        // |v| as an unsigned lane (|i64::MIN| = 2^63 is representable).
        let magnitude = _mm512_abs_epi64(v);
        let r = reduce_once(mul_shoup_lazy(magnitude, one, one_shoup, q), q);
        // Negative and non-zero: q − r.
        let flip = _mm512_cmplt_epi64_mask(v, zero) & _mm512_cmpneq_epi64_mask(r, zero);
        // SAFETY: j + 8 <= out.len().
        unsafe { store(out.as_mut_ptr().add(j), _mm512_mask_sub_epi64(r, flip, q, r)) };
    }
    scalar::signed_to_residues(&mut out[body..], &values[body..], modulus);
}
