//! Portable ChaCha20 keystream and rejection sampling: the twins of the SIMD kernels.

use super::{BATCH_WORDS, CONSTANTS};

/// One ChaCha20 double round (a column round, then a diagonal round) on a state.
#[inline(always)]
fn double_round(x: &mut [u32; 16]) {
    #[inline(always)]
    fn quarter(x: &mut [u32; 16], a: usize, b: usize, c: usize, d: usize) {
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(16);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(12);
        x[a] = x[a].wrapping_add(x[b]);
        x[d] = (x[d] ^ x[a]).rotate_left(8);
        x[c] = x[c].wrapping_add(x[d]);
        x[b] = (x[b] ^ x[c]).rotate_left(7);
    }
    quarter(x, 0, 4, 8, 12);
    quarter(x, 1, 5, 9, 13);
    quarter(x, 2, 6, 10, 14);
    quarter(x, 3, 7, 11, 15);
    quarter(x, 0, 5, 10, 15);
    quarter(x, 1, 6, 11, 12);
    quarter(x, 2, 7, 8, 13);
    quarter(x, 3, 4, 9, 14);
}

/// The 16 keystream blocks `counter, …, counter + 15` (block counter wrapping modulo `2^64`)
/// of ChaCha20 with 32-byte `key` (eight little-endian words) and 64-bit `stream` (the nonce),
/// as 128 little-endian 64-bit words in stream order.
pub(super) fn keystream_batch(key: &[u32; 8], stream: u64, counter: u64, out: &mut [u64; BATCH_WORDS]) {
    for (block, words) in out.chunks_exact_mut(8).enumerate() {
        let position = counter.wrapping_add(block as u64);
        let mut initial = [0u32; 16];
        initial[..4].copy_from_slice(&CONSTANTS);
        initial[4..12].copy_from_slice(key);
        initial[12] = position as u32;
        initial[13] = (position >> 32) as u32;
        initial[14] = stream as u32;
        initial[15] = (stream >> 32) as u32;
        let mut x = initial;
        for _ in 0..10 {
            double_round(&mut x);
        }
        for (k, word) in words.iter_mut().enumerate() {
            let low = x[2 * k].wrapping_add(initial[2 * k]);
            let high = x[2 * k + 1].wrapping_add(initial[2 * k + 1]);
            *word = u64::from(low) | (u64::from(high) << 32);
        }
    }
}

/// Moves the words `w & mask` that are below `q` to the front of `out`, in order, and returns
/// their count. Branch-free (the words are public, but a branch per word mispredicts at
/// acceptance rates near 1/2).
pub(super) fn accept(words: &[u64; BATCH_WORDS], mask: u64, q: u64, out: &mut [u64; BATCH_WORDS]) -> usize {
    let mut count = 0;
    for &word in words {
        let candidate = word & mask;
        out[count] = candidate;
        count += usize::from(candidate < q);
    }
    count
}
