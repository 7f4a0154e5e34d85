//! A Gaussian stand-in for CKKS rounding noise, for the slot simulator's precision probe.
//!
//! CKKS adds an error of a few units (in the coefficient domain) at every rescale and every
//! key-switching mod-down: the rounding of `c_0 + c_1·s` divided by a prime. With a uniform
//! ternary secret (`≈ 2N/3` non-zero coefficients), each coefficient of that error has variance
//! `≈ (1 + 2N/3) / 12`; decoding sums `N` coefficients into a slot and divides by the scale, so
//! a slot's real part gets a near-Gaussian error of standard deviation
//! `σ(N) / Δ` with `σ(N)² = N · (1 + 2N/3) / 24`.
//!
//! The simulator adds such an error after every operation that rounds (rescale, mod-down) and at
//! encryption. Its purpose is not to predict CKKS's error exactly but how much the network
//! amplifies a rounding error: the bits of precision lost between the working scale and the
//! logits, which the parameter search subtracts from each candidate scale.

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};

/// Standard deviation of the simulated rounding error, as `2^log2_sigma / scale` per slot.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct NoiseModel {
    /// `log2 σ` in units of the ciphertext's scale (see the module docs).
    pub log2_sigma: f64,
}

impl NoiseModel {
    /// Rounding noise of a ring of degree `2^log_n` with a uniform ternary secret.
    pub fn rounding(log_n: u32) -> Self {
        let n = f64::from(log_n).exp2();
        Self { log2_sigma: 0.5 * (n * (1.0 + 2.0 * n / 3.0) / 24.0).log2() }
    }

    /// The absolute standard deviation of a slot's error at `scale`.
    pub fn sigma_at(&self, scale: f64) -> f64 {
        self.log2_sigma.exp2() / scale
    }
}

/// A seeded source of `N(0, 1)` samples (Box–Muller over ChaCha8; the noise is not secret).
#[derive(Debug)]
pub(crate) struct GaussianSource {
    rng: ChaCha8Rng,
    spare: Option<f64>,
}

impl GaussianSource {
    /// A source seeded with `seed`.
    pub(crate) fn new(seed: u64) -> Self {
        Self { rng: ChaCha8Rng::seed_from_u64(seed), spare: None }
    }

    /// A uniform sample in `(0, 1]`.
    fn uniform(&mut self) -> f64 {
        ((self.rng.next_u64() >> 11) + 1) as f64 / (1u64 << 53) as f64
    }

    /// One standard normal sample.
    pub(crate) fn sample(&mut self) -> f64 {
        if let Some(z) = self.spare.take() {
            return z;
        }
        let radius = (-2.0 * self.uniform().ln()).sqrt();
        let angle = std::f64::consts::TAU * self.uniform();
        self.spare = Some(radius * angle.sin());
        radius * angle.cos()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::{Backend, SlotSimulator};
    use crate::plan::ScaleModel;

    fn std_dev(values: &[f64]) -> f64 {
        (values.iter().map(|v| v * v).sum::<f64>() / values.len() as f64).sqrt()
    }

    #[test]
    fn noisy_simulator_adds_the_model_error_at_encryption_and_rescale_only() {
        let slots = 8192;
        let chain = ScaleModel::uniform(20, 2);
        let model = NoiseModel { log2_sigma: 10.0 };
        let exact = SlotSimulator::new(slots, chain.clone(), None);
        let noisy = SlotSimulator::new(slots, chain, None).with_noise(model, 5);
        let zeros = vec![0.0; slots];
        let scale = 2f64.powi(40);
        assert_eq!(exact.encrypt(&zeros, 2, scale).unwrap().values, zeros);
        let fresh = noisy.encrypt(&zeros, 2, scale).unwrap();
        let ratio = std_dev(&fresh.values) / 2f64.powi(-30);
        assert!((ratio - 1.0).abs() < 0.05, "fresh: {ratio}");
        // Rescaling to 2^20 adds σ = 2^10 / 2^20; adding two ciphertexts adds no new error.
        let rescaled = noisy.rescale(&fresh).unwrap();
        let ratio = std_dev(&rescaled.values) / 2f64.powi(-10);
        assert!((ratio - 1.0).abs() < 0.05, "rescaled: {ratio}");
        let doubled = noisy.add(&rescaled, &rescaled).unwrap();
        assert_eq!(doubled.values, rescaled.values.iter().map(|v| 2.0 * v).collect::<Vec<_>>());
    }

    #[test]
    fn gaussian_source_has_unit_variance_and_zero_mean() {
        let mut g = GaussianSource::new(3);
        let samples: Vec<f64> = (0..200_000).map(|_| g.sample()).collect();
        let mean = samples.iter().sum::<f64>() / samples.len() as f64;
        let var = samples.iter().map(|x| (x - mean) * (x - mean)).sum::<f64>() / samples.len() as f64;
        assert!(mean.abs() < 0.01, "mean {mean}");
        assert!((var - 1.0).abs() < 0.02, "variance {var}");
    }

    #[test]
    fn rounding_noise_grows_with_the_ring_degree() {
        // σ(2^14)² = 2^14 · (1 + 2^15/3) / 24 ≈ 7.46e6, log2 σ ≈ 11.4.
        let b = NoiseModel::rounding(14).log2_sigma;
        assert!((b - 11.41).abs() < 0.01, "{b}");
        assert!((NoiseModel::rounding(16).log2_sigma - b - 2.0).abs() < 0.01);
        assert_eq!(NoiseModel { log2_sigma: 3.0 }.sigma_at(2.0), 4.0);
    }
}
