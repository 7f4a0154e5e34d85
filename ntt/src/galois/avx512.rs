//! AVX-512 Galois automorphism kernels.

use std::arch::x86_64::*;

use crate::modulus::Modulus;
use crate::simd::avx512::{load, reduce_once, splat, store};

/// NTT-form automorphism: output block `b` = input block `blocks[b] & 0xFFFF_FFFF` permuted by
/// the 3-bit lane indices in `blocks[b] >> 32` (one load, one `vpermq`, one store per 8
/// values). Moves values without changing them, so any lazy range is preserved.
///
/// # Safety
/// `input.len() == output.len() == 8·blocks.len()`, every source block start `+ 8 <= n`; the
/// CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn permute_blocks(blocks: &[u64], input: &[u64], output: &mut [u64]) {
    let shifts = _mm512_set_epi64(53, 50, 47, 44, 41, 38, 35, 32);
    for (b, &entry) in blocks.iter().enumerate() {
        let start = (entry & 0xFFFF_FFFF) as usize;
        debug_assert!(start + 8 <= input.len());
        // SAFETY: the caller guarantees the source block and output block are in bounds.
        unsafe {
            // vpermq reads only the low 3 bits of each index lane.
            let indices = _mm512_srlv_epi64(splat(entry), shifts);
            let values = _mm512_permutexvar_epi64(indices, load(input.as_ptr().add(start)));
            store(output.as_mut_ptr().add(8 * b), values);
        }
    }
}

/// Coefficient-form automorphism as a gather: `output[i] = ±input[i·k⁻¹ mod 2n mod n]`,
/// negated when `i·k⁻¹ mod 2n >= n`. Input reduced, output reduced.
///
/// # Safety
/// `input.len() == output.len() = n`, a power of two `>= 8`; `k_inverse < 2n`; the CPU supports
/// AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn automorphism_coefficients(input: &[u64], output: &mut [u64], k_inverse: u64, modulus: &Modulus) {
    let n = input.len() as u64;
    let (mask_2n, mask_n) = (splat(2 * n - 1), splat(n - 1));
    let q = splat(modulus.value());
    let mut index =
        _mm512_and_si512(_mm512_mullo_epi64(_mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0), splat(k_inverse)), mask_2n);
    let step = splat(8 * k_inverse);
    for i in (0..input.len()).step_by(8) {
        // SAFETY: gather indices are masked below n; i + 8 <= n.
        unsafe {
            let values = _mm512_i64gather_epi64::<8>(_mm512_and_si512(index, mask_n), input.as_ptr().cast());
            let wrapped = _mm512_test_epi64_mask(index, splat(n));
            let negated = reduce_once(_mm512_sub_epi64(q, values), q);
            store(output.as_mut_ptr().add(i), _mm512_mask_blend_epi64(wrapped, values, negated));
        }
        index = _mm512_and_si512(_mm512_add_epi64(index, step), mask_2n);
    }
}
