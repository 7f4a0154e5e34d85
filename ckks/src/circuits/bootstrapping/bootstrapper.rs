//! The bootstrapping circuit: (switch to the sparse secret,) ModRaise, (switch back to the
//! dense secret,) (sparse trace,) CoeffsToSlots, EvalMod, SlotsToCoeffs.

use std::f64::consts::PI;
use std::sync::Arc;

use super::config::BootstrappingConfig;
use super::encapsulation::Encapsulation;
use super::eval_mod::{EvalMod, shifted_bound};
use super::homomorphic_dft::{CoeffsToSlots, DftPlacement, SlotCoefficients, SlotsToCoeffs};
use super::keys::{BootstrappingKeys, KeyRequirements};
use super::mod_raise::{check_raisable, mod_raise, raise_centred};
use super::{MIN_LEVEL, rescale_prime};
use crate::circuits::CircuitError;
use crate::encoding::Encoder;
use crate::error::CkksError;
use crate::evaluator::Evaluator;
use crate::{Ciphertext, Context};

/// Refreshes ciphertexts: a ciphertext at any level comes back at
/// [`Bootstrapper::output_level`] with the same slots and scale and values within the
/// bootstrapping precision.
///
/// Building one encodes every CoeffsToSlots and SlotsToCoeffs plaintext at its level (seconds
/// and gigabytes at `N = 2^16`; see [`Bootstrapper::plaintext_bytes`]); the keys it needs are
/// listed by [`Bootstrapper::key_requirements`].
///
/// **Scales.** The input's values `m` at scale `Δ` are reduced modulo `q_0`, so the message
/// must satisfy `|Δ·m| ≪ q_0`: the error of `sin(2πε)/(2π)` for `ε = Δ·m/q_0` is
/// `(2π)²·ε³/6`, and the noise of the circuit is multiplied by `q_0/Δ`. A ratio `q_0/Δ` of
/// about `2^10` balances the two for values in `[−1, 1]` (the presets' scale).
#[derive(Debug, Clone)]
pub struct Bootstrapper {
    ctx: Arc<Context>,
    config: BootstrappingConfig,
    evaluator: Evaluator,
    coeffs_to_slots: CoeffsToSlots,
    eval_mod: EvalMod,
    slots_to_coeffs: SlotsToCoeffs,
    /// The declared scale of the raised ciphertext: its slots then hold `t/(2K'·q_0)`.
    raised_scale: f64,
    /// The rotations of the sparse trace (empty for full slots).
    trace_steps: Vec<i64>,
    /// The small chain of the sparse-secret encapsulation, when the circuit has one.
    encapsulation: Option<Encapsulation>,
}

impl Bootstrapper {
    /// Encodes the circuit `config` for the context's parameters.
    ///
    /// # Errors
    /// As [`BootstrappingConfig::validate`], and the encoder's errors.
    pub fn new(ctx: &Arc<Context>, config: BootstrappingConfig) -> Result<Self, CircuitError> {
        let params = ctx.params();
        config.validate(params)?;
        let encoder = Encoder::new(ctx);
        let top = params.max_level();
        let n = config.slots;
        let q0 = params.q_primes()[0] as f64;
        // The trace to the slots' subring multiplies the coefficients by N/(2n).
        let trace_factor = (params.max_slots() / n) as f64;
        let raised_scale = q0 * 2.0 * shifted_bound(&config.eval_mod) * trace_factor;
        let c2s_levels = config.coeffs_to_slots_levels;
        let eval_mod_level = top - c2s_levels;
        let eval_mod_scale = rescale_prime(params, eval_mod_level) as f64;
        let coeffs_to_slots = CoeffsToSlots::new(
            &encoder,
            params,
            DftPlacement {
                slots: n,
                levels: c2s_levels,
                level: top,
                input_scale: raised_scale,
                output_scale: eval_mod_scale,
                hoisting: config.coeffs_to_slots_hoisting,
            },
        )?;
        let s2c_level = eval_mod_level - config.eval_mod.depth();
        // EvalMod keeps its scale to the end: its last rescales would otherwise add noise
        // relative to a smaller scale.
        let s2c_input_scale = eval_mod_scale;
        let eval_mod = EvalMod::new(params, &config.eval_mod, eval_mod_level, s2c_input_scale)?;
        debug_assert_eq!(eval_mod.output_level(), s2c_level);
        // SlotsToCoeffs maps sin(2πx) (scale s2c_input_scale) to the slots of Δ·m/q_0 at the
        // scale q_0/(2π): the output polynomial is then Δ·m, of scale Δ.
        let slots_to_coeffs = SlotsToCoeffs::new(
            &encoder,
            params,
            DftPlacement {
                slots: n,
                levels: config.slots_to_coeffs_levels,
                level: s2c_level,
                input_scale: s2c_input_scale,
                output_scale: q0 / (2.0 * PI),
                hoisting: config.slots_to_coeffs_hoisting,
            },
        )?;
        let trace_steps = (0..(params.max_slots() / n).trailing_zeros()).map(|j| (n << j) as i64).collect();
        let encapsulation = config.encapsulation.map(|e| Encapsulation::new(params, &e)).transpose()?;
        Ok(Self {
            ctx: Arc::clone(ctx),
            config,
            evaluator: Evaluator::new(ctx),
            coeffs_to_slots,
            eval_mod,
            slots_to_coeffs,
            raised_scale,
            trace_steps,
            encapsulation,
        })
    }

