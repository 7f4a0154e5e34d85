//! CKKS bootstrapping: ModRaise, CoeffsToSlots, EvalMod and SlotsToCoeffs.

mod config;
pub mod dft;
mod homomorphic_dft;
mod mod_raise;

pub use config::{BootstrappingConfig, EvalModConfig};

use crate::params::Parameters;

/// The lowest level of a ciphertext (only `q_0`).
pub(crate) const MIN_LEVEL: usize = crate::evaluator::LOWEST_LEVEL;

/// The number of Q primes of a ciphertext at `level`.
pub(crate) fn ciphertext_q_limbs(level: usize) -> usize {
    level
}

/// The prime a rescale at `level` divides by.
pub(crate) fn rescale_prime(params: &Parameters, level: usize) -> u64 {
    params.q_primes()[ciphertext_q_limbs(level) - 1]
}
