//! What a bootstrapping circuit is made of: the slot count, the level budgets of the two
//! homomorphic DFTs and the approximation of the modular reduction.

use super::encapsulation::SparseEncapsulation;
use crate::circuits::CircuitError;
use crate::circuits::linear_transform::Hoisting;
use crate::error::CkksError;
use crate::params::Parameters;

/// The approximation of `x ↦ x mod 1` (EvalMod), for `x = I + ε` with an integer `|I| < K`
/// and a small `ε` (the message over `q_0`).
///
/// It evaluates `cos(2π(x − 1/4)/2^r)` with a Chebyshev interpolant of degree `degree` on
/// `[−K, K]` (the input arrives divided by `K`), then `r` double-angle steps
/// `c ↦ 2c² − 1`, which give `cos(2π(x − 1/4)) = sin(2πx)`; `sin(2πx)/(2π) ≈ ε`, and the
/// factor `1/(2π)` is folded into SlotsToCoeffs. Depth: `ceil(log2(degree + 1)) + r`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct EvalModConfig {
    /// The bound `K` on `|I|`: ModRaise adds `q_0·I` with `|I|` about `sqrt(h/12)·6` for a
    /// secret of Hamming weight `h` (a probability of about `2^-30` per coefficient at `6σ`).
    pub interval_bound: u32,
    /// The number `r` of double-angle steps.
    pub double_angles: u32,
    /// The degree of the Chebyshev interpolant of the scaled cosine.
    pub degree: usize,
}

impl EvalModConfig {
    /// The multiplicative depth: `ceil(log2(degree + 1)) + r`.
    pub fn depth(&self) -> usize {
        (usize::BITS - self.degree.leading_zeros()) as usize + self.double_angles as usize
    }
}

/// The shape of a bootstrapping circuit for a parameter set.
///
/// The circuit consumes, from the top level `L`: `coeffs_to_slots_levels` levels of
/// CoeffsToSlots, [`EvalModConfig::depth`] levels of EvalMod and `slots_to_coeffs_levels`
/// levels of SlotsToCoeffs; the bootstrapped ciphertext is at level
/// `L − depth` ([`BootstrappingConfig::output_level`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct BootstrappingConfig {
    /// Number of slots of the ciphertexts to bootstrap (a power of two, `2 ≤ slots ≤ N/2`).
    pub slots: usize,
    /// Levels (matrices) of CoeffsToSlots.
    pub coeffs_to_slots_levels: usize,
    /// Levels (matrices) of SlotsToCoeffs.
    pub slots_to_coeffs_levels: usize,
    /// The modular reduction.
    pub eval_mod: EvalModConfig,
    /// How the CoeffsToSlots transforms hoist their rotations (double hoisting pays off at the
    /// top levels, where a mod-down is most expensive).
    pub coeffs_to_slots_hoisting: Hoisting,
    /// How the SlotsToCoeffs transforms hoist their rotations.
    pub slots_to_coeffs_hoisting: Hoisting,
    /// Whether ModRaise runs under an ephemeral sparse secret (see [`SparseEncapsulation`]);
    /// `None`: under the parameters' secret.
    pub encapsulation: Option<SparseEncapsulation>,
}

impl BootstrappingConfig {
    /// The levels the circuit consumes.
    pub fn depth(&self) -> usize {
        self.coeffs_to_slots_levels + self.eval_mod.depth() + self.slots_to_coeffs_levels
    }

    /// The level of a bootstrapped ciphertext under `params`.
    ///
    /// # Errors
    /// [`CircuitError::BootstrappingTooDeep`] when the chain has fewer levels than the circuit.
    pub fn output_level(&self, params: &Parameters) -> Result<usize, CircuitError> {
        let top = params.max_level();
        top.checked_sub(self.depth()).ok_or(CircuitError::BootstrappingTooDeep { depth: self.depth(), max_level: top })
    }

    /// Checks the configuration against `params`.
    ///
    /// # Errors
    /// [`CkksError::InvalidSlotCount`] unless `2 ≤ slots ≤ N/2` is a power of two,
    /// [`CircuitError::InvalidLevelBudget`] unless each DFT has `1..=log2(slots)` levels,
    /// [`CircuitError::InvalidEvalMod`] for a zero bound or degree,
    /// [`CircuitError::BootstrappingTooDeep`], and the errors of
    /// [`SparseEncapsulation::parameters`] (a sparse secret or small chain without a cited
    /// security estimate).
    pub fn validate(&self, params: &Parameters) -> Result<(), CircuitError> {
        let max = params.max_slots();
        if self.slots < 2 || !self.slots.is_power_of_two() || self.slots > max {
            return Err(CkksError::InvalidSlotCount { slots: self.slots, max }.into());
        }
        let log_slots = self.slots.trailing_zeros();
        for levels in [self.coeffs_to_slots_levels, self.slots_to_coeffs_levels] {
            if levels == 0 || levels > log_slots as usize {
                return Err(CircuitError::InvalidLevelBudget { levels, log_slots });
            }
        }
        let eval_mod = &self.eval_mod;
        if eval_mod.interval_bound == 0 || eval_mod.degree == 0 {
            return Err(CircuitError::InvalidEvalMod {
                interval_bound: eval_mod.interval_bound,
                degree: eval_mod.degree,
            });
        }
        if let Some(encapsulation) = &self.encapsulation {
            encapsulation.parameters(params)?;
        }
        self.output_level(params).map(|_| ())
    }
}
