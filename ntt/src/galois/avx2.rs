//! AVX2 Galois automorphism kernels (hardware gathers, four lanes).

use std::arch::x86_64::*;

use crate::modulus::Modulus;
use crate::simd::avx2::{load, reduce_once, splat, store};

/// NTT-form automorphism `output[i] = input[source[i]]` by `vpgatherdq`.
///
/// # Safety
/// `source.len() == input.len() == output.len()`, a multiple of 4, every index below `n`; the
/// CPU supports AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn gather(source: &[u32], input: &[u64], output: &mut [u64]) {
    for i in (0..source.len()).step_by(4) {
        // SAFETY: i + 4 <= n and every gathered index is below n (caller).
        unsafe {
            let indices = _mm_loadu_si128(source.as_ptr().add(i).cast());
            store(output.as_mut_ptr().add(i), _mm256_i32gather_epi64::<8>(input.as_ptr().cast(), indices));
        }
    }
}

/// Coefficient-form automorphism as a gather (see the AVX-512 twin). Input and output reduced.
///
/// # Safety
/// `input.len() == output.len() = n`, a power of two `>= 4`; `k_inverse < 2n`; the CPU supports
/// AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn automorphism_coefficients(input: &[u64], output: &mut [u64], k_inverse: u64, modulus: &Modulus) {
    let n = input.len() as u64;
    let (mask_2n, mask_n, n_bit) = (splat(2 * n - 1), splat(n - 1), splat(n));
    let q = splat(modulus.value());
    let lanes = [0, k_inverse, 2 * k_inverse, 3 * k_inverse].map(|v| v & (2 * n - 1));
    // SAFETY: reading a local array of four u64.
    let mut index = unsafe { load(lanes.as_ptr()) };
    let step = splat(4 * k_inverse);
    for i in (0..input.len()).step_by(4) {
        // SAFETY: gather indices are masked below n; i + 4 <= n.
        unsafe {
            let values = _mm256_i64gather_epi64::<8>(input.as_ptr().cast(), _mm256_and_si256(index, mask_n));
            let wrapped = _mm256_cmpeq_epi64(_mm256_and_si256(index, n_bit), n_bit);
            let negated = reduce_once(_mm256_sub_epi64(q, values), q);
            store(output.as_mut_ptr().add(i), _mm256_blendv_epi8(values, negated, wrapped));
        }
        index = _mm256_and_si256(_mm256_add_epi64(index, step), mask_2n);
    }
}
