//! AVX-512 ChaCha20: sixteen blocks at once, one block per lane (a 16×16 word transpose puts
//! them back in stream order), and rejection sampling by in-register compression.

use std::arch::x86_64::*;

use super::{BATCH_WORDS, CONSTANTS};

/// The 16 keystream blocks `counter, …, counter + 15` in stream order: the twin of
/// `scalar::keystream_batch`.
///
/// # Safety
/// The CPU supports AVX-512 F, DQ, BW and VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn keystream_batch(key: &[u32; 8], stream: u64, counter: u64, out: &mut [u64; BATCH_WORDS]) {
    let splat = |word: u32| _mm512_set1_epi32(word as i32);
    let lanes = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    // Lane b counts block `counter + b`; a lane whose low word wrapped carries into the high.
    let counter_low = _mm512_add_epi32(splat(counter as u32), lanes);
    let carry = _mm512_cmplt_epu32_mask(counter_low, lanes);
    let counter_high =
        _mm512_mask_add_epi32(splat((counter >> 32) as u32), carry, splat((counter >> 32) as u32), splat(1));
    let initial = [
        splat(CONSTANTS[0]),
        splat(CONSTANTS[1]),
        splat(CONSTANTS[2]),
        splat(CONSTANTS[3]),
        splat(key[0]),
        splat(key[1]),
        splat(key[2]),
        splat(key[3]),
        splat(key[4]),
        splat(key[5]),
        splat(key[6]),
        splat(key[7]),
        counter_low,
        counter_high,
        splat(stream as u32),
        splat((stream >> 32) as u32),
    ];
    let mut x = initial;
    macro_rules! quarter {
        ($a:literal, $b:literal, $c:literal, $d:literal) => {
            x[$a] = _mm512_add_epi32(x[$a], x[$b]);
            x[$d] = _mm512_rol_epi32::<16>(_mm512_xor_si512(x[$d], x[$a]));
            x[$c] = _mm512_add_epi32(x[$c], x[$d]);
            x[$b] = _mm512_rol_epi32::<12>(_mm512_xor_si512(x[$b], x[$c]));
            x[$a] = _mm512_add_epi32(x[$a], x[$b]);
            x[$d] = _mm512_rol_epi32::<8>(_mm512_xor_si512(x[$d], x[$a]));
            x[$c] = _mm512_add_epi32(x[$c], x[$d]);
            x[$b] = _mm512_rol_epi32::<7>(_mm512_xor_si512(x[$b], x[$c]));
        };
    }
    for _ in 0..10 {
        quarter!(0, 4, 8, 12);
        quarter!(1, 5, 9, 13);
        quarter!(2, 6, 10, 14);
        quarter!(3, 7, 11, 15);
        quarter!(0, 5, 10, 15);
        quarter!(1, 6, 11, 12);
        quarter!(2, 7, 8, 13);
        quarter!(3, 4, 9, 14);
    }
    for (word, start) in x.iter_mut().zip(initial) {
        *word = _mm512_add_epi32(*word, start);
    }
    // Transpose: x[w] holds word w of the 16 blocks; block b must become one vector.
    let zero = _mm512_setzero_si512();
    let mut pairs = [zero; 16];
    for i in 0..8 {
        pairs[2 * i] = _mm512_unpacklo_epi32(x[2 * i], x[2 * i + 1]);
        pairs[2 * i + 1] = _mm512_unpackhi_epi32(x[2 * i], x[2 * i + 1]);
    }
    let mut quads = [zero; 16];
    for i in 0..4 {
        for j in 0..2 {
            quads[4 * i + j] = _mm512_unpacklo_epi64(pairs[4 * i + j], pairs[4 * i + 2 + j]);
            quads[4 * i + 2 + j] = _mm512_unpackhi_epi64(pairs[4 * i + j], pairs[4 * i + 2 + j]);
        }
    }
    let mut halves = [zero; 16];
    for i in 0..2 {
        for k in 0..4 {
            halves[8 * i + k] = _mm512_shuffle_i32x4::<0x88>(quads[8 * i + k], quads[8 * i + 4 + k]);
            halves[8 * i + 4 + k] = _mm512_shuffle_i32x4::<0xdd>(quads[8 * i + k], quads[8 * i + 4 + k]);
        }
    }
    for k in 0..8 {
        let (first, second) = (
            _mm512_shuffle_i32x4::<0x88>(halves[k], halves[8 + k]),
            _mm512_shuffle_i32x4::<0xdd>(halves[k], halves[8 + k]),
        );
        // After the unpacks, vector k holds block k with its bits 0 and 1 swapped.
        for (vector, value) in [(k, first), (8 + k, second)] {
            let block = (vector & !3) | ((vector & 1) << 1) | ((vector >> 1) & 1);
            // SAFETY: `block < 16`, so the 8 words at `8·block` are inside `out` (128 words).
            unsafe { _mm512_storeu_si512(out.as_mut_ptr().add(8 * block).cast(), value) };
        }
    }
}

/// The twin of `scalar::accept`: compresses the accepted candidates of each vector in
/// registers (a compressing store to memory is slow on some cores) and stores the whole vector
/// at the running count; the words past the count are overwritten by the next store or ignored.
///
/// # Safety
/// The CPU supports AVX-512 F, DQ, BW and VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn accept(words: &[u64; BATCH_WORDS], mask: u64, q: u64, out: &mut [u64; BATCH_WORDS]) -> usize {
    let (mask, q) = (_mm512_set1_epi64(mask as i64), _mm512_set1_epi64(q as i64));
    let mut count = 0;
    let mut tail = [0u64; 8];
    for chunk in words.chunks_exact(8) {
        // SAFETY: `chunk` has 8 words.
        let candidates = _mm512_and_si512(unsafe { _mm512_loadu_si512(chunk.as_ptr().cast()) }, mask);
        let accepted = _mm512_cmplt_epu64_mask(candidates, q);
        let packed = _mm512_maskz_compress_epi64(accepted, candidates);
        if count + 8 <= BATCH_WORDS {
            // SAFETY: `count + 8 ≤ 128`, so the 8 words at `count` are inside `out`.
            unsafe { _mm512_storeu_si512(out.as_mut_ptr().add(count).cast(), packed) };
        } else {
            // SAFETY: `tail` has 8 words.
            unsafe { _mm512_storeu_si512(tail.as_mut_ptr().cast(), packed) };
            out[count..].copy_from_slice(&tail[..BATCH_WORDS - count]);
        }
        count += accepted.count_ones() as usize;
    }
    count
}
