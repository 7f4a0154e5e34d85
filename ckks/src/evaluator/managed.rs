//! The managed evaluator: levels and scales are matched, products relinearized and rescaled,
//! constants encoded at the scale that makes results exact.

use std::borrow::Cow;
use std::sync::Arc;

use super::Evaluator;
use super::scale_ladder::ScaleLadder;
use super::scale_matching::LOWEST_LEVEL;
use crate::encoding::{Complex, Encoder, Plaintext};
use crate::error::CkksError;
use crate::rlwe::{Context, GaloisKeys, RelinKey};
use crate::scheme::Ciphertext;

/// An evaluator that manages levels and scales, for users who do not want to (the explicit
/// [`Evaluator`] stays for experts; both work on the same ciphertexts):
///
/// * **products** ([`ManagedEvaluator::multiply`], [`square`](ManagedEvaluator::square)) are
///   relinearized and rescaled at once; operands at different levels are matched first;
/// * **sums** of operands at different levels bring the higher one down *exactly* to the
///   lower one's level and scale ([`Evaluator::adjust_to`]: a constant multiplication and a
///   rescale on the higher operand, which has levels to spare). Adding a rescaled product to a
///   fresh ciphertext just works;
/// * **constants and plaintext vectors** are encoded at the scale that makes the result land
///   exactly on the [`ScaleLadder`] one level down ([`multiply_const`](Self::multiply_const),
///   [`multiply_values`](Self::multiply_values)), or at the ciphertext's own level and scale
///   for sums ([`add_values`](Self::add_values), [`encode_at`](Self::encode_at)).
///
/// Fresh values should be encoded with [`encode`](Self::encode) (at the ladder's scale of
/// their level): then every product lands on the ladder and operands of the same level always
/// share one scale. Values encoded at other scales work too; only a sum of two operands at the
/// same level with scales that differ by a non-integer factor costs a level (both are brought
/// exactly to the ladder one level down).
///
/// ```
/// use spencnn_ckks::*;
/// let params = Parameters::builder().log_n(10).q_bits(&[50, 40, 40, 40]).p_bits(&[50])
///     .insecure_for_testing_only().build().unwrap();
/// let ctx = Context::new(params).unwrap();
/// let mut keygen = KeyGenerator::from_seed(&ctx, [1; 32]);
/// let sk = keygen.secret_key();
/// let (pk, rlk) = (keygen.public_key(&sk).unwrap(), keygen.relin_key(&sk).unwrap());
/// let mut encryptor = Encryptor::from_seed(&ctx, [2; 32]);
/// let eval = ManagedEvaluator::new(&ctx, &rlk);
/// let top = ctx.params().max_level();
/// let x = encryptor.encrypt(&eval.encode(&[0.5, -0.25], 2, top).unwrap(), &pk).unwrap();
/// // 3x² + x − 1: the product is one level down, x is matched to it, the constants are exact.
/// let x2 = eval.multiply(&x, &x).unwrap();
/// let y = eval.add(&eval.multiply_const(&x2, 3.0).unwrap(), &x).unwrap();
/// let y = eval.add_const(&y, -1.0).unwrap();
/// let out = Encoder::new(&ctx).decode_real(&Decryptor::new(&ctx).decrypt(&y, &sk).unwrap()).unwrap();
/// assert!((out[0] - 0.25).abs() < 1e-5 && (out[1] + 1.0625).abs() < 1e-5);
/// ```
#[derive(Debug, Clone)]
pub struct ManagedEvaluator<'k> {
    evaluator: Evaluator,
    encoder: Encoder,
    ladder: ScaleLadder,
    relin_key: &'k RelinKey,
}

impl<'k> ManagedEvaluator<'k> {
    /// A managed evaluator with the ladder anchored at the parameters' default scale.
    pub fn new(ctx: &Arc<Context>, relin_key: &'k RelinKey) -> Self {
        Self {
            evaluator: Evaluator::new(ctx),
            encoder: Encoder::new(ctx),
            ladder: ScaleLadder::new(ctx.params()),
            relin_key,
        }
    }

    /// The explicit evaluator underneath.
    pub fn evaluator(&self) -> &Evaluator {
        &self.evaluator
    }

    /// The encoder.
    pub fn encoder(&self) -> &Encoder {
        &self.encoder
    }

    /// The scale ladder.
    pub fn ladder(&self) -> &ScaleLadder {
        &self.ladder
    }

