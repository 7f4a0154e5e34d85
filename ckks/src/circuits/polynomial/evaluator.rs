//! Encrypted evaluation of a polynomial along its [`EvaluationPlan`].

use super::interval::Interval;
use super::plan::{EvaluationPlan, Node};
use super::polynomial::Polynomial;
use super::power_basis::{LABEL_SLACK, PowerBasis, drop_if_above};
use crate::Evaluator;
use crate::circuits::CircuitError;
use crate::encoding::rounded_integer;
use crate::error::CkksError;
use crate::evaluator::LOWEST_LEVEL;
use crate::rlwe::RelinKey;
use crate::scheme::Ciphertext;

/// How `y = α·x + β` (the map of the interval onto `[-1, 1]`) is formed from the input.
#[derive(Debug, Clone, Copy, PartialEq)]
enum LinearMap {
    /// `y = x`: the interval is `[-1, 1]`.
    Identity,
    /// `y = M·x + round(β·L)` read at scale `L = M·s/α`: no level consumed. Possible when
    /// `α·q/s ≥ 1` for the prime `q` of the first product.
    Folded { factor: i128 },
    /// A constant multiplication and a rescale: one level.
    Rescaled,
}

/// Evaluates [`Polynomial`]s on ciphertexts, depth-optimally and scale-exactly.
///
/// * **Levels**: a polynomial of degree `d` consumes `ceil(log2(d + 1))` levels
///   ([`Polynomial::depth`]); on an interval other than `[-1, 1]` the map
///   `y = (2x − a − b)/(b − a)` is folded into the input's scale when `2/(b − a)·q ≥ scale` (`q`
///   the prime the first product is rescaled by), and costs one more level otherwise.
///   [`PolynomialEvaluator::levels_consumed`] says which.
/// * **Scale**: the result has exactly the requested scale ([`evaluate`](Self::evaluate): the
///   input's; [`evaluate_to_scale`](Self::evaluate_to_scale): any), whatever primes the chain
///   has: every constant is encoded at the scale that makes its term land on the target.
/// * **Cost**: baby-step giant-step (Paterson–Stockmeyer) on the plan of [`EvaluationPlan`]:
///   about `2·sqrt(d)` ciphertext products; odd and even polynomials compute only the powers
///   they need; products in a chain of remainders are summed before one relinearization.
/// * Works for any slot count (the plan acts slot-wise).
///
/// ```
/// use spencnn_ckks::*;
/// use spencnn_ckks::circuits::polynomial::{Interval, Polynomial, PolynomialEvaluator};
/// let params = Parameters::builder().log_n(10).q_bits(&[55, 40, 40, 40, 40, 40]).p_bits(&[55])
///     .insecure_for_testing_only().build().unwrap();
/// let ctx = Context::new(params).unwrap();
/// let mut keygen = KeyGenerator::from_seed(&ctx, [1; 32]);
/// let sk = keygen.secret_key();
/// let (pk, rlk) = (keygen.public_key(&sk).unwrap(), keygen.relin_key(&sk).unwrap());
/// let encoder = Encoder::new(&ctx);
/// let top = ctx.params().max_level();
/// let x = [-1.5, 0.0, 2.0];
/// // tanh on [-2, 2], degree 15: 4 levels for the polynomial.
/// let p = Polynomial::interpolate(f64::tanh, Interval::new(-2.0, 2.0).unwrap(), 15).unwrap();
/// let evaluator = Evaluator::new(&ctx);
/// let poly_eval = PolynomialEvaluator::new(&evaluator, &rlk);
/// let mut encryptor = Encryptor::from_seed(&ctx, [2; 32]);
/// // At scale 2^40 the map y = x/2 costs a level; at 2^39 (≤ q/2) it is folded for free.
/// let ct40 = encryptor.encrypt(&encoder.encode_real(&x, 4, top, 2f64.powi(40)).unwrap(), &pk).unwrap();
/// assert_eq!(poly_eval.levels_consumed(&p, &ct40), 5);
/// let ct = encryptor.encrypt(&encoder.encode_real(&x, 4, top, 2f64.powi(39)).unwrap(), &pk).unwrap();
/// assert_eq!(poly_eval.levels_consumed(&p, &ct), 4);
/// let out_ct = poly_eval.evaluate(&ct, &p).unwrap();
/// assert_eq!((out_ct.level(), out_ct.scale()), (top - 4, ct.scale()));
/// let out = encoder.decode_real(&Decryptor::new(&ctx).decrypt(&out_ct, &sk).unwrap()).unwrap();
/// for (got, x) in out.iter().zip(x) {
///     assert!((got - x.tanh()).abs() < 1e-3);
/// }
/// ```
#[derive(Debug, Clone, Copy)]
pub struct PolynomialEvaluator<'a> {
    evaluator: &'a Evaluator,
    relin_key: &'a RelinKey,
}

