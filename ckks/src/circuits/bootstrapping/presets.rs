//! Bootstrappable parameter sets within the 128-bit bound.

use super::config::{BootstrappingConfig, EvalModConfig};
use super::encapsulation::SparseEncapsulation;
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
    /// `N = 2^16`, uniform ternary secret with sparse-secret encapsulation (ModRaise under an
    /// ephemeral secret of Hamming weight 32, [`SparseEncapsulation::H32`]), scale `2^50`,
    /// 6 levels left after bootstrapping.
    ///
    /// Chain (bits, from `q_0`): `60 | 50 × 6 | 42 42 42 | 60 × 8 | 57 57 57`: the base prime,
    /// six levels for the computation, SlotsToCoeffs (3), EvalMod (8: a degree-63 even
    /// interpolant on `[−16, 16]` and 2 double angles), CoeffsToSlots (3); `P = 59 × 10`,
    /// `dnum = 2`: `log QP = 1727 ≤ 1772` for the dense secret. The sparse secret appears only
    /// in the dense-to-sparse key, modulo `q_0·P'` with a 61-bit `P'`: 121 bits, the cited
    /// bound for `h = 32` at `N = 2^16` (checked when the circuit is built).
    N65536SparseEncapsulated,
}

impl BootstrappingPreset {
    /// Every preset.
    pub const ALL: [BootstrappingPreset; 2] =
        [BootstrappingPreset::N65536UniformTernary, BootstrappingPreset::N65536SparseEncapsulated];

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
            BootstrappingPreset::N65536SparseEncapsulated => {
                let mut q = vec![60];
                q.extend([50; 6]);
                q.extend([42; 3]);
                q.extend([60; 8]);
                q.extend([57; 3]);
                Parameters::builder()
                    .log_n(16)
                    .q_bits(&q)
                    .p_bits(&[59; 10])
                    .dnum(2)
                    .log_scale(50.0)
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
        let dft_levels = 3.min(slots.trailing_zeros() as usize);
        match self {
            BootstrappingPreset::N65536UniformTernary => BootstrappingConfig {
                slots,
                coeffs_to_slots_levels: dft_levels,
                slots_to_coeffs_levels: dft_levels,
                // |I| has a standard deviation of about sqrt(h/12) ≈ 60 for h ≈ 2N/3 = 43,690:
                // K = 512 is 8.5 deviations (a coefficient outside has probability < 2^-55).
                eval_mod: EvalModConfig { interval_bound: 512, double_angles: 4, degree: 255 },
                coeffs_to_slots_hoisting: Hoisting::Double,
                slots_to_coeffs_hoisting: Hoisting::Single,
                encapsulation: None,
            },
            BootstrappingPreset::N65536SparseEncapsulated => BootstrappingConfig {
                slots,
                coeffs_to_slots_levels: dft_levels,
                slots_to_coeffs_levels: dft_levels,
                // Under the weight-32 secret |I| ≤ 16 always (33 terms of at most 1/2 each):
                // K = 16 never fails. 2 double angles leave cos(2π·16.25·u/4) to the
                // interpolant, whose degree-62 Chebyshev error is far below 2^-40.
                eval_mod: EvalModConfig { interval_bound: 16, double_angles: 2, degree: 63 },
                coeffs_to_slots_hoisting: Hoisting::Double,
                slots_to_coeffs_hoisting: Hoisting::Single,
                encapsulation: Some(SparseEncapsulation::H32),
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
        for (preset, levels_left) in BootstrappingPreset::ALL.into_iter().zip([2, 6]) {
            let params = preset.parameters().unwrap();
            assert!(!params.is_insecure());
            assert!(params.log_qp_bits() <= max_log_qp_128(params.log_n()).unwrap());
            let config = preset.config(params.max_slots());
            config.validate(&params).unwrap();
            assert_eq!(config.output_level(&params).unwrap(), levels_left, "{preset:?}");
        }
        let params = BootstrappingPreset::N65536UniformTernary.parameters().unwrap();
        assert_eq!((params.log_qp_bits(), params.dnum(), params.max_level()), (1771, 2, 20));
        let params = BootstrappingPreset::N65536SparseEncapsulated.parameters().unwrap();
        assert_eq!((params.log_qp_bits(), params.dnum(), params.max_level()), (1727, 2, 20));
    }

    /// The sparse secret's small chain is certified at the cited bound and refused above it
    /// (a larger special prime, another weight), and without the insecure opt-in the refusal
    /// reaches the circuit's validation.
    #[test]
    fn encapsulation_is_held_to_the_cited_bound() {
        let preset = BootstrappingPreset::N65536SparseEncapsulated;
        let params = preset.parameters().unwrap();
        let small = SparseEncapsulation::H32.parameters(&params).unwrap();
        assert_eq!((small.log_qp_bits(), small.q_primes(), small.p_primes().len()), (121, &params.q_primes()[..1], 1));
        assert_eq!(small.security_level(), Some(crate::params::SecurityLevel::Bits128));
        assert!(!small.is_insecure());
        let wider = SparseEncapsulation { special_prime_bits: 62, ..SparseEncapsulation::H32 };
        assert_eq!(
            wider.parameters(&params).unwrap_err(),
            CkksError::SecurityBoundExceeded { log_n: 16, log_qp: 122, max_log_qp: 121 }
        );
        let denser = SparseEncapsulation { hamming_weight: 64, ..SparseEncapsulation::H32 };
        let secret = SecretDistribution::FixedHammingWeight { weight: 64 };
        assert_eq!(denser.parameters(&params).unwrap_err(), CkksError::UncertifiedSecretDistribution { secret });
        let config = BootstrappingConfig { encapsulation: Some(wider), ..preset.config(params.max_slots()) };
        assert!(matches!(
            config.validate(&params),
            Err(crate::circuits::CircuitError::Ckks(CkksError::SecurityBoundExceeded { .. }))
        ));
    }
}
