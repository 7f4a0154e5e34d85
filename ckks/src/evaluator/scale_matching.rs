//! Exact scale and level adjustments: the helpers behind [`super::ManagedEvaluator`], public for
//! callers who manage scales themselves.
//!
//! RNS-CKKS rescales by the primes `q_i`, not by the scale, so after a product and a rescale the
//! scale is `Δ²/q_i`, a little off `Δ`. Two values computed along different paths then differ
//! in scale by a relative `~2^-20` and cannot be added. The way out is to multiply by a constant
//! whose own scale is chosen so that the following rescale lands *exactly* on the wanted scale:
//! a ciphertext of scale `s` at level `ℓ + 1` times the integer `round(S·q/s)` has scale `S·q`,
//! and the rescale by `q` leaves `S`. The rounding of the constant changes the value by a
//! relative `≤ s/(2·S·q)`, far below the noise.

use super::Evaluator;
use crate::error::CkksError;
use crate::params::Parameters;
use crate::scheme::Ciphertext;

/// The lowest level: only the base prime `q_0` is left and no rescale is possible.
pub(crate) const LOWEST_LEVEL: usize = 0;

/// Above this ratio `s/q` a ciphertext's scale is that of an unrescaled product, and
/// [`Evaluator::adjust_to`] rescales it before using a constant (whose rounding error grows
/// with `s/q`).
const UNRESCALED_RATIO: f64 = (1u64 << 20) as f64;

/// The smallest integer constant [`Evaluator::adjust_to`] multiplies by: its rounding changes
/// the value by a relative `2^-21` at most. Smaller ones are refused rather than used.
const MIN_ADJUSTING_CONSTANT: f64 = (1u64 << 20) as f64;

/// The prime a rescale at `level` divides by, `None` at the lowest level.
pub(crate) fn rescale_divisor(params: &Parameters, level: usize) -> Option<u64> {
    (level > LOWEST_LEVEL && level <= params.max_level()).then(|| params.q_primes()[level])
}

/// `2^x.xx`, the form scales are reported in.
pub(crate) fn format_log2(scale: f64) -> String {
    format!("2^{:.2}", scale.log2())
}

impl Evaluator {
    /// The prime that [`Evaluator::rescale`] divides a ciphertext at `level` by; `None` at the
    /// lowest level or outside the chain.
    pub fn rescale_divisor(&self, level: usize) -> Option<u64> {
        rescale_divisor(self.ctx.params(), level)
    }

    /// How many rescales (levels to consume) a ciphertext at `level` has left.
    pub fn rescales_left(&self, level: usize) -> usize {
        level.saturating_sub(LOWEST_LEVEL)
    }

