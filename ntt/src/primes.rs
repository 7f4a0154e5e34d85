//! NTT-friendly prime generation and primitive roots of unity.

use crate::error::NttError;
use crate::modulus::{MAX_MODULUS_BITS, Modulus};

/// Smallest bit size accepted by [`generate_ntt_primes`].
pub const MIN_PRIME_BITS: u32 = 4;

/// Deterministic primality test for any `u64`.
///
/// Miller–Rabin with the first twelve primes as bases, which is exact for every `n < 3.3·10^24`,
/// hence for all 64-bit inputs.
pub fn is_prime(n: u64) -> bool {
    const BASES: [u64; 12] = [2, 3, 5, 7, 11, 13, 17, 19, 23, 29, 31, 37];
    if n < 2 {
        return false;
    }
    for p in BASES {
        if n.is_multiple_of(p) {
            return n == p;
        }
    }
    let mul = |a: u64, b: u64| (u128::from(a) * u128::from(b) % u128::from(n)) as u64;
    let pow = |mut base: u64, mut e: u64| {
        let mut r = 1u64;
        while e > 0 {
            if e & 1 == 1 {
                r = mul(r, base);
            }
            base = mul(base, base);
            e >>= 1;
        }
        r
    };
    let s = (n - 1).trailing_zeros();
    let d = (n - 1) >> s;
    'bases: for a in BASES {
        let mut x = pow(a, d);
        if x == 1 || x == n - 1 {
            continue;
        }
        for _ in 1..s {
            x = mul(x, x);
            if x == n - 1 {
                continue 'bases;
            }
        }
        return false;
    }
    true
}

/// Returns `count` distinct primes `q ≡ 1 (mod 2n)` with exactly `bits` bits
/// (`2^(bits-1) < q < 2^bits`), largest first.
///
/// `n` must be a power of two and `bits` in `MIN_PRIME_BITS..=62`.
///
/// # Errors
/// [`NttError::DegreeNotPowerOfTwo`], [`NttError::PrimeBitsOutOfRange`], or
/// [`NttError::NotEnoughPrimes`] when the interval holds fewer than `count` such primes.
///
/// ```
/// let primes = spencnn_ntt::primes::generate_ntt_primes(40, 8192, 3).unwrap();
/// assert!(primes.iter().all(|&q| q % 16384 == 1 && q >> 39 == 1));
/// ```
pub fn generate_ntt_primes(bits: u32, n: usize, count: usize) -> Result<Vec<u64>, NttError> {
    if !n.is_power_of_two() {
        return Err(NttError::DegreeNotPowerOfTwo { n });
    }
    if !(MIN_PRIME_BITS..=MAX_MODULUS_BITS).contains(&bits) {
        return Err(NttError::PrimeBitsOutOfRange { bits, min: MIN_PRIME_BITS, max: MAX_MODULUS_BITS });
    }
    let two_n = 2 * n as u64;
    let lower = 1u64 << (bits - 1);
    let upper = 1u64 << bits; // exclusive
    let mut primes = Vec::with_capacity(count.min(1 << 16));
    // Largest candidate of the form k*2n + 1 below 2^bits; walk down while above 2^(bits-1).
    let mut candidate = (upper - 1) / two_n * two_n + 1;
    while primes.len() < count && candidate > lower && candidate < upper {
        if is_prime(candidate) {
            primes.push(candidate);
        }
        candidate = match candidate.checked_sub(two_n) {
            Some(c) => c,
            None => break,
        };
    }
    if primes.len() < count {
        return Err(NttError::NotEnoughPrimes { bits, two_n, requested: count, found: primes.len() });
    }
    Ok(primes)
}

