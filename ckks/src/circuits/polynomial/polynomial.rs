//! Polynomials in the monomial or Chebyshev basis on an interval, evaluated in `f64`.

use super::interval::Interval;
use crate::circuits::CircuitError;

/// The largest degree the evaluator accepts: beyond it the power basis alone would exceed any
/// modulus chain this crate can build, and the plan's tables grow without use.
pub const MAX_DEGREE: usize = 4095;

/// Coefficients whose magnitude is below this fraction of the largest one are treated as zero
/// (they change the value by less than `f64` rounding of the result).
pub(crate) const NEGLIGIBLE_RELATIVE: f64 = 1e-14;

/// The basis a polynomial is written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Basis {
    /// `Σ c_i y^i`.
    Monomial,
    /// `Σ c_i T_i(y)` with the Chebyshev polynomials of the first kind
    /// (`T_0 = 1`, `T_1 = y`, `T_{i+j} = 2·T_i·T_j − T_{|i−j|}`), bounded by 1 on `[-1, 1]`: the
    /// numerically stable choice for approximations.
    Chebyshev,
}

/// Whether a polynomial has only odd or only even terms (in `y`); both halve the powers the
/// evaluator computes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Parity {
    /// Only odd powers.
    Odd,
    /// Only even powers.
    Even,
    /// Both.
    Mixed,
}

/// `p(x) = Σ c_i B_i(y)` with `y = (2x − a − b)/(b − a)` for the interval `[a, b]` and `B_i` the
/// monomials or the Chebyshev polynomials. On [`Interval::UNIT`], `y = x`.
///
/// Trailing coefficients that are negligible (below `1e-14` of the largest) are dropped, so
/// [`Polynomial::degree`] is the effective degree.
///
/// ```
/// use spencnn_ckks::circuits::polynomial::{Interval, Polynomial};
/// // 1 + 2·T_1(y) + 3·T_2(y) on [0, 4]: at x = 4, y = 1 and every T_i(1) = 1.
/// let p = Polynomial::chebyshev(&[1.0, 2.0, 3.0], Interval::new(0.0, 4.0).unwrap()).unwrap();
/// assert_eq!(p.degree(), 2);
/// assert!((p.evaluate(4.0) - 6.0).abs() < 1e-12);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct Polynomial {
    basis: Basis,
    coefficients: Vec<f64>,
    interval: Interval,
}

impl Polynomial {
    /// `Σ c_i T_i(y)` on `interval`.
    ///
    /// # Errors
    /// [`CircuitError::EmptyPolynomial`], [`CircuitError::NonFiniteCoefficient`],
    /// [`CircuitError::DegreeTooLarge`] above [`MAX_DEGREE`].
    pub fn chebyshev(coefficients: &[f64], interval: Interval) -> Result<Self, CircuitError> {
        Self::new(Basis::Chebyshev, coefficients, interval)
    }

    /// `Σ c_i x^i` (on [`Interval::UNIT`], so the variable is `x` itself).
    ///
    /// # Errors
    /// As [`Polynomial::chebyshev`].
    pub fn monomial(coefficients: &[f64]) -> Result<Self, CircuitError> {
        Self::new(Basis::Monomial, coefficients, Interval::UNIT)
    }

    /// `Σ c_i B_i(y)` in `basis` on `interval`.
    ///
    /// # Errors
    /// As [`Polynomial::chebyshev`].
    pub fn new(basis: Basis, coefficients: &[f64], interval: Interval) -> Result<Self, CircuitError> {
        if coefficients.is_empty() {
            return Err(CircuitError::EmptyPolynomial);
        }
        if let Some((index, &value)) = coefficients.iter().enumerate().find(|(_, c)| !c.is_finite()) {
            return Err(CircuitError::NonFiniteCoefficient { index, value });
        }
        let mut coefficients = coefficients.to_vec();
        trim_negligible(&mut coefficients);
        let degree = coefficients.len() - 1;
        if degree > MAX_DEGREE {
            return Err(CircuitError::DegreeTooLarge { degree, max: MAX_DEGREE });
        }
        Ok(Self { basis, coefficients, interval })
    }

