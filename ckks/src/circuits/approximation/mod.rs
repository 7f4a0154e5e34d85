//! Ready approximations on an interval: smooth functions by Chebyshev interpolation with a
//! degree chosen for a target error, and `sign`/ReLU by composite minimax polynomials.
//!
//! Every constructor returns a plaintext object ([`Polynomial`] or [`CompositePolynomial`])
//! with its depth and an `evaluate` for `f64` simulation; the encrypted evaluation is
//! [`crate::circuits::polynomial::PolynomialEvaluator`]'s. [`ErrorStatistics`] measures an
//! approximation's precision over a grid (plaintext or decrypted values alike).
//!
//! ```
//! use spencnn_ckks::circuits::approximation;
//! use spencnn_ckks::circuits::polynomial::Interval;
//! let interval = Interval::new(-8.0, 8.0).unwrap();
//! let sigmoid = approximation::sigmoid(interval, 1e-4).unwrap();
//! assert!(sigmoid.depth() <= 6);
//! // ReLU on [-8, 8]: sign error ≤ 2^-10 outside (-8/128, 8/128).
//! let relu = approximation::relu(interval, 1.0 / 128.0, 10.0).unwrap();
//! assert!((relu.evaluate(3.0) - 3.0).abs() < 8.0 * 2f64.powi(-10));
//! assert!(relu.evaluate(-3.0).abs() < 8.0 * 2f64.powi(-10));
//! ```

mod remez;
mod sign;

use crate::circuits::CircuitError;
use crate::circuits::polynomial::{CompositePolynomial, Interval, Polynomial};

/// The largest degree the smooth-function constructors try.
pub const DEFAULT_MAX_DEGREE: usize = 1023;

/// The Chebyshev interpolant of `f` on `interval` of the smallest depth, then degree, whose
/// maximum error is at most `max_error` ([`Polynomial::interpolate_to_error`] with
/// [`DEFAULT_MAX_DEGREE`]).
///
/// # Errors
/// As [`Polynomial::interpolate_to_error`].
pub fn chebyshev(f: impl Fn(f64) -> f64, interval: Interval, max_error: f64) -> Result<Polynomial, CircuitError> {
    Polynomial::interpolate_to_error(f, interval, max_error, DEFAULT_MAX_DEGREE)
}

/// The logistic function `1/(1 + e^{−x})` on `interval`.
///
/// # Errors
/// As [`chebyshev`].
pub fn sigmoid(interval: Interval, max_error: f64) -> Result<Polynomial, CircuitError> {
    chebyshev(|x| 1.0 / (1.0 + (-x).exp()), interval, max_error)
}

/// `tanh(x)` on `interval`.
///
/// # Errors
/// As [`chebyshev`].
pub fn tanh(interval: Interval, max_error: f64) -> Result<Polynomial, CircuitError> {
    chebyshev(f64::tanh, interval, max_error)
}

/// GELU, `x·Φ(x) = x·(1 + erf(x/√2))/2` (the exact form, as ONNX's `Gelu` by default), on
/// `interval`.
///
/// # Errors
/// As [`chebyshev`].
pub fn gelu(interval: Interval, max_error: f64) -> Result<Polynomial, CircuitError> {
    chebyshev(|x| 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)), interval, max_error)
}

/// `1/x` on an interval that excludes 0 (`a > 0` or `b < 0`). The degree grows like
/// `sqrt(b/a)·log(1/error)`: narrow the interval (or scale the input) for small `a`.
///
/// # Errors
/// [`CircuitError::IntervalOutsideDomain`] when `0 ∈ [a, b]`; as [`chebyshev`].
pub fn inverse(interval: Interval, max_error: f64) -> Result<Polynomial, CircuitError> {
    if interval.lower() <= 0.0 && interval.upper() >= 0.0 {
        return Err(outside(interval, "1/x", "the interval must exclude 0"));
    }
    chebyshev(|x| 1.0 / x, interval, max_error)
}

