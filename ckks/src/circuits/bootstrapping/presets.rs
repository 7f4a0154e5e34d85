//! Bootstrappable parameter sets within the 128-bit bound.

use super::config::{BootstrappingConfig, EvalModConfig};
use crate::circuits::linear_transform::Hoisting;
use crate::error::CkksError;
use crate::params::{Parameters, ParametersBuilder, SecretDistribution};

/// Named bootstrappable parameter sets: the prime chain (built and checked by
/// [`ParametersBuilder`], so within the HomomorphicEncryption.org 128-bit bound) and the
/// circuit ([`BootstrappingPreset::config`]). `docs/ckks.md` explains the choices and gives
/// their measured precision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum BootstrappingPreset {
    /// `N = 2^16`, uniform ternary secret, scale `2^52`, 2 levels left after bootstrapping.
    ///
    /// Chain (bits, from `q_0`): `60 | 52 52 | 42 42 42 | 60 × 12 | 57 57 57`: the base prime,
    /// two levels for the computation, SlotsToCoeffs (3 levels), EvalMod (12 levels: a
    /// degree-255 even interpolant on `[−512, 512]` and 4 double angles), CoeffsToSlots (3
    /// levels); `P = 59 × 10`, `dnum = 2`: `log QP = 1771 ≤ 1772`.
    N65536UniformTernary,
}

impl BootstrappingPreset {
    /// Every preset.
    pub const ALL: [BootstrappingPreset; 1] = [BootstrappingPreset::N65536UniformTernary];

    /// The builder of the preset's parameters (to change e.g. the scale before building).
    pub fn builder(self) -> ParametersBuilder {
        match self {
            BootstrappingPreset::N65536UniformTernary => {
                let mut q = vec![60, 52, 52, 42, 42, 42];
                q.extend([60; 12]);
                q.extend([57; 3]);
                Parameters::builder()
                    .log_n(16)
                    .q_bits(&q)
                    .p_bits(&[59; 10])
                    .dnum(2)
                    .log_scale(52.0)
                    .secret_distribution(SecretDistribution::UniformTernary)
            }
        }
    }

    /// Builds the preset's parameters.
    ///
    /// # Errors
    /// None in practice: presets are checked by the tests.
    pub fn parameters(self) -> Result<Parameters, CkksError> {
        self.builder().build()
    }

    /// The bootstrapping circuit for `slots` slots (`2 ≤ slots ≤ N/2`, a power of two; checked
    /// by [`super::Bootstrapper::new`]).
    pub fn config(self, slots: usize) -> BootstrappingConfig {
        match self {
            BootstrappingPreset::N65536UniformTernary => BootstrappingConfig {
                slots,
                coeffs_to_slots_levels: 3.min(slots.trailing_zeros() as usize),
                slots_to_coeffs_levels: 3.min(slots.trailing_zeros() as usize),
                // |I| has a standard deviation of about sqrt(h/12) ≈ 60 for h ≈ 2N/3 = 43,690:
                // K = 512 is 8.5 deviations (a coefficient outside has probability < 2^-55).
                eval_mod: EvalModConfig { interval_bound: 512, double_angles: 4, degree: 255 },
                coeffs_to_slots_hoisting: Hoisting::Double,
                slots_to_coeffs_hoisting: Hoisting::Single,
            },
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::max_log_qp_128;

    #[test]
    fn presets_are_secure_and_leave_their_levels() {
        for preset in BootstrappingPreset::ALL {
            let params = preset.parameters().unwrap();
            assert!(!params.is_insecure());
            assert!(params.log_qp_bits() <= max_log_qp_128(params.log_n()).unwrap());
            let config = preset.config(params.max_slots());
            config.validate(&params).unwrap();
            assert_eq!(config.output_level(&params).unwrap(), 2, "{preset:?}");
        }
        let params = BootstrappingPreset::N65536UniformTernary.parameters().unwrap();
        assert_eq!((params.log_qp_bits(), params.dnum(), params.max_level()), (1771, 2, 20));
    }
}
