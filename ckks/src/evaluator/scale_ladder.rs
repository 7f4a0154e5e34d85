//! The scale of each level at which products land exactly (OpenFHE's "flexible" scaling).

use super::scale_matching::{LOWEST_LEVEL, rescale_divisor};
use crate::error::CkksError;
use crate::params::Parameters;

/// One scale per level, `Δ_ℓ`, such that the product of two ciphertexts at level `ℓ` with scale
/// `Δ_ℓ`, rescaled, has exactly the scale `Δ_{ℓ−1} = Δ_ℓ²/q` of the level below (`q` the prime
/// the rescale divides by). Values encoded at the ladder's scales therefore never need a scale
/// adjustment after a product.
///
/// The ladder is anchored at the lowest level (`Δ_lowest` = the parameters' default scale) and
/// built upwards with `Δ_ℓ = sqrt(Δ_{ℓ−1}·q)`. Built downwards from the top instead, a relative
/// offset `ε` between a prime and the scale doubles at every level (`Δ/q` is squared), which
/// over 20 levels turns `2^-20` into a factor of 2; built upwards the offsets halve, so every
/// `Δ_ℓ` stays within the largest `|q/Δ − 1|` of the default scale.
#[derive(Debug, Clone, PartialEq)]
pub struct ScaleLadder {
    /// `scales[ℓ − LOWEST_LEVEL]` is `Δ_ℓ`.
    scales: Vec<f64>,
}

impl ScaleLadder {
    /// The ladder anchored at the parameters' default scale.
    pub fn new(params: &Parameters) -> Self {
        Self::anchored(params, params.default_scale())
    }

    /// The ladder anchored at `lowest_scale` on the lowest level.
    ///
    /// # Errors
    /// [`CkksError::InvalidScale`] unless it is positive and finite.
    pub fn with_lowest_scale(params: &Parameters, lowest_scale: f64) -> Result<Self, CkksError> {
        if lowest_scale.is_finite() && lowest_scale > 0.0 {
            Ok(Self::anchored(params, lowest_scale))
        } else {
            Err(CkksError::InvalidScale { scale: lowest_scale })
        }
    }

    fn anchored(params: &Parameters, lowest_scale: f64) -> Self {
        let mut scales = vec![lowest_scale];
        for level in LOWEST_LEVEL + 1..=params.max_level() {
            let q = rescale_divisor(params, level).expect("above the lowest level") as f64;
            let below = *scales.last().expect("non-empty");
            scales.push((below * q).sqrt());
        }
        Self { scales }
    }

    /// `Δ_ℓ`.
    ///
    /// # Errors
    /// [`CkksError::LevelOutOfRange`] outside the chain.
    pub fn scale(&self, level: usize) -> Result<f64, CkksError> {
        level.checked_sub(LOWEST_LEVEL).and_then(|i| self.scales.get(i).copied()).ok_or(CkksError::LevelOutOfRange {
            level,
            min: LOWEST_LEVEL,
            max: LOWEST_LEVEL + self.scales.len() - 1,
        })
    }

    /// The largest relative distance `|Δ_ℓ/Δ_lowest − 1|` over the levels.
    pub fn max_relative_drift(&self) -> f64 {
        self.scales.iter().map(|s| (s / self.scales[0] - 1.0).abs()).fold(0.0, f64::max)
    }
}