    /// `ct` brought to exactly `level` and `scale`, consuming at most the levels between:
    /// * at its own level, the scale must already match, or be reachable by an integer factor
    ///   (`scale / ct.scale()` a whole number, as after a sum of scales);
    /// * from a higher level: dropped to `level + 1` (free), multiplied by the integer
    ///   `round(scale·q/ct.scale())` and rescaled by `q`, which lands exactly on `scale`. An
    ///   unrescaled input (scale `2^20` times `q` or more) is rescaled first; a constant below
    ///   `2^20` (a relative rounding error above `2^-21`) is refused.
    ///
    /// ```
    /// # use spencnn_ckks::*;
    /// # let params = Parameters::builder().log_n(10).q_bits(&[50, 40, 40]).p_bits(&[50])
    /// #     .insecure_for_testing_only().build().unwrap();
    /// # let ctx = Context::new(params).unwrap();
    /// # let mut keygen = KeyGenerator::from_seed(&ctx, [1; 32]);
    /// # let sk = keygen.secret_key();
    /// # let pk = keygen.public_key(&sk).unwrap();
    /// # let rlk = keygen.relin_key(&sk).unwrap();
    /// # let encoder = Encoder::new(&ctx);
    /// # let mut encryptor = Encryptor::from_seed(&ctx, [2; 32]);
    /// let eval = Evaluator::new(&ctx);
    /// let x = encryptor.encrypt(&encoder.encode_real(&[0.5], 1, 2, 2f64.powi(40)).unwrap(), &pk).unwrap();
    /// let x2 = eval.rescale(&eval.multiply_relin(&x, &x, &rlk).unwrap()).unwrap(); // 2^80 / q_2
    /// // x2 + x fails (level 1 vs 2, scale 2^39.99... vs 2^40); bring x to x2's level and scale:
    /// let x_low = eval.adjust_to(&x, x2.level(), x2.scale()).unwrap();
    /// let sum = eval.add(&x2, &x_low).unwrap();
    /// let out = encoder.decode_real(&Decryptor::new(&ctx).decrypt(&sum, &sk).unwrap()).unwrap();
    /// assert!((out[0] - 0.75).abs() < 1e-6);
    /// ```
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`]; [`CkksError::LevelOutOfRange`] when `level` is above
    /// the ciphertext's; [`CkksError::ScaleMismatch`] when at the same level the scales differ
    /// by a non-integer factor, or the constant would be below `2^20`; [`CkksError::InvalidScale`]; [`CkksError::EncodingOverflow`]
    /// when the constant does not fit.
    pub fn adjust_to(&self, ct: &Ciphertext, level: usize, scale: f64) -> Result<Ciphertext, CkksError> {
        self.check_ct(ct)?;
        if !(scale.is_finite() && scale > 0.0) {
            return Err(CkksError::InvalidScale { scale });
        }
        self.ctx.q_limbs_at(level)?;
        if level > ct.level() {
            return Err(CkksError::LevelOutOfRange { level, min: LOWEST_LEVEL, max: ct.level() });
        }
        if level == ct.level() {
            return self.scale_by_integer(ct, scale);
        }
        let mut current = ct.clone();
        while current.level() > level + 1 {
            let q = self.rescale_divisor(current.level()).expect("above the lowest level") as f64;
            if current.scale / q > UNRESCALED_RATIO {
                self.rescale_assign(&mut current)?;
            } else {
                current = self.drop_to_level(&current, level + 1)?;
            }
        }
        let q = self.rescale_divisor(level + 1).expect("above the lowest level") as f64;
        if scale * q / current.scale < MIN_ADJUSTING_CONSTANT {
            return Err(CkksError::ScaleMismatch { left: current.scale, right: scale });
        }
        let k = crate::encoding::rounded_integer(scale * q / current.scale)?;
        let mut out = self.integer_combination(&[(&current, k)], 0, level + 1, scale * q, current.slots)?;
        self.rescale_assign(&mut out)?;
        out.scale = scale;
        Ok(out)
    }

    /// `ct` at its level with its scale raised to `scale` by a whole factor.
    fn scale_by_integer(&self, ct: &Ciphertext, scale: f64) -> Result<Ciphertext, CkksError> {
        let ratio = scale / ct.scale;
        let k = ratio.round();
        if super::check_scales(scale, ct.scale).is_ok() {
            return Ok(ct.clone());
        }
        if k >= 1.0 && (ratio - k).abs() <= super::SCALE_RELATIVE_TOLERANCE * ratio {
            let mut out = self.multiply_integer(ct, k as i128)?;
            out.scale = scale;
            return Ok(out);
        }
        Err(CkksError::ScaleMismatch { left: ct.scale, right: scale })
    }

    /// `ct·value` rescaled once, landing exactly on `target_scale` one level down: the
    /// constant is the integer `round(value·target_scale·q/ct.scale())` for the prime `q` the
    /// rescale divides by. The scale-exact form of `multiply_const` followed by `rescale`.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelOutOfRange`] at the lowest level,
    /// [`CkksError::InvalidScale`], [`CkksError::EncodingOverflow`].
    pub fn multiply_const_rescale(
        &self,
        ct: &Ciphertext,
        value: f64,
        target_scale: f64,
    ) -> Result<Ciphertext, CkksError> {
        self.check_ct(ct)?;
        if !(target_scale.is_finite() && target_scale > 0.0) {
            return Err(CkksError::InvalidScale { scale: target_scale });
        }
        let level = ct.level();
        let q = self.rescale_divisor(level).ok_or(CkksError::LevelOutOfRange {
            level,
            min: LOWEST_LEVEL + 1,
            max: self.ctx.params().max_level(),
        })? as f64;
        let k = crate::encoding::rounded_integer(value * target_scale * q / ct.scale)?;
        let mut out = self.integer_combination(&[(ct, k)], 0, level, target_scale * q, ct.slots)?;
        self.rescale_assign(&mut out)?;
        out.scale = target_scale;
        Ok(out)
    }
}