    /// The basis.
    pub fn basis(&self) -> Basis {
        self.basis
    }

    /// The coefficients, constant first (negligible trailing ones removed).
    pub fn coefficients(&self) -> &[f64] {
        &self.coefficients
    }

    /// The interval whose image `[-1, 1]` the basis lives on.
    pub fn interval(&self) -> Interval {
        self.interval
    }

    /// The effective degree.
    pub fn degree(&self) -> usize {
        self.coefficients.len() - 1
    }

    /// The multiplicative depth of evaluating the polynomial in `y`: `ceil(log2(degree + 1))`
    /// (0 for a constant, 1 for a linear polynomial). The evaluator consumes exactly this many
    /// levels, plus one when the map from `[a, b]` onto `[-1, 1]` cannot be folded into the
    /// input's scale (see [`super::PolynomialEvaluator::levels_consumed`]).
    pub fn depth(&self) -> usize {
        ceil_log2(self.degree() + 1)
    }

    /// The plan [`super::PolynomialEvaluator`] follows for this polynomial (powers, splits,
    /// products), available before any ciphertext exists (for planners pricing an evaluation).
    pub fn evaluation_plan(&self) -> super::EvaluationPlan {
        super::EvaluationPlan::new(self.basis, &self.coefficients)
    }

    /// Odd, even or mixed (in `y`), ignoring negligible coefficients.
    pub fn parity(&self) -> Parity {
        let threshold = negligible_threshold(&self.coefficients);
        let odd_only = self.coefficients.iter().step_by(2).all(|c| c.abs() <= threshold);
        let even_only = self.coefficients.iter().skip(1).step_by(2).all(|c| c.abs() <= threshold);
        match (odd_only, even_only) {
            (true, _) if self.degree() > 0 => Parity::Odd,
            (_, true) => Parity::Even,
            _ => Parity::Mixed,
        }
    }

    /// `p(x)` in `f64`: the Clenshaw recurrence (Chebyshev) or Horner's rule (monomial) at
    /// `y = (2x − a − b)/(b − a)`.
    pub fn evaluate(&self, x: f64) -> f64 {
        evaluate_in_basis(self.basis, &self.coefficients, self.interval.to_unit(x))
    }
}

/// `Σ c_i B_i(y)` for coefficients in `basis`.
pub(crate) fn evaluate_in_basis(basis: Basis, coefficients: &[f64], y: f64) -> f64 {
    match basis {
        Basis::Monomial => coefficients.iter().rev().fold(0.0, |acc, &c| acc * y + c),
        Basis::Chebyshev => {
            // Clenshaw: b_k = c_k + 2y·b_{k+1} − b_{k+2}; p = c_0 + y·b_1 − b_2.
            let (mut b1, mut b2) = (0.0, 0.0);
            for &c in coefficients.iter().skip(1).rev() {
                let b0 = c + 2.0 * y * b1 - b2;
                b2 = b1;
                b1 = b0;
            }
            coefficients[0] + y * b1 - b2
        }
    }
}

/// `ceil(log2(n))` for `n ≥ 1` (0 for 1).
pub(crate) fn ceil_log2(n: usize) -> usize {
    debug_assert!(n >= 1);
    (usize::BITS - (n - 1).leading_zeros()) as usize
}

/// The magnitude below which a coefficient is negligible.
pub(crate) fn negligible_threshold(coefficients: &[f64]) -> f64 {
    coefficients.iter().fold(0.0f64, |m, c| m.max(c.abs())) * NEGLIGIBLE_RELATIVE
}

/// Removes negligible trailing coefficients (keeping at least one).
fn trim_negligible(coefficients: &mut Vec<f64>) {
    let threshold = negligible_threshold(coefficients);
    while coefficients.len() > 1 && coefficients.last().is_some_and(|c| c.abs() <= threshold) {
        coefficients.pop();
    }
}

