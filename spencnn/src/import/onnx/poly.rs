//! Per-channel polynomials: how element-wise arithmetic on a feature map is recognised.
//!
//! Every element-wise ONNX operation between a feature map `x` and constants (or between two
//! expressions of the same `x`) keeps the value a polynomial of `x` with per-channel
//! coefficients. Tracking the polynomial symbolically recognises an activation however it is
//! written (`a*x**2 + b*x + c`, `x*x*a + c + x*b`, `(x + b/2a)**2 * a + ...`, batch norm folded
//! in front of it) and in any operand order; the result becomes one layer when a structural
//! operation consumes it.

/// Highest degree tracked while recognising an expression (higher ones are refused early).
pub(crate) const MAX_TRACKED_DEGREE: usize = 8;

/// `Σ_k coeffs[k][ch] · x^k`. Invariant: every coefficient vector has length 1 (shared by all
/// channels) or `channels`, and there is at least one.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct ChannelPoly {
    coeffs: Vec<Vec<f64>>,
}

/// Why an operation on polynomials failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum PolyError {
    /// The degree would exceed [`MAX_TRACKED_DEGREE`].
    Degree(usize),
    /// Coefficient vectors of different channel counts.
    Channels(usize, usize),
}

fn combine(a: &[f64], b: &[f64], f: impl Fn(f64, f64) -> f64) -> Result<Vec<f64>, PolyError> {
    match (a.len(), b.len()) {
        (x, y) if x == y => Ok(a.iter().zip(b).map(|(&p, &q)| f(p, q)).collect()),
        (1, _) => Ok(b.iter().map(|&q| f(a[0], q)).collect()),
        (_, 1) => Ok(a.iter().map(|&p| f(p, b[0])).collect()),
        (x, y) => Err(PolyError::Channels(x, y)),
    }
}

impl ChannelPoly {
    /// The polynomial `x`.
    pub fn identity() -> Self {
        Self { coeffs: vec![vec![0.0], vec![1.0]] }
    }

    /// `scale · x + shift` per channel.
    pub fn affine(scale: Vec<f64>, shift: Vec<f64>) -> Self {
        Self { coeffs: vec![shift, scale] }
    }

    /// Degree (trailing all-zero coefficients ignored).
    pub fn degree(&self) -> usize {
        (0..self.coeffs.len()).rev().find(|&k| self.coeffs[k].iter().any(|&c| c != 0.0)).unwrap_or(0)
    }

    /// Whether this is exactly `x`.
    pub fn is_identity(&self) -> bool {
        self.degree() == 1 && self.coeffs[0].iter().all(|&c| c == 0.0) && self.coeffs[1].iter().all(|&c| c == 1.0)
    }

    /// Coefficient of `x^k` for channel `ch`.
    pub fn coeff(&self, k: usize, ch: usize) -> f64 {
        self.coeffs.get(k).map_or(0.0, |v| if v.len() == 1 { v[0] } else { v[ch] })
    }

    /// Channel count of the coefficients (1 = shared by every channel).
    pub fn channels(&self) -> usize {
        self.coeffs.iter().map(Vec::len).max().unwrap_or(1)
    }

    /// `self + other`.
    pub fn add(&self, other: &ChannelPoly) -> Result<ChannelPoly, PolyError> {
        let n = self.coeffs.len().max(other.coeffs.len());
        let zero = vec![0.0];
        let coeffs = (0..n)
            .map(|k| combine(self.coeffs.get(k).unwrap_or(&zero), other.coeffs.get(k).unwrap_or(&zero), |a, b| a + b))
            .collect::<Result<_, _>>()?;
        Ok(ChannelPoly { coeffs })
    }

    /// `self + c` per channel.
    pub fn add_constant(&self, c: &[f64]) -> Result<ChannelPoly, PolyError> {
        let mut out = self.clone();
        out.coeffs[0] = combine(&self.coeffs[0], c, |a, b| a + b)?;
        Ok(out)
    }

