//! Chebyshev interpolation of `f64` functions, and a degree chooser for a target error.

use std::f64::consts::PI;

use super::interval::Interval;
use super::polynomial::{MAX_DEGREE, Polynomial, ceil_log2};
use crate::circuits::CircuitError;

/// Points of the grid on which [`Polynomial::interpolate_to_error`] measures the error, at least.
const MIN_ERROR_GRID: usize = 2048;

impl Polynomial {
    /// The Chebyshev interpolant of `f` of `degree` on `interval`: the polynomial that agrees
    /// with `f` at the `degree + 1` Chebyshev nodes `x_k = map⁻¹(cos(π(k + ½)/(degree + 1)))`.
    /// For smooth `f` its error is within a small factor of the best polynomial approximation.
    ///
    /// ```
    /// use spencnn_ckks::circuits::polynomial::{Interval, Polynomial};
    /// let p = Polynomial::interpolate(f64::exp, Interval::new(-2.0, 2.0).unwrap(), 20).unwrap();
    /// assert!((p.evaluate(1.3) - 1.3f64.exp()).abs() < 1e-12);
    /// ```
    ///
    /// # Errors
    /// [`CircuitError::DegreeTooLarge`], [`CircuitError::NonFiniteCoefficient`] when `f` is not
    /// finite at a node (the index is the node's).
    pub fn interpolate(f: impl Fn(f64) -> f64, interval: Interval, degree: usize) -> Result<Self, CircuitError> {
        if degree > MAX_DEGREE {
            return Err(CircuitError::DegreeTooLarge { degree, max: MAX_DEGREE });
        }
        let n = degree + 1;
        let mut samples = Vec::with_capacity(n);
        for k in 0..n {
            let value = f(interval.from_unit((PI * (k as f64 + 0.5) / n as f64).cos()));
            if !value.is_finite() {
                return Err(CircuitError::NonFiniteCoefficient { index: k, value });
            }
            samples.push(value);
        }
        // c_j = (2/n) Σ_k f(x_k)·cos(π·j·(k + ½)/n), halved for j = 0. The cosine is taken from
        // an index table (j·(2k + 1) mod 4n) so that the O(n²) sum needs only 4n cosines.
        let table: Vec<f64> = (0..4 * n).map(|t| (PI * t as f64 / (2 * n) as f64).cos()).collect();
        let coefficients: Vec<f64> = (0..n)
            .map(|j| {
                let sum: f64 = samples.iter().enumerate().map(|(k, s)| s * table[(j * (2 * k + 1)) % (4 * n)]).sum();
                let c = 2.0 * sum / n as f64;
                if j == 0 { c / 2.0 } else { c }
            })
            .collect();
        Polynomial::chebyshev(&coefficients, interval)
    }

