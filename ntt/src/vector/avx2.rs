//! AVX2 element-wise kernels (four lanes; the tail of a slice runs on the scalar twins).
//! Ranges as in `vector/mod.rs`: inputs reduced unless stated, outputs reduced. Products of two
//! variable vectors (`mul_assign`, the multiply-accumulates) have no AVX2 kernel: without a
//! 64-bit multiplier they are no faster than the scalar `mulx` path, which AVX2 plans use.

use std::arch::x86_64::*;

use super::scalar;
use crate::modulus::Modulus;
use crate::simd::avx2::{load, min_epu64, mul_shoup_approx, reduce_once, splat, store};

/// Applies `f` to the full vectors of `a` (and the matching vectors of `b`), returning the
/// length of that prefix.
///
/// # Safety
/// `b.len() >= a.len()`; the CPU supports AVX2.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn zip_vectors(a: &mut [u64], b: &[u64], mut f: impl FnMut(__m256i, __m256i) -> __m256i) -> usize {
    let body = a.len() / 4 * 4;
    for j in (0..body).step_by(4) {
        // SAFETY: j + 4 <= body <= a.len() <= b.len().
        unsafe { store(a.as_mut_ptr().add(j), f(load(a.as_ptr().add(j)), load(b.as_ptr().add(j)))) };
    }
    body
}

/// `a + b mod q`.
///
/// # Safety
/// Equal lengths; the CPU supports AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn add_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) {
    let q = splat(modulus.value());
    // SAFETY: equal lengths (caller).
    let body = unsafe { zip_vectors(a, b, |x, y| reduce_once(_mm256_add_epi64(x, y), q)) };
    scalar::add_assign(&mut a[body..], &b[body..], modulus);
}

/// `a − b mod q`.
///
/// # Safety
/// Equal lengths; the CPU supports AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn sub_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) {
    let q = splat(modulus.value());
    let sub = |x, y| {
        let d = _mm256_sub_epi64(x, y);
        min_epu64(d, _mm256_add_epi64(d, q))
    };
    // SAFETY: equal lengths (caller).
    let body = unsafe { zip_vectors(a, b, sub) };
    scalar::sub_assign(&mut a[body..], &b[body..], modulus);
}

/// `−a mod q`.
///
/// # Safety
/// The CPU supports AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn neg_assign(a: &mut [u64], modulus: &Modulus) {
    let q = splat(modulus.value());
    let body = a.len() / 4 * 4;
    for j in (0..body).step_by(4) {
        // SAFETY: j + 4 <= a.len().
        unsafe {
            let ptr = a.as_mut_ptr().add(j);
            store(ptr, reduce_once(_mm256_sub_epi64(q, load(ptr)), q));
        }
    }
    scalar::neg_assign(&mut a[body..], modulus);
}

/// `a·w mod q` with Shoup companions; `a` any `u64`.
///
/// # Safety
/// Equal lengths; the CPU supports AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn mul_shoup_assign(a: &mut [u64], w: &[u64], w_shoup: &[u64], modulus: &Modulus) {
    let (q, two_q) = (splat(modulus.value()), splat(2 * modulus.value()));
    let body = a.len() / 4 * 4;
    for j in (0..body).step_by(4) {
        // SAFETY: j + 4 <= a.len() = w.len() = w_shoup.len().
        unsafe {
            let shoup = load(w_shoup.as_ptr().add(j));
            let ptr = a.as_mut_ptr().add(j);
            let product =
                mul_shoup_approx(load(ptr), load(w.as_ptr().add(j)), shoup, _mm256_srli_epi64::<32>(shoup), q);
            store(ptr, reduce_once(reduce_once(product, two_q), q));
        }
    }
    scalar::mul_shoup_assign(&mut a[body..], &w[body..], &w_shoup[body..], modulus);
}

/// `a·c mod q` for a reduced constant with companion; `a` any `u64`.
///
/// # Safety
/// The CPU supports AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn mul_scalar_assign(a: &mut [u64], c: u64, c_shoup: u64, modulus: &Modulus) {
    let (q, two_q) = (splat(modulus.value()), splat(2 * modulus.value()));
    let (w, shoup, shoup_hi) = (splat(c), splat(c_shoup), splat(c_shoup >> 32));
    let body = a.len() / 4 * 4;
    for j in (0..body).step_by(4) {
        // SAFETY: j + 4 <= a.len().
        unsafe {
            let ptr = a.as_mut_ptr().add(j);
            let product = mul_shoup_approx(load(ptr), w, shoup, shoup_hi, q);
            store(ptr, reduce_once(reduce_once(product, two_q), q));
        }
    }
    scalar::mul_scalar_assign(&mut a[body..], c, c_shoup, modulus);
}
