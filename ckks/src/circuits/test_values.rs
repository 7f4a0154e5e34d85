//! Deterministic test inputs shared by the circuits' unit tests.

use crate::encoding::Complex;

/// `n` pseudo-random complex values with real and imaginary parts in `[-1, 1)`, the same for
/// the same `seed` (an xorshift stream: reproducible without a random-number crate).
pub(crate) fn random_complex(n: usize, seed: u64) -> Vec<Complex> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
    };
    (0..n).map(|_| Complex::new(next(), next())).collect()
}
