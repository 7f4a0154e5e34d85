//! Samplers for secrets, errors and uniform polynomials.
//!
//! Secret-dependent values (secret coefficients, errors, encryption randomness) are sampled
//! without branches or table lookups that depend on them: every decision is an arithmetic
//! mask or a full scan. Uniform polynomials are public (they are sent or derived from a public
//! seed), so they use plain rejection sampling.

use rand_core::{CryptoRng, RngCore};
use spencnn_ntt::uniform::UniformSampler;

use super::context::RingContext;
use super::poly::RnsPoly;
use super::representation::Ntt;
use crate::params::ERROR_STD_DEV;

/// Largest magnitude of a discrete Gaussian sample: `⌊6σ⌋` for σ = 3.2.
pub(crate) const GAUSSIAN_TAIL_BOUND: i64 = 19;

/// Uniform ternary coefficients in `{-1, 0, 1}`.
///
/// Each coefficient is `⌊3r / 2^64⌋ − 1` for a fresh 64-bit `r` (statistical distance from
/// uniform at most `2^-63` per coefficient), computed without branches.
pub(crate) fn sample_ternary<G: RngCore + CryptoRng>(rng: &mut G, n: usize) -> Vec<i64> {
    (0..n).map(|_| ((u128::from(rng.next_u64()) * 3) >> 64) as i64 - 1).collect()
}

/// Exactly `weight` coefficients in `{-1, 1}` at uniformly random positions, the rest zero.
///
/// The positions come from a data-oblivious shuffle: every entry gets a random 62-bit key and
/// the array is sorted by key with a bitonic network whose compare-exchanges are branch-free,
/// so the memory access pattern does not depend on the secret. `n` must be a power of two.
pub(crate) fn sample_fixed_hamming_weight<G: RngCore + CryptoRng>(rng: &mut G, n: usize, weight: usize) -> Vec<i64> {
    debug_assert!(n.is_power_of_two() && weight <= n);
    // Low two bits: 0 for zero, 1 for +1, 2 for −1.
    let mut tagged: Vec<u64> = (0..n)
        .map(|i| {
            let nonzero = u64::from(i < weight);
            let sign = rng.next_u64() & 1;
            let code = nonzero * (1 + sign);
            (rng.next_u64() << 2) | code
        })
        .collect();
    bitonic_sort(&mut tagged);
    tagged
        .iter()
        .map(|&t| {
            let code = (t & 3) as i64;
            // 0 → 0, 1 → 1, 2 → −1, without branches: code − 3·(code >> 1).
            code - 3 * (code >> 1)
        })
        .collect()
}

/// Sorts a power-of-two-length slice ascending with a bitonic network of branch-free
/// compare-exchanges.
fn bitonic_sort(values: &mut [u64]) {
    let n = values.len();
    let mut size = 2;
    while size <= n {
        let mut stride = size / 2;
        while stride > 0 {
            for i in 0..n {
                let partner = i ^ stride;
                if partner > i {
                    let ascending = u64::from(i & size == 0).wrapping_neg();
                    let (a, b) = (values[i], values[partner]);
                    let a_greater = u64::from(a > b).wrapping_neg();
                    // Swap when (a > b) == ascending.
                    let swap = !(a_greater ^ ascending);
                    let diff = (a ^ b) & swap;
                    values[i] = a ^ diff;
                    values[partner] = b ^ diff;
                }
            }
            stride /= 2;
        }
        size *= 2;
    }
}

/// The cumulative thresholds of the discrete Gaussian over `[-B, B]` (`B` =
/// [`GAUSSIAN_TAIL_BOUND`]) scaled to `2^64`: a uniform `r` maps to `-B + #{i : r ≥ T_i}`.
/// Computed in `f64`, so each probability is exact to about `2^-53` relative.
fn gaussian_thresholds() -> Vec<u64> {
    let bound = GAUSSIAN_TAIL_BOUND;
    let weights: Vec<f64> =
        (-bound..=bound).map(|x| (-(x * x) as f64 / (2.0 * ERROR_STD_DEV * ERROR_STD_DEV)).exp()).collect();
    let total: f64 = weights.iter().sum();
    let mut cumulative = 0.0;
    weights[..weights.len() - 1]
        .iter()
        .map(|w| {
            cumulative += w / total;
            (cumulative * 2f64.powi(64)).min(u64::MAX as f64) as u64
        })
        .collect()
}

