//! Closed intervals `[a, b]` and the affine map onto `[-1, 1]`.

use crate::circuits::CircuitError;

/// A finite closed interval `[a, b]` with `a < b`: the domain on which a polynomial
/// approximates a function. Chebyshev series are written in the variable
/// `y = (2x − a − b)/(b − a)`, which maps `[a, b]` onto `[-1, 1]`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    a: f64,
    b: f64,
}

impl Interval {
    /// `[-1, 1]`, on which the map to the Chebyshev variable is the identity.
    pub const UNIT: Interval = Interval { a: -1.0, b: 1.0 };

    /// `[a, b]`.
    ///
    /// # Errors
    /// [`CircuitError::InvalidInterval`] unless `a < b` and both are finite (and `b − a` too).
    pub fn new(a: f64, b: f64) -> Result<Self, CircuitError> {
        if a.is_finite() && b.is_finite() && a < b && (b - a).is_finite() {
            Ok(Self { a, b })
        } else {
            Err(CircuitError::InvalidInterval { a, b })
        }
    }

    /// `[-r, r]`.
    ///
    /// # Errors
    /// As [`Interval::new`] (`r` must be positive and finite).
    pub fn symmetric(r: f64) -> Result<Self, CircuitError> {
        Self::new(-r, r)
    }

    /// The lower end `a`.
    pub fn lower(&self) -> f64 {
        self.a
    }

    /// The upper end `b`.
    pub fn upper(&self) -> f64 {
        self.b
    }

    /// Whether `x` lies in `[a, b]`.
    pub fn contains(&self, x: f64) -> bool {
        (self.a..=self.b).contains(&x)
    }

    /// `(α, β)` with `y = α·x + β` mapping `[a, b]` onto `[-1, 1]`: `α = 2/(b − a) > 0`,
    /// `β = −(a + b)/(b − a)`.
    pub fn affine_to_unit(&self) -> (f64, f64) {
        let width = self.b - self.a;
        (2.0 / width, -(self.a + self.b) / width)
    }

    /// Whether the map onto `[-1, 1]` is the identity.
    pub fn is_unit(&self) -> bool {
        *self == Self::UNIT
    }

    /// `y = (2x − a − b)/(b − a)`.
    pub fn to_unit(&self, x: f64) -> f64 {
        (2.0 * x - self.a - self.b) / (self.b - self.a)
    }

    /// The inverse map: `x = ((b − a)·y + a + b)/2`.
    pub fn from_unit(&self, y: f64) -> f64 {
        ((self.b - self.a) * y + self.a + self.b) / 2.0
    }

    /// `count ≥ 2` equally spaced points from `a` to `b` inclusive (a grid for error
    /// measurements).
    pub fn grid(&self, count: usize) -> Vec<f64> {
        let count = count.max(2);
        (0..count).map(|i| self.a + (self.b - self.a) * i as f64 / (count - 1) as f64).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_empty_reversed_and_non_finite_intervals() {
        for (a, b) in [(1.0, 1.0), (2.0, 1.0), (f64::NAN, 1.0), (0.0, f64::INFINITY), (-f64::MAX, f64::MAX)] {
            assert!(matches!(Interval::new(a, b), Err(CircuitError::InvalidInterval { .. })), "[{a}, {b}]");
        }
    }

    #[test]
    fn affine_map_sends_the_ends_to_minus_one_and_one() {
        let interval = Interval::new(-3.0, 5.0).unwrap();
        let (alpha, beta) = interval.affine_to_unit();
        assert_eq!(alpha * -3.0 + beta, -1.0);
        assert_eq!(alpha * 5.0 + beta, 1.0);
        assert_eq!(interval.to_unit(1.0), 0.0);
        assert_eq!(interval.from_unit(interval.to_unit(2.5)), 2.5);
        assert!(Interval::UNIT.is_unit() && Interval::UNIT.affine_to_unit() == (1.0, -0.0));
    }
}