/// `sqrt(x)` on `[a, b]` with `a ≥ 0` (at `a = 0` the square root is not smooth and the degree
/// grows like `1/error²`; prefer `a > 0`).
///
/// # Errors
/// [`CircuitError::IntervalOutsideDomain`] when `a < 0`; as [`chebyshev`].
pub fn sqrt(interval: Interval, max_error: f64) -> Result<Polynomial, CircuitError> {
    if interval.lower() < 0.0 {
        return Err(outside(interval, "sqrt", "the interval must be within [0, ∞)"));
    }
    chebyshev(f64::sqrt, interval, max_error)
}

/// `1/sqrt(x)` on `[a, b]` with `a > 0`.
///
/// # Errors
/// [`CircuitError::IntervalOutsideDomain`] when `a ≤ 0`; as [`chebyshev`].
pub fn inverse_sqrt(interval: Interval, max_error: f64) -> Result<Polynomial, CircuitError> {
    if interval.lower() <= 0.0 {
        return Err(outside(interval, "1/sqrt", "the interval must be within (0, ∞)"));
    }
    chebyshev(|x| 1.0 / x.sqrt(), interval, max_error)
}

fn outside(interval: Interval, function: &'static str, requirement: &'static str) -> CircuitError {
    CircuitError::IntervalOutsideDomain { a: interval.lower(), b: interval.upper(), function, requirement }
}

/// `sign(x)` for `x ∈ [-R, R]`, `R = max(|a|, |b|)` of `interval`: a composite of odd minimax
/// polynomials (see the `sign` design notes) with error at most `2^-precision_bits` for
/// `ε·R ≤ |x| ≤ R`, and values within `[-1 − 2^-α, 1 + 2^-α]` everywhere on `[-R, R]`.
///
/// # Errors
/// [`CircuitError::ParameterOutOfRange`] unless `2^-30 ≤ ε ≤ 0.5` and
/// `1 ≤ precision_bits ≤ 40`; [`CircuitError::ApproximationNotReached`] when no chain of
/// depth ≤ 48 reaches it.
pub fn sign(interval: Interval, epsilon: f64, precision_bits: f64) -> Result<CompositePolynomial, CircuitError> {
    let mut stages = sign::sign_stages(epsilon, precision_bits)?;
    stages[0] = on_symmetric(&stages[0], interval)?;
    CompositePolynomial::new(stages)
}

/// `ReLU(x) = x·(1 + sign(x))/2` for `x ∈ [-R, R]`, `R = max(|a|, |b|)` of `interval`, with
/// the [`sign`] approximation of the same `ε` and precision folded into the last stage: the
/// error is at most `R·2^-(α+1)` for `|x| ≥ ε·R` and at most `ε·R` inside. One level more than
/// [`sign`] (the product with `x`).
///
/// # Errors
/// As [`sign`].
pub fn relu(interval: Interval, epsilon: f64, precision_bits: f64) -> Result<CompositePolynomial, CircuitError> {
    let mut stages = sign::sign_stages(epsilon, precision_bits)?;
    stages[0] = on_symmetric(&stages[0], interval)?;
    let last = stages.pop().expect("at least one stage");
    let step: Vec<f64> =
        last.coefficients().iter().enumerate().map(|(i, c)| c / 2.0 + if i == 0 { 0.5 } else { 0.0 }).collect();
    stages.push(Polynomial::new(last.basis(), &step, last.interval())?);
    CompositePolynomial::times_input(stages)
}

/// The stage re-read on `[-R, R]` (`R = max(|a|, |b|)`): the same coefficients in `x/R`.
fn on_symmetric(stage: &Polynomial, interval: Interval) -> Result<Polynomial, CircuitError> {
    let radius = interval.lower().abs().max(interval.upper().abs());
    Polynomial::new(stage.basis(), stage.coefficients(), Interval::symmetric(radius)?)
}

/// Precision of an approximation over sample points: `−log2` of the worst and of the mean
/// absolute error (the convention of the precision tables: larger is better).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ErrorStatistics {
    /// `−log2(max |error|)`.
    pub worst_bits: f64,
    /// `−log2(mean |error|)`.
    pub mean_bits: f64,
}

