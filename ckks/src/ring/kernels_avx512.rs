//! AVX-512 (F + DQ) twins of the hot scalar kernels in [`super::kernels`]: the basis-conversion
//! sum `Σ_i x_i·w_i mod q` and the mod-down/rescale step `(a − b)·w mod q`, 8 lanes at a time.
//!
//! Each function computes exactly what its scalar twin computes (tested bit for bit in
//! `kernels::tests`); the dispatchers in `kernels` call them only when the CPU has AVX-512 F
//! and DQ. Lengths must be multiples of 8 (ring degrees are powers of two `≥ 16`); the
//! dispatchers check this.

use std::arch::x86_64::*;

/// `hi64(a·b)` per 64-bit lane, from four 32×32 → 64 products.
#[inline]
#[target_feature(enable = "avx512f")]
fn mul_high(a: __m512i, b: __m512i) -> __m512i {
    let low_mask = _mm512_set1_epi64(0xffff_ffff);
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

/// Shoup product `x·w mod q` in `[0, 2q)` for any 64-bit `x` (`w < q`, `w_shoup = ⌊w·2^64/q⌋`).
#[inline]
#[target_feature(enable = "avx512f,avx512dq")]
fn mul_shoup_lazy(x: __m512i, w: __m512i, w_shoup: __m512i, q: __m512i) -> __m512i {
    let quotient = mul_high(x, w_shoup);
    _mm512_sub_epi64(_mm512_mullo_epi64(x, w), _mm512_mullo_epi64(quotient, q))
}

/// `x` in `[0, 2m)` (`m < 2^63`) mapped to `[0, m)`: `min(x, x − m)` as unsigned.
#[inline]
#[target_feature(enable = "avx512f")]
fn reduce_once(x: __m512i, m: __m512i) -> __m512i {
    _mm512_min_epu64(x, _mm512_sub_epi64(x, m))
}

/// AVX-512 twin of `kernels::multiply_scalars_accumulate`. Input any `u64`; output in `[0, q)`.
///
/// # Safety
/// The CPU must support AVX-512 F and DQ; `out.len()` and every `inputs[i].len()` must be
/// equal and a multiple of 8; `inputs.len() == constants.len()`; `q < 2^62`.
#[target_feature(enable = "avx512f,avx512dq")]
pub unsafe fn multiply_scalars_accumulate(out: &mut [u64], inputs: &[&[u64]], constants: &[(u64, u64)], q: u64) {
    let q_vec = _mm512_set1_epi64(q as i64);
    let two_q = _mm512_set1_epi64(2 * q as i64);
    let broadcast: Vec<(__m512i, __m512i)> =
        constants.iter().map(|&(w, s)| (_mm512_set1_epi64(w as i64), _mm512_set1_epi64(s as i64))).collect();
    for start in (0..out.len()).step_by(8) {
        let mut acc = _mm512_setzero_si512();
        for (input, &(w, w_shoup)) in inputs.iter().zip(&broadcast) {
            // SAFETY: `start + 8 ≤ input.len()` (equal lengths, multiples of 8); unaligned load.
            let x = unsafe { _mm512_loadu_si512(input.as_ptr().add(start).cast()) };
            // acc in [0, 2q) plus a product in [0, 2q): below 4q < 2^64, then back to [0, 2q).
            acc = reduce_once(_mm512_add_epi64(acc, mul_shoup_lazy(x, w, w_shoup, q_vec)), two_q);
        }
        // SAFETY: `start + 8 ≤ out.len()`; unaligned store.
        unsafe { _mm512_storeu_si512(out.as_mut_ptr().add(start).cast(), reduce_once(acc, q_vec)) };
    }
}

/// AVX-512 twin of `kernels::sub_then_multiply_scalar`: `a = (a − b)·w mod q`, `a`, `b` reduced.
///
/// # Safety
/// The CPU must support AVX-512 F and DQ; `a.len() == b.len()`, a multiple of 8; `q < 2^62`.
#[target_feature(enable = "avx512f,avx512dq")]
pub unsafe fn sub_then_multiply_scalar(a: &mut [u64], b: &[u64], w: u64, w_shoup: u64, q: u64) {
    let q_vec = _mm512_set1_epi64(q as i64);
    let (w, w_shoup) = (_mm512_set1_epi64(w as i64), _mm512_set1_epi64(w_shoup as i64));
    for start in (0..a.len()).step_by(8) {
        // SAFETY: `start + 8 ≤ a.len() = b.len()`; unaligned loads.
        let (x, y) = unsafe {
            (_mm512_loadu_si512(a.as_ptr().add(start).cast()), _mm512_loadu_si512(b.as_ptr().add(start).cast()))
        };
        // a + q − b in [1, 2q): any u64 is a valid Shoup input.
        let difference = _mm512_sub_epi64(_mm512_add_epi64(x, q_vec), y);
        let product = reduce_once(mul_shoup_lazy(difference, w, w_shoup, q_vec), q_vec);
        // SAFETY: `start + 8 ≤ a.len()`; unaligned store.
        unsafe { _mm512_storeu_si512(a.as_mut_ptr().add(start).cast(), product) };
    }
}

/// AVX-512 twin of `kernels::signed_to_residues`: `out = values mod q` for any `i64`.
///
/// # Safety
/// The CPU must support AVX-512 F and DQ; `out.len() == values.len()`, a multiple of 8;
/// `q < 2^62`.
#[target_feature(enable = "avx512f,avx512dq")]
pub unsafe fn signed_to_residues(out: &mut [u64], values: &[i64], q: u64) {
    let q_vec = _mm512_set1_epi64(q as i64);
    let one = _mm512_set1_epi64(1);
    // ⌊2^64 / q⌋: the Shoup companion of 1.
    let one_shoup = _mm512_set1_epi64(((1u128 << 64) / u128::from(q)) as u64 as i64);
    let zero = _mm512_setzero_si512();
    for start in (0..out.len()).step_by(8) {
        // SAFETY: `start + 8 ≤ values.len()`; unaligned load.
        let v = unsafe { _mm512_loadu_si512(values.as_ptr().add(start).cast()) };
        // |v| as an unsigned lane (|i64::MIN| = 2^63 is representable).
        let magnitude = _mm512_abs_epi64(v);
        let r = reduce_once(mul_shoup_lazy(magnitude, one, one_shoup, q_vec), q_vec);
        // Negative and non-zero: q − r.
        let flip = _mm512_cmplt_epi64_mask(v, zero) & _mm512_cmpneq_epi64_mask(r, zero);
        let residue = _mm512_mask_sub_epi64(r, flip, q_vec, r);
        // SAFETY: `start + 8 ≤ out.len()`; unaligned store.
        unsafe { _mm512_storeu_si512(out.as_mut_ptr().add(start).cast(), residue) };
    }
}

/// AVX-512 twin of `kernels::centred_single_convert`.
///
/// # Safety
/// The CPU must support AVX-512 F and DQ; `out.len() == x.len()`, a multiple of 8;
/// `s_mod_q < q < 2^62`.
#[target_feature(enable = "avx512f,avx512dq")]
pub unsafe fn centred_single_convert(out: &mut [u64], x: &[u64], half: u64, s_mod_q: u64, q: u64) {
    let q_vec = _mm512_set1_epi64(q as i64);
    let one = _mm512_set1_epi64(1);
    let one_shoup = _mm512_set1_epi64(((1u128 << 64) / u128::from(q)) as u64 as i64);
    let (half, s_mod_q) = (_mm512_set1_epi64(half as i64), _mm512_set1_epi64(s_mod_q as i64));
    for start in (0..out.len()).step_by(8) {
        // SAFETY: `start + 8 ≤ x.len()`; unaligned load.
        let v = unsafe { _mm512_loadu_si512(x.as_ptr().add(start).cast()) };
        let r = reduce_once(mul_shoup_lazy(v, one, one_shoup, q_vec), q_vec);
        // Above half: subtract s mod q; r − c wraps when r < c, then r − c + q is the minimum.
        let above = _mm512_cmpgt_epu64_mask(v, half);
        let d = _mm512_sub_epi64(r, s_mod_q);
        let corrected = _mm512_min_epu64(d, _mm512_add_epi64(d, q_vec));
        // SAFETY: `start + 8 ≤ out.len()`; unaligned store.
        unsafe { _mm512_storeu_si512(out.as_mut_ptr().add(start).cast(), _mm512_mask_mov_epi64(r, above, corrected)) };
    }
}