/// `p = q·B_n + r` with `deg r < n`, for `n ≤ deg p < 2n`: the quotient and remainder by the
/// basis element `B_n` (`y^n`, or `T_n` with `T_{n+j} = 2·T_n·T_j − T_{n−j}`).
pub(crate) fn divide_by_basis_element(basis: Basis, coefficients: &[f64], n: usize) -> (Vec<f64>, Vec<f64>) {
    let degree = coefficients.len() - 1;
    debug_assert!(n >= 1 && n <= degree && degree < 2 * n, "split {n} of degree {degree}");
    let mut remainder = coefficients[..n].to_vec();
    let mut quotient = coefficients[n..].to_vec();
    if basis == Basis::Chebyshev {
        for j in 1..quotient.len() {
            remainder[n - j] -= quotient[j];
            quotient[j] *= 2.0;
        }
    }
    (quotient, remainder)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `T_i(y)` by the defining recurrence.
    fn chebyshev_t(i: usize, y: f64) -> f64 {
        let (mut t0, mut t1) = (1.0, y);
        if i == 0 {
            return t0;
        }
        for _ in 1..i {
            let t2 = 2.0 * y * t1 - t0;
            t0 = t1;
            t1 = t2;
        }
        t1
    }

    #[test]
    fn clenshaw_matches_the_sum_of_chebyshev_polynomials() {
        let coefficients = [0.3, -1.2, 0.5, 0.25, -0.125, 0.7];
        for k in 0..=20 {
            let y = -1.0 + k as f64 / 10.0;
            let direct: f64 = coefficients.iter().enumerate().map(|(i, c)| c * chebyshev_t(i, y)).sum();
            assert!((evaluate_in_basis(Basis::Chebyshev, &coefficients, y) - direct).abs() < 1e-13);
        }
    }

    #[test]
    fn division_by_a_basis_element_is_exact() {
        let coefficients = [0.3, -1.2, 0.5, 0.25, -0.125, 0.7, 0.1];
        for basis in [Basis::Chebyshev, Basis::Monomial] {
            for n in [4, 6] {
                let (q, r) = divide_by_basis_element(basis, &coefficients, n);
                assert_eq!(r.len(), n);
                for k in 0..=20 {
                    let y = -1.0 + k as f64 / 10.0;
                    let b_n = if basis == Basis::Chebyshev { chebyshev_t(n, y) } else { y.powi(n as i32) };
                    let split = evaluate_in_basis(basis, &q, y) * b_n + evaluate_in_basis(basis, &r, y);
                    assert!((split - evaluate_in_basis(basis, &coefficients, y)).abs() < 1e-12, "{basis:?} n={n}");
                }
            }
        }
    }

    #[test]
    fn construction_trims_checks_and_reports_parity() {
        let p = Polynomial::chebyshev(&[0.0, 1.0, 1e-17, -0.5, 0.0, 0.0], Interval::UNIT).unwrap();
        assert_eq!((p.degree(), p.depth(), p.parity()), (3, 2, Parity::Odd));
        let even = Polynomial::monomial(&[1.0, 0.0, 2.0]).unwrap();
        assert_eq!(even.parity(), Parity::Even);
        assert_eq!(Polynomial::monomial(&[1.0, 1.0]).unwrap().parity(), Parity::Mixed);
        assert_eq!(Polynomial::monomial(&[]), Err(CircuitError::EmptyPolynomial));
        assert!(matches!(
            Polynomial::monomial(&[1.0, f64::NAN]),
            Err(CircuitError::NonFiniteCoefficient { index: 1, .. })
        ));
        let too_long = vec![1.0; MAX_DEGREE + 2];
        assert_eq!(
            Polynomial::monomial(&too_long),
            Err(CircuitError::DegreeTooLarge { degree: MAX_DEGREE + 1, max: MAX_DEGREE })
        );
        assert_eq!([1, 2, 3, 4, 5, 8, 9].map(ceil_log2), [0, 1, 2, 2, 3, 3, 4]);
    }
}
