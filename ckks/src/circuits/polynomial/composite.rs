//! Compositions of polynomials `p_k ∘ … ∘ p_1`, optionally multiplied by the input
//! (`x·p(x)`, the form of ReLU = `x·(1 + sign x)/2`).

use super::evaluator::PolynomialEvaluator;
use super::interval::Interval;
use super::polynomial::Polynomial;
use crate::circuits::CircuitError;
use crate::scheme::Ciphertext;

/// `p_k(…p_2(p_1(x))…)`, or `x·p_k(…p_1(x)…)` when it multiplies its input. The first stage is
/// written on the input's interval; each later stage on the interval its predecessor maps
/// into (usually `[-1, 1]`). High-degree behaviour at low depth: a composition of `k` stages
/// of degree `d` costs `k·ceil(log2(d + 1))` levels and `O(k·sqrt(d))` products for an
/// effective degree `d^k`, which is how sign and ReLU are approximated sharply.
///
/// ```
/// use spencnn_ckks::circuits::polynomial::{CompositePolynomial, Interval, Polynomial};
/// // (3y − y³)/2 twice, in the monomial basis: a smooth step towards sign(x).
/// let step = Polynomial::monomial(&[0.0, 1.5, 0.0, -0.5]).unwrap();
/// let twice = CompositePolynomial::new(vec![step.clone(), step]).unwrap();
/// assert_eq!(twice.depth(), 4);
/// assert!((twice.evaluate(0.5) - 0.8688).abs() < 1e-4);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct CompositePolynomial {
    stages: Vec<Polynomial>,
    times_input: bool,
}

impl CompositePolynomial {
    /// `stages[k−1] ∘ … ∘ stages[0]`.
    ///
    /// # Errors
    /// [`CircuitError::EmptyPolynomial`] without stages.
    pub fn new(stages: Vec<Polynomial>) -> Result<Self, CircuitError> {
        if stages.is_empty() {
            return Err(CircuitError::EmptyPolynomial);
        }
        Ok(Self { stages, times_input: false })
    }

    /// `x·(stages[k−1] ∘ … ∘ stages[0])(x)`.
    ///
    /// # Errors
    /// As [`CompositePolynomial::new`].
    pub fn times_input(stages: Vec<Polynomial>) -> Result<Self, CircuitError> {
        Ok(Self { times_input: true, ..Self::new(stages)? })
    }

    /// The stages, first applied first.
    pub fn stages(&self) -> &[Polynomial] {
        &self.stages
    }

    /// Whether the composition is multiplied by its input at the end.
    pub fn multiplies_input(&self) -> bool {
        self.times_input
    }

    /// The input interval (the first stage's).
    pub fn interval(&self) -> Interval {
        self.stages[0].interval()
    }

    /// Levels consumed on `[-1, 1]`-scaled input: the sum of the stages' depths, plus one for
    /// the product with the input. See [`PolynomialEvaluator::levels_consumed_composite`] for
    /// a given ciphertext (the first stage's interval map may cost one more).
    pub fn depth(&self) -> usize {
        self.stages.iter().map(Polynomial::depth).sum::<usize>() + usize::from(self.times_input)
    }

    /// The value at `x` in `f64` (the plaintext simulation of the encrypted evaluation).
    pub fn evaluate(&self, x: f64) -> f64 {
        let composed = self.stages.iter().fold(x, |value, stage| stage.evaluate(value));
        if self.times_input { x * composed } else { composed }
    }
}

impl PolynomialEvaluator<'_> {
    /// Levels consumed when `composite` is evaluated on `input` (the stages' depths, the
    /// product with the input, and one level when the first stage's interval map cannot be
    /// folded into the input's scale).
    pub fn levels_consumed_composite(&self, composite: &CompositePolynomial, input: &Ciphertext) -> usize {
        self.levels_consumed_composite_at(composite, input.level(), input.scale())
    }

    /// [`PolynomialEvaluator::levels_consumed_composite`] for an input at `level` with
    /// `scale`, before any ciphertext exists (for planners).
    pub fn levels_consumed_composite_at(&self, composite: &CompositePolynomial, level: usize, scale: f64) -> usize {
        let first = &composite.stages[0];
        self.levels_consumed_at(first, level, scale) + composite.depth() - first.depth()
    }

    /// `composite(input)` at the input's scale.
    ///
    /// # Errors
    /// As [`PolynomialEvaluator::evaluate_composite_to_scale`].
    pub fn evaluate_composite(
        &self,
        input: &Ciphertext,
        composite: &CompositePolynomial,
    ) -> Result<Ciphertext, CircuitError> {
        self.evaluate_composite_to_scale(input, composite, input.scale())
    }

    /// `composite(input)` with exactly `target_scale`, at level
    /// `input.level() − levels_consumed_composite`. Intermediate stages end at the scale of
    /// the prime their successor's first product divides by (the most precise choice).
    ///
    /// # Errors
    /// [`CircuitError::InsufficientLevels`] (checked before any work), and as
    /// [`PolynomialEvaluator::evaluate_to_scale`].
    pub fn evaluate_composite_to_scale(
        &self,
        input: &Ciphertext,
        composite: &CompositePolynomial,
        target_scale: f64,
    ) -> Result<Ciphertext, CircuitError> {
        self.check_request(input, target_scale, self.levels_consumed_composite(composite, input))?;
        let last = composite.stages.len() - 1;
        let mut value = input.clone();
        for (i, stage) in composite.stages.iter().enumerate() {
            let level_after = value.level() - self.levels_consumed(stage, &value);
            let target = if i < last {
                self.reference_scale(level_after)
            } else if composite.times_input {
                // The product with the input is rescaled by q(level_after) onto the target.
                target_scale * self.divisor(level_after)? / input.scale()
            } else {
                target_scale
            };
            value = self.evaluate_to_scale(&value, stage, target)?;
        }
        if composite.times_input {
            let x = self.evaluator().drop_to_level(input, value.level())?;
            let mut product = self.evaluator().multiply_relin(&x, &value, self.relin_key())?;
            self.evaluator().rescale_assign(&mut product)?;
            product.scale = target_scale;
            value = product;
        }
        Ok(value)
    }
}