    /// The relinearization key.
    pub fn relin_key(&self) -> &'k RelinKey {
        self.relin_key
    }

    /// Real values encoded at `level` and the ladder's scale of that level.
    ///
    /// # Errors
    /// As [`Encoder::encode_real`].
    pub fn encode(&self, values: &[f64], slots: usize, level: usize) -> Result<Plaintext, CkksError> {
        self.encoder.encode_real(values, slots, level, self.ladder.scale(level)?)
    }

    /// Complex values encoded at `level` and the ladder's scale of that level.
    ///
    /// # Errors
    /// As [`Encoder::encode_complex`].
    pub fn encode_complex(&self, values: &[Complex], slots: usize, level: usize) -> Result<Plaintext, CkksError> {
        self.encoder.encode_complex(values, slots, level, self.ladder.scale(level)?)
    }

    /// Real values encoded at `like`'s level, scale and slot count: ready to be added to it.
    ///
    /// # Errors
    /// As [`Encoder::encode_real`].
    pub fn encode_at(&self, values: &[f64], like: &Ciphertext) -> Result<Plaintext, CkksError> {
        self.encoder.encode_real(values, like.slots(), like.level(), like.scale())
    }

    /// Complex values encoded at `like`'s level, scale and slot count.
    ///
    /// # Errors
    /// As [`Encoder::encode_complex`].
    pub fn encode_complex_at(&self, values: &[Complex], like: &Ciphertext) -> Result<Plaintext, CkksError> {
        self.encoder.encode_complex(values, like.slots(), like.level(), like.scale())
    }

    /// `a` and `b` at one level and scale, ready to be added (see the type's documentation).
    ///
    /// # Errors
    /// As [`Evaluator::adjust_to`]; [`CkksError::ScaleMismatch`] when both are at the lowest
    /// level with scales that differ by a non-integer factor.
    pub fn match_for_addition<'a>(
        &self,
        a: &'a Ciphertext,
        b: &'a Ciphertext,
    ) -> Result<(Cow<'a, Ciphertext>, Cow<'a, Ciphertext>), CkksError> {
        use std::cmp::Ordering;
        match a.level().cmp(&b.level()) {
            Ordering::Greater => Ok((Cow::Owned(self.evaluator.adjust_to(a, b.level(), b.scale())?), Cow::Borrowed(b))),
            Ordering::Less => Ok((Cow::Borrowed(a), Cow::Owned(self.evaluator.adjust_to(b, a.level(), a.scale())?))),
            Ordering::Equal => {
                if let Ok(b_up) = self.evaluator.adjust_to(b, b.level(), a.scale()) {
                    return Ok((Cow::Borrowed(a), Cow::Owned(b_up)));
                }
                if let Ok(a_up) = self.evaluator.adjust_to(a, a.level(), b.scale()) {
                    return Ok((Cow::Owned(a_up), Cow::Borrowed(b)));
                }
                // Different scales at one level: both go exactly onto the ladder one level down.
                if self.evaluator.rescale_divisor(a.level()).is_none() {
                    return Err(CkksError::ScaleMismatch { left: a.scale(), right: b.scale() });
                }
                let below = a.level() - 1;
                let target = self.ladder.scale(below)?;
                Ok((
                    Cow::Owned(self.evaluator.adjust_to(a, below, target)?),
                    Cow::Owned(self.evaluator.adjust_to(b, below, target)?),
                ))
            }
        }
    }

    /// `a + b` at the lower of the two levels.
    ///
    /// # Errors
    /// As [`ManagedEvaluator::match_for_addition`] and [`Evaluator::add`].
    pub fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext, CkksError> {
        let (a, b) = self.match_for_addition(a, b)?;
        self.evaluator.add(&a, &b)
    }

    /// `a − b` at the lower of the two levels.
    ///
    /// # Errors
    /// As [`ManagedEvaluator::add`].
    pub fn sub(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext, CkksError> {
        let (a, b) = self.match_for_addition(a, b)?;
        self.evaluator.sub(&a, &b)
    }

    /// `−a`.
    ///
    /// # Errors
    /// As [`Evaluator::negate`].
    pub fn negate(&self, a: &Ciphertext) -> Result<Ciphertext, CkksError> {
        self.evaluator.negate(a)
    }

    /// `ct + values` slot-wise (encoded at the ciphertext's level and scale).
    ///
    /// # Errors
    /// As [`Encoder::encode_real`] and [`Evaluator::add_plain`].
    pub fn add_values(&self, ct: &Ciphertext, values: &[f64]) -> Result<Ciphertext, CkksError> {
        self.evaluator.add_plain(ct, &self.encode_at(values, ct)?)
    }

    /// `ct + value` in every slot.
    ///
    /// # Errors
    /// As [`Evaluator::add_const`].
    pub fn add_const(&self, ct: &Ciphertext, value: f64) -> Result<Ciphertext, CkksError> {
        self.evaluator.add_const(ct, value)
    }

    /// `a·b`, relinearized and rescaled; an operand at a higher level is first brought to the
    /// other's level at the ladder's scale, so two ladder-scaled operands give a ladder-scaled
    /// result.
    ///
    /// # Errors
    /// As [`Evaluator::adjust_to`], [`Evaluator::multiply_relin`] and [`Evaluator::rescale`]
    /// (no level left).
    pub fn multiply(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext, CkksError> {
        use std::cmp::Ordering;
        let (a, b): (Cow<'_, Ciphertext>, Cow<'_, Ciphertext>) = match a.level().cmp(&b.level()) {
            Ordering::Greater => (Cow::Owned(self.to_level(a, b.level())?), Cow::Borrowed(b)),
            Ordering::Less => (Cow::Borrowed(a), Cow::Owned(self.to_level(b, a.level())?)),
            Ordering::Equal => (Cow::Borrowed(a), Cow::Borrowed(b)),
        };
        let mut product = self.evaluator.multiply_relin(&a, &b, self.relin_key)?;
        self.evaluator.rescale_assign(&mut product)?;
        Ok(product)
    }

    /// `a²`, relinearized and rescaled.
    ///
    /// # Errors
    /// As [`Evaluator::square_relin`] and [`Evaluator::rescale`].
    pub fn square(&self, a: &Ciphertext) -> Result<Ciphertext, CkksError> {
        let mut product = self.evaluator.square_relin(a, self.relin_key)?;
        self.evaluator.rescale_assign(&mut product)?;
        Ok(product)
    }

    /// `ct·value`, rescaled, landing exactly on the ladder's scale one level down.
    ///
    /// # Errors
    /// As [`Evaluator::multiply_const_rescale`].
    pub fn multiply_const(&self, ct: &Ciphertext, value: f64) -> Result<Ciphertext, CkksError> {
        let target = self.ladder.scale(ct.level().saturating_sub(1))?;
        self.evaluator.multiply_const_rescale(ct, value, target)
    }

    /// `ct ⊙ values` slot-wise, rescaled, landing exactly on the ladder's scale one level down
    /// (the values are encoded at `target·q/ct.scale()`).
    ///
    /// # Errors
    /// [`CkksError::LevelOutOfRange`] at the lowest level; as [`Encoder::encode_real`],
    /// [`Evaluator::multiply_plain`] and [`Evaluator::rescale`].
    pub fn multiply_values(&self, ct: &Ciphertext, values: &[f64]) -> Result<Ciphertext, CkksError> {
        let level = ct.level();
        let q = self.evaluator.rescale_divisor(level).ok_or(CkksError::LevelOutOfRange {
            level,
            min: LOWEST_LEVEL + 1,
            max: self.evaluator.context().params().max_level(),
        })? as f64;
        let target = self.ladder.scale(level - 1)?;
        let pt = self.encoder.encode_real(values, ct.slots(), level, target * q / ct.scale())?;
        let mut out = self.evaluator.multiply_plain(ct, &pt)?;
        self.evaluator.rescale_assign(&mut out)?;
        out.scale = target;
        Ok(out)
    }

    /// Rotates the slots left by `step`.
    ///
    /// # Errors
    /// As [`Evaluator::rotate`].
    pub fn rotate(&self, ct: &Ciphertext, step: i64, keys: &GaloisKeys) -> Result<Ciphertext, CkksError> {
        self.evaluator.rotate(ct, step, keys)
    }

    /// `ct` at `level` (below its own) with the ladder's scale there.
    fn to_level(&self, ct: &Ciphertext, level: usize) -> Result<Ciphertext, CkksError> {
        self.evaluator.adjust_to(ct, level, self.ladder.scale(level)?)
    }
}