/// Discrete Gaussian coefficients (σ = 3.2, support `[-19, 19]`) by a constant-time
/// cumulative-table scan: every sample compares against the whole table.
pub(crate) fn sample_gaussian<G: RngCore + CryptoRng>(rng: &mut G, n: usize) -> Vec<i64> {
    let thresholds = gaussian_thresholds();
    (0..n)
        .map(|_| {
            let r = rng.next_u64();
            let above: i64 = thresholds.iter().map(|&t| i64::from(r >= t)).sum();
            above - GAUSSIAN_TAIL_BOUND
        })
        .collect()
}

/// A uniformly random NTT-form polynomial expanded from a public 32-byte seed (ChaCha20,
/// rejection sampling per limb: [`UniformSampler`]). Uniform in NTT form is uniform in
/// coefficient form.
///
/// The limb of global prime `i` is drawn from ChaCha20 stream `i` of the seed, so it does not
/// depend on which other limbs are expanded: the expansion over `Q_ℓ·P` is the restriction of
/// the expansion over `Q·P` (a key or ciphertext restricted to a lower level keeps its seed),
/// and a limb can be expanded on its own ([`uniform_limb_sampler`]).
pub(crate) fn uniform_from_seed(seed: [u8; 32], ring: &RingContext, level: usize, special: usize) -> RnsPoly<Ntt> {
    let mut poly = RnsPoly::zero(ring, level, special);
    for i in 0..poly.limb_count() {
        uniform_limb_sampler(&seed, ring, ring.prime_index(level, i)).fill(poly.limb_mut(i));
    }
    poly
}

/// The sampler of the limb of global prime `prime` of [`uniform_from_seed`]`(seed, …)`.
pub(crate) fn uniform_limb_sampler(seed: &[u8; 32], ring: &RingContext, prime: usize) -> UniformSampler {
    UniformSampler::new(seed, prime as u64, ring.modulus(prime).value()).expect("ring primes are below 2^62")
}

/// A fresh 32-byte seed from a generator.
pub(crate) fn fresh_seed<G: RngCore + CryptoRng>(rng: &mut G) -> [u8; 32] {
    let mut seed = [0u8; 32];
    rng.fill_bytes(&mut seed);
    seed
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha20Rng;
    use rand_core::SeedableRng;

    use super::*;

    fn rng() -> ChaCha20Rng {
        ChaCha20Rng::from_seed([7; 32])
    }

    #[test]
    fn ternary_is_balanced() {
        let s = sample_ternary(&mut rng(), 30_000);
        for v in -1..=1 {
            let count = s.iter().filter(|&&x| x == v).count();
            assert!((9_400..10_600).contains(&count), "value {v}: {count}");
        }
        assert!(s.iter().all(|x| (-1..=1).contains(x)));
    }

    #[test]
    fn fixed_weight_has_the_weight_and_spread_positions() {
        let n = 4096;
        let s = sample_fixed_hamming_weight(&mut rng(), n, 192);
        assert_eq!(s.iter().filter(|&&x| x != 0).count(), 192);
        assert!(s.iter().all(|x| (-1..=1).contains(x)));
        let plus = s.iter().filter(|&&x| x == 1).count();
        assert!((60..132).contains(&plus), "signs balanced: {plus}");
        // Not left in the first positions.
        assert!(s[..192].iter().filter(|&&x| x != 0).count() < 40);
    }

    #[test]
    fn bitonic_network_sorts() {
        let mut r = rng();
        let mut v: Vec<u64> = (0..1024).map(|_| r.next_u64() % 100).collect();
        let mut expected = v.clone();
        expected.sort_unstable();
        bitonic_sort(&mut v);
        assert_eq!(v, expected);
    }

    #[test]
    fn gaussian_has_the_standard_deviation() {
        let e = sample_gaussian(&mut rng(), 100_000);
        let mean = e.iter().sum::<i64>() as f64 / e.len() as f64;
        let var = e.iter().map(|&x| (x as f64 - mean).powi(2)).sum::<f64>() / e.len() as f64;
        assert!(mean.abs() < 0.05, "mean {mean}");
        assert!((var.sqrt() - ERROR_STD_DEV).abs() < 0.05, "std {}", var.sqrt());
        assert!(e.iter().all(|x| x.abs() <= GAUSSIAN_TAIL_BOUND));
    }
}
