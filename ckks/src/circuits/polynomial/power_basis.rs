//! The encrypted powers `B_i(y)` of a plan, with their scales kept near the primes.

use std::collections::BTreeMap;

use super::plan::PowerStep;
use crate::Evaluator;
use crate::circuits::CircuitError;
use crate::error::CkksError;
use crate::rlwe::RelinKey;
use crate::scheme::Ciphertext;

/// A power may end up this far above its reference scale (the prime that will divide its next
/// product); the integer factor below only raises scales, so a small excess is accepted rather
/// than halving the scale.
pub(crate) const LABEL_SLACK: f64 = 1.0 + 1.0 / 1024.0;

/// `B_1 = y` and the powers computed from it; every power `B_i` is at `level(B_1) − ceil(log2 i)`.
#[derive(Debug)]
pub(crate) struct PowerBasis {
    powers: BTreeMap<usize, Ciphertext>,
}

impl PowerBasis {
    /// The basis holding only `B_1`.
    pub(crate) fn new(y: Ciphertext) -> Self {
        Self { powers: BTreeMap::from([(1, y)]) }
    }

    /// `B_i`.
    pub(crate) fn get(&self, index: usize) -> &Ciphertext {
        &self.powers[&index]
    }

    /// Computes every step in order. `B_i = 2·B_a·B_b − B_c` (Chebyshev) or `B_a·B_b`
    /// (monomial): the product is relinearized, multiplied by an integer `M` and combined with
    /// `B_c` (times the integer nearest `scale/scale(B_c)`) before one rescale.
    ///
    /// The integer `M ≥ 1` keeps the scale of `B_i` at most [`LABEL_SLACK`] above the prime that
    /// will divide its next product and above half of it: without it, a scale below the primes
    /// by a factor `ρ` would shrink to `ρ^(2^k)` after `k` squarings.
    pub(crate) fn compute(
        &mut self,
        steps: &[PowerStep],
        evaluator: &Evaluator,
        relin_key: &RelinKey,
        reference_scale: impl Fn(usize) -> f64,
    ) -> Result<(), CircuitError> {
        for step in steps {
            let (a, b) = (&self.powers[&step.a], &self.powers[&step.b]);
            let level = a.level().min(b.level());
            let a_low = drop_if_above(evaluator, a, level)?;
            let b_low = drop_if_above(evaluator, b, level)?;
            let product = if step.a == step.b {
                evaluator.square_relin(&a_low, relin_key)?
            } else {
                evaluator.multiply_relin(&a_low, &b_low, relin_key)?
            };
            let q = evaluator.rescale_divisor(level).ok_or(CkksError::LevelOutOfRange {
                level,
                min: crate::evaluator::LOWEST_LEVEL + 1,
                max: evaluator.context().params().max_level(),
            })? as f64;
            let natural = product.scale();
            let wanted = reference_scale(level - 1) * q;
            let factor = ((wanted * LABEL_SLACK / natural).floor()).max(1.0);
            let scale = natural * factor;
            let factor = factor as i128;
            let mut power = match step.subtract {
                Some(c) => {
                    let doubled = (&product, 2 * factor);
                    if c == 0 {
                        let one = crate::encoding::rounded_integer(scale)?;
                        evaluator.integer_combination(&[doubled], -one, level, scale, product.slots())?
                    } else {
                        let subtrahend = &self.powers[&c];
                        let k = crate::encoding::rounded_integer(scale / subtrahend.scale())?;
                        evaluator.integer_combination(&[doubled, (subtrahend, -k)], 0, level, scale, product.slots())?
                    }
                }
                None if factor == 1 => product,
                None => evaluator.integer_combination(&[(&product, factor)], 0, level, scale, product.slots())?,
            };
            evaluator.rescale_assign(&mut power)?;
            self.powers.insert(step.index, power);
        }
        Ok(())
    }
}

/// `ct` at `level` (a cheap truncation when it is above, a borrow otherwise).
pub(crate) fn drop_if_above<'c>(
    evaluator: &Evaluator,
    ct: &'c Ciphertext,
    level: usize,
) -> Result<std::borrow::Cow<'c, Ciphertext>, CkksError> {
    if ct.level() > level {
        Ok(std::borrow::Cow::Owned(evaluator.drop_to_level(ct, level)?))
    } else {
        Ok(std::borrow::Cow::Borrowed(ct))
    }
}