/// The smallest primitive `2n`-th root of unity modulo the prime `q` (deterministic).
///
/// # Errors
/// [`NttError::DegreeNotPowerOfTwo`], modulus errors from [`Modulus::new`],
/// [`NttError::ModulusNotPrime`] or [`NttError::ModulusNotNttFriendly`].
pub fn minimal_primitive_root(n: usize, q: u64) -> Result<u64, NttError> {
    if !n.is_power_of_two() {
        return Err(NttError::DegreeNotPowerOfTwo { n });
    }
    let modulus = Modulus::new(q)?;
    if !is_prime(q) {
        return Err(NttError::ModulusNotPrime { q });
    }
    let two_n = 2 * n as u64;
    if !(q - 1).is_multiple_of(two_n) {
        return Err(NttError::ModulusNotNttFriendly { q, two_n });
    }
    // For a power of two 2n, g has order exactly 2n iff g^n = -1.
    let is_primitive = |g: u64| modulus.pow(g, n as u64) == q - 1;
    let cofactor = (q - 1) / two_n;
    let mut generator = None;
    for x in 2..q {
        let g = modulus.pow(x, cofactor);
        if is_primitive(g) {
            generator = Some(g);
            break;
        }
    }
    // Half of the residues are non-squares, so the loop ends after a few steps for any prime.
    let g = generator.ok_or(NttError::ModulusNotNttFriendly { q, two_n })?;
    // All primitive 2n-th roots are the odd powers of g; pick the smallest for reproducibility.
    let g_squared = modulus.mul(g, g);
    let mut root = g;
    let mut smallest = g;
    for _ in 0..n {
        root = modulus.mul(root, g_squared);
        smallest = smallest.min(root);
    }
    Ok(smallest)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn primality_matches_trial_division_on_small_numbers() {
        let trial = |n: u64| n >= 2 && (2..).take_while(|d| d * d <= n).all(|d| !n.is_multiple_of(d));
        for n in 0..5000 {
            assert_eq!(is_prime(n), trial(n), "n={n}");
        }
    }

    #[test]
    fn known_large_primes_and_composites() {
        assert!(is_prime(1_152_921_504_606_584_833));
        assert!(is_prime(1_125_899_903_827_969));
        assert!(is_prime((1 << 61) - 1));
        assert!(!is_prime(3_215_031_751)); // strong pseudoprime to bases 2, 3, 5, 7
        assert!(!is_prime(((1u64 << 31) - 1) * 65_537));
    }

    #[test]
    fn generated_primes_have_the_requested_shape() {
        for (bits, n) in [(30, 1024), (40, 8192), (50, 65536), (60, 65536), (62, 131072)] {
            let primes = generate_ntt_primes(bits, n, 4).unwrap();
            assert_eq!(primes.len(), 4);
            for window in primes.windows(2) {
                assert!(window[0] > window[1], "distinct, descending");
            }
            for q in primes {
                assert!(is_prime(q));
                assert_eq!(q % (2 * n as u64), 1);
                assert_eq!(64 - q.leading_zeros(), bits);
            }
        }
        // The comparator prime of the NTT benchmarks is the largest 60-bit one for n = 2^16.
        assert_eq!(generate_ntt_primes(60, 65536, 1).unwrap()[0], 1_152_921_504_606_584_833);
    }

    #[test]
    fn prime_generation_errors() {
        assert_eq!(generate_ntt_primes(40, 1000, 1), Err(NttError::DegreeNotPowerOfTwo { n: 1000 }));
        assert_eq!(generate_ntt_primes(63, 1024, 1), Err(NttError::PrimeBitsOutOfRange { bits: 63, min: 4, max: 62 }));
        assert!(matches!(generate_ntt_primes(12, 1024, 5), Err(NttError::NotEnoughPrimes { .. })));
    }

    #[test]
    fn primitive_root_has_order_two_n() {
        let q = 1_152_921_504_606_584_833;
        let m = Modulus::new(q).unwrap();
        for n in [16usize, 1024, 65536] {
            let psi = minimal_primitive_root(n, q).unwrap();
            assert_eq!(m.pow(psi, n as u64), q - 1);
            assert_eq!(m.pow(psi, 2 * n as u64), 1);
        }
        assert_eq!(minimal_primitive_root(1024, 97), Err(NttError::ModulusNotNttFriendly { q: 97, two_n: 2048 }));
        assert_eq!(minimal_primitive_root(16, 33 * 3), Err(NttError::ModulusNotPrime { q: 99 }));
    }
}