    /// The circuit.
    pub fn config(&self) -> &BootstrappingConfig {
        &self.config
    }

    /// The level of bootstrapped ciphertexts.
    pub fn output_level(&self) -> usize {
        self.ctx.params().max_level() - self.config.depth()
    }

    /// The keys to generate, with their levels.
    pub fn key_requirements(&self) -> KeyRequirements {
        let top = self.ctx.params().max_level();
        let eval_mod_level = top - self.config.coeffs_to_slots_levels;
        let rotations = self
            .trace_steps
            .iter()
            .map(|&step| (step, top))
            .chain(self.coeffs_to_slots.rotations())
            .chain(self.slots_to_coeffs.rotations());
        let mut requirements = KeyRequirements::new(rotations, eval_mod_level, eval_mod_level);
        requirements.encapsulation = self.config.encapsulation;
        requirements
    }

    /// Bytes of the encoded CoeffsToSlots and SlotsToCoeffs plaintexts held in memory.
    pub fn plaintext_bytes(&self) -> usize {
        self.coeffs_to_slots.memory_bytes() + self.slots_to_coeffs.memory_bytes()
    }

    /// Refreshes `ct`: the result is at [`Bootstrapper::output_level`] with `ct`'s slots and
    /// scale.
    ///
    /// # Errors
    /// [`CkksError::SlotCountMismatch`] unless `ct` has the configured slots,
    /// [`CkksError::CiphertextSize`] unless size 2, [`CkksError::ParameterMismatch`],
    /// [`CkksError::MissingGaloisKey`] or [`CkksError::KeyLevelTooLow`] when `keys` lack a key
    /// of [`Bootstrapper::key_requirements`], [`CircuitError::MissingEncapsulationKeys`] when the
    /// circuit encapsulates and `keys` have no encapsulation keys.
    pub fn bootstrap(&self, ct: &Ciphertext, keys: &BootstrappingKeys) -> Result<Ciphertext, CircuitError> {
        let evaluator = &self.evaluator;
        if ct.slots() != self.config.slots {
            return Err(CkksError::SlotCountMismatch { left: ct.slots(), right: self.config.slots }.into());
        }
        let input_scale = ct.scale();
        let low = if ct.level() > MIN_LEVEL { evaluator.drop_to_level(ct, MIN_LEVEL)? } else { ct.clone() };
        let top = self.ctx.params().max_level();
        let mut raised = match &self.encapsulation {
            None => mod_raise(&self.ctx, &low, top)?,
            Some(encapsulation) => {
                check_raisable(&self.ctx, &low)?;
                let encapsulation_keys = keys.encapsulation_keys().ok_or(CircuitError::MissingEncapsulationKeys)?;
                let [c0, c1] = encapsulation.switch_to_sparse(&self.ctx, &low, encapsulation_keys)?;
                let sparse = raise_centred(&self.ctx, &low, [&c0, &c1], top)?;
                Encapsulation::switch_to_dense(&self.ctx, &sparse, encapsulation_keys)?
            }
        };
        raised.scale = self.raised_scale;
        let galois = keys.galois_keys();
        for &step in &self.trace_steps {
            let rotated = evaluator.rotate(&raised, step, galois)?;
            evaluator.add_assign(&mut raised, &rotated)?;
        }
        let parts = self.coeffs_to_slots.evaluate(evaluator, &raised, galois)?;
        let relin = keys.relin_key();
        let reduced = match parts {
            SlotCoefficients::Full { real, imaginary } => {
                // The two reductions are independent: one per thread when there are two.
                let (real, imaginary) = rayon::join(
                    || self.eval_mod.evaluate(evaluator, relin, &real),
                    || self.eval_mod.evaluate(evaluator, relin, &imaginary),
                );
                SlotCoefficients::Full { real: real?, imaginary: imaginary? }
            }
            SlotCoefficients::Sparse(ct) => SlotCoefficients::Sparse(self.eval_mod.evaluate(evaluator, relin, &ct)?),
        };
        let mut out = self.slots_to_coeffs.evaluate(evaluator, &reduced, galois)?;
        // The polynomial is Δ·m: the values m at the input's scale.
        out.scale = input_scale;
        Ok(out)
    }
}
