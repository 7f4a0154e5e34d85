//! ReLU evaluated as a composite minimax polynomial on a bounded interval.
//!
//! HE evaluates only polynomials, so `max(x, 0)` is replaced by `R·p(x/R)`, where `p` is
//! [`spencnn_ckks::circuits::approximation::relu`] on `[-1, 1]` (a chain of odd minimax
//! polynomials approximating `sign`, multiplied by the input). The approximation holds only for
//! inputs in `[-R, R]`: outside, the polynomial grows without bound, so the radius must cover
//! every pre-activation the network meets (given by the user or calibrated on sample inputs,
//! see [`crate::reference::relu_input_peaks`]). The encrypted engine, the slot simulator and
//! the `f64` reference all evaluate this same polynomial.

use std::sync::Arc;

use serde::Serialize;
use spencnn_ckks::circuits::approximation;
use spencnn_ckks::circuits::polynomial::{CompositePolynomial, Interval};

/// How close the polynomial follows ReLU, relative to the radius `R`: error at most
/// `R·2^-(bits+1)` for `|x| ≥ epsilon·R`, at most `epsilon·R` inside that gap.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ReluPrecision {
    /// Relative half-width of the gap around 0 where the error may reach `epsilon·R`.
    pub epsilon: f64,
    /// Bits of the sign approximation outside the gap.
    pub bits: f64,
}

impl Default for ReluPrecision {
    /// `epsilon = 2^-6`, 8 bits: about 10 levels, errors below 1.6 % of `R` near 0 and 0.2 %
    /// of `R` elsewhere.
    fn default() -> Self {
        Self { epsilon: 1.0 / 64.0, bits: 8.0 }
    }
}

/// Why a ReLU approximation cannot be built.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
#[error("ReLU approximation on [-{radius}, {radius}] (epsilon {epsilon}, {bits} bits): {reason}")]
pub struct ReluApproxError {
    /// The radius asked for.
    pub radius: f64,
    /// The gap asked for.
    pub epsilon: f64,
    /// The precision asked for.
    pub bits: f64,
    /// What is wrong.
    pub reason: String,
}

/// `x ↦ R·p(x/R)`, the polynomial stand-in for ReLU on `[-R, R]`.
///
/// Invariant: `unit` is `approximation::relu([-1, 1], precision.epsilon, precision.bits)`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReluApprox {
    /// The radius `R` of the interval `[-R, R]` the inputs must stay in.
    pub radius: f64,
    /// The precision the polynomial was chosen for.
    pub precision: ReluPrecision,
    #[serde(skip)]
    unit: Arc<CompositePolynomial>,
}

impl ReluApprox {
    /// The approximation on `[-radius, radius]`.
    ///
    /// # Errors
    /// [`ReluApproxError`] when the radius is not a positive finite number, or `epsilon` and
    /// `bits` are outside the ranges of [`approximation::relu`] (`2^-30 ≤ ε ≤ 0.5`,
    /// `1 ≤ bits ≤ 40`).
    pub fn new(radius: f64, precision: ReluPrecision) -> Result<Self, ReluApproxError> {
        let fail =
            |reason: String| ReluApproxError { radius, epsilon: precision.epsilon, bits: precision.bits, reason };
        if !(radius.is_finite() && radius > 0.0) {
            return Err(fail("the radius must be a positive finite number".into()));
        }
        let unit =
            approximation::relu(Interval::UNIT, precision.epsilon, precision.bits).map_err(|e| fail(e.to_string()))?;
        Ok(Self { radius, precision, unit: Arc::new(unit) })
    }

    /// The same polynomial on another radius.
    pub fn with_radius(&self, radius: f64) -> Result<Self, ReluApproxError> {
        if !(radius.is_finite() && radius > 0.0) {
            return Self::new(radius, self.precision);
        }
        Ok(Self { radius, ..self.clone() })
    }

    /// The polynomial on `[-1, 1]` that the encrypted engine evaluates on `x/R`.
    pub fn unit_polynomial(&self) -> &CompositePolynomial {
        &self.unit
    }

    /// Levels the polynomial consumes (on `[-1, 1]`-scaled input).
    pub fn depth(&self) -> usize {
        self.unit.depth()
    }

    /// `R·p(x/R)` in `f64`.
    pub fn evaluate(&self, x: f64) -> f64 {
        self.radius * self.unit.evaluate(x / self.radius)
    }

    /// The largest `|ReLU(x) − R·p(x/R)|` the construction guarantees on `[-R, R]`
    /// (`ε·R` inside the gap dominates).
    pub fn error_bound(&self) -> f64 {
        self.radius * self.precision.epsilon.max((-(self.precision.bits + 1.0)).exp2())
    }
}

/// Ciphertext-ciphertext products of evaluating `poly` (every stage's, plus the product with
/// the input), each relinearised and rescaled.
pub fn composite_products(poly: &CompositePolynomial) -> usize {
    poly.stages().iter().map(|s| s.evaluation_plan().ciphertext_products()).sum::<usize>()
        + usize::from(poly.multiplies_input())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn follows_relu_within_its_bound_and_scales_with_the_radius() {
        let relu = ReluApprox::new(4.0, ReluPrecision::default()).unwrap();
        println!("default ReLU approximation: depth {}", relu.depth());
        assert!(relu.depth() <= 14);
        let bound = relu.error_bound();
        for i in 0..=4000 {
            let x = -4.0 + 8.0 * f64::from(i) / 4000.0;
            assert!((relu.evaluate(x) - x.max(0.0)).abs() <= bound * 1.01, "x = {x}");
        }
        let wider = relu.with_radius(8.0).unwrap();
        assert!((wider.evaluate(6.0) - 2.0 * relu.evaluate(3.0)).abs() < 1e-12);
        assert!(relu.with_radius(0.0).is_err() && relu.with_radius(f64::NAN).is_err());
    }

    #[test]
    fn bad_parameters_are_typed_errors() {
        for (r, eps, bits) in [(-1.0, 0.01, 8.0), (f64::INFINITY, 0.01, 8.0), (1.0, 0.9, 8.0), (1.0, 0.01, 60.0)] {
            let e = ReluApprox::new(r, ReluPrecision { epsilon: eps, bits }).unwrap_err();
            assert!(!e.reason.is_empty(), "{e}");
        }
    }
}