impl ErrorStatistics {
    /// The statistics of `got[i]` against `expected[i]`.
    ///
    /// # Panics
    /// When the lengths differ or are zero (a programming error, not an input error).
    pub fn of(expected: &[f64], got: &[f64]) -> Self {
        assert!(!expected.is_empty() && expected.len() == got.len(), "equal, non-zero lengths");
        let errors: Vec<f64> = expected.iter().zip(got).map(|(e, g)| (e - g).abs()).collect();
        let worst = errors.iter().copied().fold(0.0, f64::max);
        let mean = errors.iter().sum::<f64>() / errors.len() as f64;
        let bits = |e: f64| -e.max(f64::MIN_POSITIVE).log2();
        Self { worst_bits: bits(worst), mean_bits: bits(mean) }
    }

    /// The statistics of `approximation` against `reference` at `points`.
    pub fn measure(approximation: impl Fn(f64) -> f64, reference: impl Fn(f64) -> f64, points: &[f64]) -> Self {
        let expected: Vec<f64> = points.iter().map(|&x| reference(x)).collect();
        let got: Vec<f64> = points.iter().map(|&x| approximation(x)).collect();
        Self::of(&expected, &got)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smooth_functions_meet_their_error_on_a_dense_grid() {
        type Case =
            (&'static str, fn(Interval, f64) -> Result<Polynomial, CircuitError>, fn(f64) -> f64, (f64, f64), f64);
        let cases: [Case; 6] = [
            ("sigmoid", sigmoid, |x| 1.0 / (1.0 + (-x).exp()), (-8.0, 8.0), 1e-6),
            ("tanh", tanh, f64::tanh, (-4.0, 4.0), 1e-6),
            ("gelu", gelu, |x| 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)), (-6.0, 6.0), 1e-5),
            ("1/x", inverse, |x| 1.0 / x, (0.25, 4.0), 1e-5),
            ("sqrt", sqrt, f64::sqrt, (0.1, 2.0), 1e-6),
            ("1/sqrt", inverse_sqrt, |x| 1.0 / x.sqrt(), (0.1, 2.0), 1e-5),
        ];
        for (name, build, f, (a, b), max_error) in cases {
            let interval = Interval::new(a, b).unwrap();
            let p = build(interval, max_error).unwrap();
            let stats = ErrorStatistics::measure(|x| p.evaluate(x), f, &interval.grid(10_001));
            println!("{name}: degree {}, depth {}, worst {:.1} bits", p.degree(), p.depth(), stats.worst_bits);
            assert!(stats.worst_bits >= -max_error.log2() - 0.01, "{name}: {stats:?}");
        }
    }

    #[test]
    fn domains_are_checked() {
        let across_zero = Interval::new(-1.0, 1.0).unwrap();
        for result in
            [inverse(across_zero, 1e-3), sqrt(across_zero, 1e-3), inverse_sqrt(Interval::new(0.0, 1.0).unwrap(), 1e-3)]
        {
            assert!(matches!(result, Err(CircuitError::IntervalOutsideDomain { .. })));
        }
        assert!(inverse(Interval::new(-4.0, -0.5).unwrap(), 1e-4).is_ok());
    }

    #[test]
    fn relu_error_is_bounded_inside_and_outside_the_gap() {
        let interval = Interval::new(-3.0, 5.0).unwrap();
        let (epsilon, bits) = (1.0 / 64.0, 10.0);
        let relu = relu(interval, epsilon, bits).unwrap();
        let sign = sign(interval, epsilon, bits).unwrap();
        assert_eq!(relu.depth(), sign.depth() + 1);
        let radius = 5.0;
        for x in Interval::symmetric(radius).unwrap().grid(20_001) {
            let error = (relu.evaluate(x) - x.max(0.0)).abs();
            let bound = if x.abs() >= epsilon * radius { radius * (-(bits + 1.0)).exp2() } else { epsilon * radius };
            assert!(error <= bound * 1.01, "x = {x}: {error} > {bound}");
        }
    }
}