    /// The Chebyshev interpolant of `f` on `interval` of the smallest degree whose maximum
    /// error, measured on a grid of `max(2048, 8·(degree + 1))` equally spaced points, is at
    /// most `max_error`. It first finds the smallest depth (degree `2^k − 1`) that reaches the
    /// error, then the smallest degree of that depth, so the result costs as few levels and then
    /// as few multiplications as possible.
    ///
    /// # Errors
    /// [`CircuitError::ParameterOutOfRange`] unless `max_error` is positive and finite;
    /// [`CircuitError::DegreeTooLarge`]; [`CircuitError::ApproximationNotReached`] when no
    /// degree up to `max_degree` reaches the error; errors of [`Polynomial::interpolate`].
    pub fn interpolate_to_error(
        f: impl Fn(f64) -> f64,
        interval: Interval,
        max_error: f64,
        max_degree: usize,
    ) -> Result<Self, CircuitError> {
        if !(max_error.is_finite() && max_error > 0.0) {
            return Err(CircuitError::ParameterOutOfRange { what: "max_error", value: max_error, min: 0.0, max: 1.0 });
        }
        if max_degree > MAX_DEGREE {
            return Err(CircuitError::DegreeTooLarge { degree: max_degree, max: MAX_DEGREE });
        }
        let attempt = |degree: usize| -> Result<(Polynomial, f64), CircuitError> {
            let p = Polynomial::interpolate(&f, interval, degree)?;
            let grid = interval.grid(MIN_ERROR_GRID.max(8 * (degree + 1)));
            let error = grid.iter().map(|&x| (p.evaluate(x) - f(x)).abs()).fold(0.0, f64::max);
            Ok((p, error))
        };
        // Smallest depth whose full degree 2^k − 1 (capped at max_degree) reaches the error.
        let mut best_error = f64::INFINITY;
        let mut found = None;
        for depth in 1..=ceil_log2(max_degree + 1) {
            let degree = ((1usize << depth) - 1).min(max_degree);
            let (p, error) = attempt(degree)?;
            best_error = best_error.min(error);
            if error <= max_error {
                found = Some((depth, p));
                break;
            }
        }
        let Some((depth, mut best)) = found else {
            return Err(CircuitError::ApproximationNotReached {
                target_error: max_error,
                max_degree,
                achieved_error: best_error,
            });
        };
        // Smallest degree of that depth reaching the error (the error decreases with the degree
        // for the functions of interest; a bisection keeps the search short).
        let (mut low, mut high) = ((1usize << (depth - 1)).saturating_sub(1), best.degree());
        while high - low > 1 {
            let mid = (low + high) / 2;
            let (p, error) = attempt(mid)?;
            if error <= max_error {
                high = mid;
                best = p;
            } else {
                low = mid;
            }
        }
        Ok(best)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn interpolation_reproduces_polynomials_exactly() {
        // A cubic is its own interpolant from degree 3 on.
        let f = |x: f64| 0.5 - x + 0.25 * x * x * x;
        let interval = Interval::new(-3.0, 1.0).unwrap();
        let p = Polynomial::interpolate(f, interval, 7).unwrap();
        assert_eq!(p.degree(), 3);
        for x in interval.grid(33) {
            assert!((p.evaluate(x) - f(x)).abs() < 1e-12, "{x}");
        }
    }

    #[test]
    fn degree_chooser_meets_the_error_with_the_smallest_depth() {
        let interval = Interval::new(-8.0, 8.0).unwrap();
        let sigmoid = |x: f64| 1.0 / (1.0 + (-x).exp());
        let p = Polynomial::interpolate_to_error(sigmoid, interval, 1e-6, 255).unwrap();
        let error = interval.grid(5000).iter().map(|&x| (p.evaluate(x) - sigmoid(x)).abs()).fold(0.0, f64::max);
        assert!(error <= 1e-6, "{error}");
        // One degree less of the same depth, or the full degree one depth lower, misses it.
        let lower = Polynomial::interpolate(sigmoid, interval, p.degree() - 1).unwrap();
        let lower_error =
            interval.grid(5000).iter().map(|&x| (lower.evaluate(x) - sigmoid(x)).abs()).fold(0.0, f64::max);
        assert!(lower_error > 1e-6 || lower.depth() < p.depth(), "degree {} is not the smallest", p.degree());
        let shallower = Polynomial::interpolate(sigmoid, interval, (1 << (p.depth() - 1)) - 1).unwrap();
        let shallower_error =
            interval.grid(5000).iter().map(|&x| (shallower.evaluate(x) - sigmoid(x)).abs()).fold(0.0, f64::max);
        assert!(shallower_error > 1e-6);
    }

    #[test]
    fn unreachable_errors_and_bad_functions_are_typed() {
        let interval = Interval::new(0.0, 1.0).unwrap();
        let rough = |x: f64| (x - 0.5).abs();
        assert!(matches!(
            Polynomial::interpolate_to_error(rough, interval, 1e-12, 31),
            Err(CircuitError::ApproximationNotReached { max_degree: 31, .. })
        ));
        assert!(matches!(
            Polynomial::interpolate(|_| f64::NAN, interval, 3),
            Err(CircuitError::NonFiniteCoefficient { index: 0, .. })
        ));
        assert!(matches!(
            Polynomial::interpolate_to_error(f64::exp, interval, 0.0, 31),
            Err(CircuitError::ParameterOutOfRange { .. })
        ));
    }
}
