//! AVX2 ChaCha20: eight blocks at once, one block per lane, put back in stream order by two
//! 8×8 word transposes. (Rejection sampling runs on the scalar twin.)

use std::arch::x86_64::*;

use super::{BATCH_WORDS, CONSTANTS};

/// `x` rotated left by 16 bits in every lane (a byte shuffle).
#[inline]
#[target_feature(enable = "avx2")]
fn rotate_16(x: __m256i) -> __m256i {
    let order = _mm256_setr_epi8(
        2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13, 2, 3, 0, 1, 6, 7, 4, 5, 10, 11, 8, 9, 14, 15, 12, 13,
    );
    _mm256_shuffle_epi8(x, order)
}

/// `x` rotated left by 8 bits in every lane (a byte shuffle).
#[inline]
#[target_feature(enable = "avx2")]
fn rotate_8(x: __m256i) -> __m256i {
    let order = _mm256_setr_epi8(
        3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14, 3, 0, 1, 2, 7, 4, 5, 6, 11, 8, 9, 10, 15, 12, 13, 14,
    );
    _mm256_shuffle_epi8(x, order)
}

/// `x` rotated left by `LEFT` bits (`RIGHT = 32 − LEFT`) in every lane.
#[inline]
#[target_feature(enable = "avx2")]
fn rotate<const LEFT: i32, const RIGHT: i32>(x: __m256i) -> __m256i {
    _mm256_or_si256(_mm256_slli_epi32::<LEFT>(x), _mm256_srli_epi32::<RIGHT>(x))
}

/// Transposes eight vectors of eight words: `rows[b]` gets word `b` of every input vector.
#[inline]
#[target_feature(enable = "avx2")]
fn transpose(x: &[__m256i; 8]) -> [__m256i; 8] {
    let t: [__m256i; 8] = std::array::from_fn(|i| {
        let (a, b) = (x[i & !1], x[i | 1]);
        if i % 2 == 0 { _mm256_unpacklo_epi32(a, b) } else { _mm256_unpackhi_epi32(a, b) }
    });
    // u[4h + k]: words 4h..4h+3 of blocks k (low half) and k + 4 (high half).
    let u: [__m256i; 8] = std::array::from_fn(|i| {
        let (h, k) = (i / 4, i % 4);
        let (a, b) = (t[4 * h + k / 2], t[4 * h + 2 + k / 2]);
        if k % 2 == 0 { _mm256_unpacklo_epi64(a, b) } else { _mm256_unpackhi_epi64(a, b) }
    });
    std::array::from_fn(|b| {
        if b < 4 {
            _mm256_permute2x128_si256::<0x20>(u[b], u[4 + b])
        } else {
            _mm256_permute2x128_si256::<0x31>(u[b - 4], u[b])
        }
    })
}

/// Eight blocks `counter, …, counter + 7` into `out[..64]` in stream order.
#[inline]
#[target_feature(enable = "avx2")]
fn eight_blocks(key: &[u32; 8], stream: u64, counter: u64, out: &mut [u64]) {
    let splat = |word: u32| _mm256_set1_epi32(word as i32);
    let lanes = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
    let counter_low = _mm256_add_epi32(splat(counter as u32), lanes);
    // Unsigned `counter_low < lanes` (the low word wrapped): flip the sign bits, compare signed.
    let bias = splat(0x8000_0000);
    let wrapped = _mm256_cmpgt_epi32(_mm256_xor_si256(lanes, bias), _mm256_xor_si256(counter_low, bias));
    // `wrapped` is −1 where a carry is due.
    let counter_high = _mm256_sub_epi32(splat((counter >> 32) as u32), wrapped);
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
            x[$a] = _mm256_add_epi32(x[$a], x[$b]);
            x[$d] = rotate_16(_mm256_xor_si256(x[$d], x[$a]));
            x[$c] = _mm256_add_epi32(x[$c], x[$d]);
            x[$b] = rotate::<12, 20>(_mm256_xor_si256(x[$b], x[$c]));
            x[$a] = _mm256_add_epi32(x[$a], x[$b]);
            x[$d] = rotate_8(_mm256_xor_si256(x[$d], x[$a]));
            x[$c] = _mm256_add_epi32(x[$c], x[$d]);
            x[$b] = rotate::<7, 25>(_mm256_xor_si256(x[$b], x[$c]));
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
        *word = _mm256_add_epi32(*word, start);
    }
    let low = transpose(&[x[0], x[1], x[2], x[3], x[4], x[5], x[6], x[7]]);
    let high = transpose(&[x[8], x[9], x[10], x[11], x[12], x[13], x[14], x[15]]);
    for (block, words) in out[..64].chunks_exact_mut(8).enumerate() {
        // SAFETY: `words` has 8 u64 = two vectors of eight u32.
        unsafe {
            _mm256_storeu_si256(words.as_mut_ptr().cast(), low[block]);
            _mm256_storeu_si256(words.as_mut_ptr().add(4).cast(), high[block]);
        }
    }
}

/// The 16 keystream blocks `counter, …, counter + 15` in stream order: the twin of
/// `scalar::keystream_batch`.
///
/// # Safety
/// The CPU supports AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn keystream_batch(key: &[u32; 8], stream: u64, counter: u64, out: &mut [u64; BATCH_WORDS]) {
    let (first, second) = out.split_at_mut(64);
    eight_blocks(key, stream, counter, first);
    eight_blocks(key, stream, counter.wrapping_add(8), second);
}
