//! CKKS bootstrapping: ModRaise, CoeffsToSlots, EvalMod and SlotsToCoeffs.
//!
//! [`Bootstrapper`] encodes the circuit described by a [`BootstrappingConfig`] and refreshes
//! ciphertexts with the [`BootstrappingKeys`] listed by its [`KeyRequirements`]; with a
//! [`SparseEncapsulation`], ModRaise runs under an ephemeral sparse secret of a small chain
//! (security cited and enforced, see that type).

mod bootstrapper;
mod config;
pub mod dft;
mod encapsulation;
mod eval_mod;
mod homomorphic_dft;
mod keys;
mod mod_raise;
mod presets;

pub use bootstrapper::Bootstrapper;
pub use config::{BootstrappingConfig, EvalModConfig};
pub use encapsulation::{EncapsulationKeys, SparseEncapsulation};
pub use keys::{BootstrappingKeys, KeyRequirements};
pub use presets::BootstrappingPreset;

use crate::params::Parameters;

/// The lowest level of a ciphertext (only `q_0`).
pub(crate) const MIN_LEVEL: usize = crate::evaluator::LOWEST_LEVEL;

/// The prime `q_ℓ` a rescale at level `ℓ ≥ 1` divides by.
pub(crate) fn rescale_prime(params: &Parameters, level: usize) -> u64 {
    params.q_primes()[level]
}
