//! The abstract modulus chain: per-level rescaling primes and the working scale.
//!
//! The planner chooses every plaintext's scale from this model so that additions always meet
//! equal scales; a CKKS backend plugs in its real primes with [`ScaleModel::from_moduli`].

use serde::Serialize;

/// Rescaling primes and the default scale.
///
/// `moduli[ℓ]` is the prime removed when a ciphertext at level `ℓ` is rescaled (`moduli[0]`, the
/// base prime, is never removed). Levels run from `max_level()` (fresh) down to 0.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ScaleModel {
    /// Working scale `Δ` of fresh ciphertexts and of values after each rescale.
    pub scale: f64,
    /// Prime of every level (as a real number).
    pub moduli: Vec<f64>,
}

impl ScaleModel {
    /// Bits the base prime `q_0` has above the scale: room for decrypted values up to `2^19`.
    pub const BASE_HEADROOM_BITS: u32 = 20;

    /// Every rescaling prime equal to `2^log_scale`, `levels` levels above a base prime of
    /// `2^(log_scale + BASE_HEADROOM_BITS)`.
    pub fn uniform(log_scale: u32, levels: usize) -> Self {
        let scale = 2f64.powi(log_scale as i32);
        let mut moduli = vec![scale; levels + 1];
        moduli[0] = scale * 2f64.powi(Self::BASE_HEADROOM_BITS as i32);
        Self { scale, moduli }
    }

    /// A model from real primes `q_0, q_1, …` (index = level) and a working scale.
    pub fn from_moduli(scale: f64, moduli: Vec<f64>) -> Self {
        Self { scale, moduli }
    }

    /// Highest level available.
    pub fn max_level(&self) -> usize {
        self.moduli.len().saturating_sub(1)
    }

    /// Prime removed by a rescale at `level`.
    pub fn prime(&self, level: usize) -> f64 {
        self.moduli[level]
    }

    /// Plaintext scale that brings a ciphertext of scale `ct_scale` at `level` to `target` after
    /// one multiply and one rescale.
    pub fn plaintext_scale(&self, ct_scale: f64, level: usize, target: f64) -> f64 {
        target * self.prime(level) / ct_scale
    }
}