    /// `c · self` per channel.
    pub fn scale(&self, c: &[f64]) -> Result<ChannelPoly, PolyError> {
        let coeffs = self.coeffs.iter().map(|v| combine(v, c, |a, b| a * b)).collect::<Result<_, _>>()?;
        Ok(ChannelPoly { coeffs })
    }

    /// `self · other`.
    pub fn mul(&self, other: &ChannelPoly) -> Result<ChannelPoly, PolyError> {
        let degree = self.degree() + other.degree();
        if degree > MAX_TRACKED_DEGREE {
            return Err(PolyError::Degree(degree));
        }
        let mut coeffs = vec![vec![0.0]; degree + 1];
        for i in 0..=self.degree() {
            for j in 0..=other.degree() {
                let term = combine(&self.coeffs[i], &other.coeffs[j], |a, b| a * b)?;
                coeffs[i + j] = combine(&coeffs[i + j], &term, |a, b| a + b)?;
            }
        }
        Ok(ChannelPoly { coeffs })
    }

    /// `self^exponent`.
    pub fn pow(&self, exponent: usize) -> Result<ChannelPoly, PolyError> {
        if self.degree() * exponent > MAX_TRACKED_DEGREE {
            return Err(PolyError::Degree(self.degree() * exponent));
        }
        let mut acc = ChannelPoly { coeffs: vec![vec![1.0]] };
        for _ in 0..exponent {
            acc = acc.mul(self)?;
        }
        Ok(acc)
    }

    /// `self(scale · x + shift)`: the polynomial re-expressed in another variable.
    pub fn compose_affine(&self, scale: &[f64], shift: &[f64]) -> Result<ChannelPoly, PolyError> {
        let inner = ChannelPoly::affine(scale.to_vec(), shift.to_vec());
        let mut acc = ChannelPoly { coeffs: vec![vec![0.0]] };
        let mut power = ChannelPoly { coeffs: vec![vec![1.0]] };
        for k in 0..=self.degree() {
            acc = acc.add(&power.scale(&self.coeffs[k])?)?;
            power = power.mul(&inner)?;
        }
        Ok(acc)
    }

    /// Evaluates channel `ch` at `x` (for tests).
    #[cfg(test)]
    pub fn eval(&self, ch: usize, x: f64) -> f64 {
        (0..self.coeffs.len()).rev().fold(0.0, |acc, k| acc * x + self.coeff(k, ch))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn activations_written_in_any_order_give_the_same_coefficients() {
        let x = ChannelPoly::identity();
        let (a, b, c) = (vec![0.5, -0.25], vec![1.0, 2.0], vec![0.1, -0.3]);
        // a*x**2 + b*x + c
        let one = x.pow(2).unwrap().scale(&a).unwrap().add(&x.scale(&b).unwrap()).unwrap().add_constant(&c).unwrap();
        // c + x*b + x*x*a
        let two = x.scale(&b).unwrap().add_constant(&c).unwrap().add(&x.mul(&x).unwrap().scale(&a).unwrap()).unwrap();
        for ch in 0..2 {
            for k in 0..3 {
                assert_eq!(one.coeff(k, ch), two.coeff(k, ch));
            }
            assert_eq!(one.coeff(2, ch), a[ch]);
            assert_eq!(one.coeff(1, ch), b[ch]);
            assert_eq!(one.coeff(0, ch), c[ch]);
        }
        assert_eq!(one.degree(), 2);
        assert!(!one.is_identity() && x.is_identity());
    }

    #[test]
    fn composition_and_degree_limit() {
        let p = ChannelPoly::identity().pow(2).unwrap().add_constant(&[1.0]).unwrap();
        let q = p.compose_affine(&[2.0], &[-1.0]).unwrap();
        for x in [-1.5, 0.0, 0.7, 3.0] {
            assert!((q.eval(0, x) - p.eval(0, 2.0 * x - 1.0)).abs() < 1e-12);
        }
        assert_eq!(p.pow(5), Err(PolyError::Degree(10)));
        let wide = ChannelPoly::affine(vec![1.0, 2.0, 3.0], vec![0.0]);
        assert_eq!(wide.scale(&[1.0, 2.0]), Err(PolyError::Channels(3, 2)));
    }
}