impl<'a> PolynomialEvaluator<'a> {
    /// An evaluator using `evaluator` and the relinearization key.
    pub fn new(evaluator: &'a Evaluator, relin_key: &'a RelinKey) -> Self {
        Self { evaluator, relin_key }
    }

    /// The evaluator underneath.
    pub(crate) fn evaluator(&self) -> &'a Evaluator {
        self.evaluator
    }

    /// The relinearization key.
    pub(crate) fn relin_key(&self) -> &'a RelinKey {
        self.relin_key
    }

    /// The plan the evaluator follows for `poly` (its powers and splits, products counted).
    pub fn plan(&self, poly: &Polynomial) -> EvaluationPlan {
        EvaluationPlan::new(poly.basis(), poly.coefficients())
    }

    /// Levels consumed when `poly` is evaluated on `input`: [`Polynomial::depth`], plus one
    /// when the map of the interval onto `[-1, 1]` cannot be folded into the input's scale.
    pub fn levels_consumed(&self, poly: &Polynomial, input: &Ciphertext) -> usize {
        self.levels_consumed_at(poly, input.level(), input.scale())
    }

    /// [`PolynomialEvaluator::levels_consumed`] for an input at `level` with `scale`, before
    /// any ciphertext exists (for planners).
    pub fn levels_consumed_at(&self, poly: &Polynomial, level: usize, scale: f64) -> usize {
        let rescaled = self.linear_map(poly.interval(), level, scale) == LinearMap::Rescaled;
        poly.depth() + usize::from(poly.depth() > 0 && rescaled)
    }

    /// The largest input scale at `level` for which the map of `interval` onto `[-1, 1]` is
    /// folded into the scale (no level): `2/(b − a)·q` for the prime `q` the first product is
    /// rescaled by (infinite for `[-1, 1]`). Encode or adjust inputs to this scale or below to
    /// save the level.
    pub fn max_folding_scale(&self, interval: Interval, level: usize) -> f64 {
        if interval.is_unit() {
            return f64::INFINITY;
        }
        let (alpha, _) = interval.affine_to_unit();
        alpha * self.reference_scale(level) * LABEL_SLACK
    }

    /// `poly(input)` slot-wise, at the input's scale; see the type's documentation.
    ///
    /// # Errors
    /// As [`PolynomialEvaluator::evaluate_to_scale`].
    pub fn evaluate(&self, input: &Ciphertext, poly: &Polynomial) -> Result<Ciphertext, CircuitError> {
        self.evaluate_to_scale(input, poly, input.scale())
    }

    /// `poly(input)` slot-wise, with exactly `target_scale`, at level
    /// `input.level() − levels_consumed`.
    ///
    /// # Errors
    /// [`CircuitError::InvalidTargetScale`]; [`CircuitError::InsufficientLevels`] when the
    /// input has fewer levels left than [`PolynomialEvaluator::levels_consumed`];
    /// [`CircuitError::Ckks`] for evaluator errors (other parameters, a size-3 input, a
    /// relinearization key of other parameters, a constant too large to encode).
    pub fn evaluate_to_scale(
        &self,
        input: &Ciphertext,
        poly: &Polynomial,
        target_scale: f64,
    ) -> Result<Ciphertext, CircuitError> {
        self.check_request(input, target_scale, self.levels_consumed(poly, input))?;
        if poly.depth() == 0 {
            let constant = rounded_integer(poly.coefficients()[0] * target_scale)?;
            return Ok(self.evaluator.integer_combination(
                &[],
                constant,
                input.level(),
                target_scale,
                input.slots(),
            )?);
        }
        let plan = self.plan(poly);
        let y = self.first_power(input, poly)?;
        let output_level = y.level() - plan.depth();
        let mut basis = PowerBasis::new(y);
        basis.compute(&plan.powers, self.evaluator, self.relin_key, |level| self.reference_scale(level))?;
        let mut out = self.evaluate_node(&plan.root, &basis, output_level, target_scale)?;
        self.finish(&mut out, target_scale)?;
        Ok(out)
    }

    /// Checks a target scale and that `input` has `needed` levels left, before any work.
    pub(crate) fn check_request(
        &self,
        input: &Ciphertext,
        target_scale: f64,
        needed: usize,
    ) -> Result<(), CircuitError> {
        if !(target_scale.is_finite() && target_scale > 0.0) {
            return Err(CircuitError::InvalidTargetScale { scale: target_scale });
        }
        let available = self.evaluator.rescales_left(input.level());
        if needed > available {
            return Err(CircuitError::InsufficientLevels { needed, available, level: input.level() });
        }
        Ok(())
    }

    /// The scale a power at `level` should have: the prime its next product is divided by
    /// (the default scale at the lowest level, where nothing is multiplied any more).
    pub(crate) fn reference_scale(&self, level: usize) -> f64 {
        match self.evaluator.rescale_divisor(level) {
            Some(q) => q as f64,
            None => self.evaluator.context().params().default_scale(),
        }
    }

    pub(crate) fn divisor(&self, level: usize) -> Result<f64, CkksError> {
        self.evaluator.rescale_divisor(level).map(|q| q as f64).ok_or(CkksError::LevelOutOfRange {
            level,
            min: LOWEST_LEVEL + 1,
            max: self.evaluator.context().params().max_level(),
        })
    }

    fn linear_map(&self, interval: Interval, level: usize, scale: f64) -> LinearMap {
        if interval.is_unit() {
            return LinearMap::Identity;
        }
        let factor = (self.max_folding_scale(interval, level) / scale).floor();
        if factor >= 1.0 && factor < 2f64.powi(62) {
            LinearMap::Folded { factor: factor as i128 }
        } else {
            LinearMap::Rescaled
        }
    }

    /// `B_1 = y = α·x + β`.
    fn first_power(&self, input: &Ciphertext, poly: &Polynomial) -> Result<Ciphertext, CircuitError> {
        let (alpha, beta) = poly.interval().affine_to_unit();
        let level = input.level();
        Ok(match self.linear_map(poly.interval(), input.level(), input.scale()) {
            LinearMap::Identity => input.clone(),
            LinearMap::Folded { factor } => {
                let scale = factor as f64 * input.scale() / alpha;
                let offset = rounded_integer(beta * scale)?;
                self.evaluator.integer_combination(&[(input, factor)], offset, level, scale, input.slots())?
            }
            LinearMap::Rescaled => {
                let q = self.divisor(level)?;
                let target = self.reference_scale(level - 1);
                let scale = target * q;
                let k = rounded_integer(alpha * scale / input.scale())?;
                let offset = rounded_integer(beta * scale)?;
                let mut y = self.evaluator.integer_combination(&[(input, k)], offset, level, scale, input.slots())?;
                self.evaluator.rescale_assign(&mut y)?;
                y
            }
        })
    }

    /// The node's value *before its last rescale*: at `level + 1` with scale `scale·q` (`q` the
    /// prime of that rescale), so that a chain of remainders is summed, relinearized and
    /// rescaled once.
    fn evaluate_node(
        &self,
        node: &Node,
        basis: &PowerBasis,
        level: usize,
        scale: f64,
    ) -> Result<Ciphertext, CircuitError> {
        let q = self.divisor(level + 1)?;
        let pre_scale = scale * q;
        match node {
            Node::Leaf { coefficients } => self.leaf(coefficients, basis, level + 1, pre_scale),
            Node::Split { power, quotient, remainder } => {
                let giant = basis.get(*power);
                let mut product = match quotient.as_ref() {
                    // A constant quotient (degree exactly a power of two): a scalar multiple.
                    Node::Leaf { coefficients } if coefficients.len() == 1 => {
                        self.leaf(&scaled_unit(coefficients[0], *power), basis, level + 1, pre_scale)?
                    }
                    _ => {
                        let quotient_scale = pre_scale / giant.scale();
                        let mut value = self.evaluate_node(quotient, basis, level + 1, quotient_scale)?;
                        self.finish(&mut value, quotient_scale)?;
                        let giant = drop_if_above(self.evaluator, giant, level + 1)?;
                        self.evaluator.multiply(&value, &giant)?
                    }
                };
                let rest = self.evaluate_node(remainder, basis, level, scale)?;
                product.scale = pre_scale;
                self.evaluator.add_assign(&mut product, &rest)?;
                Ok(product)
            }
        }
    }

    /// `Σ c_i B_i` at `level` with scale `scale`: each power times `round(c_i·scale/scale(B_i))`.
    fn leaf(
        &self,
        coefficients: &[f64],
        basis: &PowerBasis,
        level: usize,
        scale: f64,
    ) -> Result<Ciphertext, CircuitError> {
        let mut terms = Vec::with_capacity(coefficients.len());
        for (i, &c) in coefficients.iter().enumerate().skip(1) {
            if c != 0.0 {
                let power = basis.get(i);
                terms.push((power, rounded_integer(c * scale / power.scale())?));
            }
        }
        let constant = rounded_integer(coefficients[0] * scale)?;
        let slots = basis.get(1).slots();
        Ok(self.evaluator.integer_combination(&terms, constant, level, scale, slots)?)
    }

    /// Relinearizes (when the value is a sum of unrelinearized products) and rescales, and
    /// records the scale exactly as `scale` (the tracked quotient differs by rounding only).
    fn finish(&self, value: &mut Ciphertext, scale: f64) -> Result<(), CircuitError> {
        if value.size() == 3 {
            *value = self.evaluator.relinearize(value, self.relin_key)?;
        }
        self.evaluator.rescale_assign(value)?;
        debug_assert!((value.scale / scale - 1.0).abs() < 1e-9, "scale {} vs {scale}", value.scale);
        value.scale = scale;
        Ok(())
    }
}

/// The coefficient vector of `c·B_power`.
fn scaled_unit(c: f64, power: usize) -> Vec<f64> {
    let mut coefficients = vec![0.0; power + 1];
    coefficients[power] = c;
    coefficients
}
