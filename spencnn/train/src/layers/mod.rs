//! The trainable layer kinds, each with a hand-written forward and backward pass in `f32`:
//! convolution (groups, padding, stride), batch normalisation, per-channel polynomial
//! activation, 2×2 and global average pooling, dense layer, and the softmax cross-entropy loss.
//!
//! Backward passes *accumulate* parameter gradients into [`Param::grad`] and return the
//! gradient with respect to the layer input. Every backward pass is checked against central
//! finite differences in the tests of its file.

mod act;
mod conv;
mod linear;
mod loss;
mod norm;
mod pool;

pub use act::PolyAct;
pub use conv::Conv;
pub use linear::Dense;
pub use loss::{SoftmaxCrossEntropy, softmax_cross_entropy};
pub use norm::Norm;
pub use pool::{avg_pool2, avg_pool2_backward, global_avg_pool, global_avg_pool_backward};

/// One trainable tensor with its gradient, optional fixed mask and optimiser state.
#[derive(Clone, Debug, PartialEq)]
pub struct Param {
    /// Current values.
    pub value: Vec<f32>,
    /// Accumulated gradient (zeroed by the optimiser after each step).
    pub grad: Vec<f32>,
    /// Entries fixed at zero (sub-block pruning); `None` = every entry trains.
    pub mask: Option<Vec<bool>>,
    /// Whether weight decay applies (weights yes; biases, norms and activations no).
    pub decay: bool,
    /// Adam first moment.
    pub(crate) m: Vec<f32>,
    /// Adam second moment.
    pub(crate) v: Vec<f32>,
}

impl Param {
    /// A parameter holding `value`.
    pub fn new(value: Vec<f32>, decay: bool) -> Self {
        let len = value.len();
        Self { value, grad: vec![0.0; len], mask: None, decay, m: vec![0.0; len], v: vec![0.0; len] }
    }

    /// Fixes the entries where `mask` is false at zero from now on.
    ///
    /// # Panics
    /// If the mask length differs from the parameter's.
    pub fn set_mask(&mut self, mask: Vec<bool>) {
        assert_eq!(mask.len(), self.value.len(), "mask length");
        for (v, keep) in self.value.iter_mut().zip(&mask) {
            if !keep {
                *v = 0.0;
            }
        }
        self.mask = Some(mask);
    }
}

/// Finite-difference checking shared by the layer tests.
#[cfg(test)]
pub(crate) mod check {
    use rand_chacha::ChaCha8Rng;
    use rand_core::SeedableRng;

    /// `n` deterministic values in `[-scale, scale)`.
    pub fn values(n: usize, seed: u64, scale: f32) -> Vec<f32> {
        let mut rng = ChaCha8Rng::seed_from_u64(seed);
        (0..n).map(|_| (crate::unit_f32(&mut rng) * 2.0 - 1.0) * scale).collect()
    }

    /// `Σ r_i · y_i` in f64: a scalar loss whose gradient with respect to `y` is `r`.
    pub fn dot(r: &[f32], y: &[f32]) -> f64 {
        r.iter().zip(y).map(|(&a, &b)| a as f64 * b as f64).sum()
    }

    /// Checks `analytic[i] ≈ (f(x + h e_i) − f(x − h e_i)) / 2h` for every `i` of `x`,
    /// relative to the largest analytic entry (f32 rounding bounds the attainable agreement).
    pub fn gradient(x: &mut [f32], analytic: &[f32], h: f32, tolerance: f64, mut f: impl FnMut(&[f32]) -> f64) {
        assert_eq!(x.len(), analytic.len());
        let largest = analytic.iter().fold(1e-3f64, |m, &g| m.max(g.abs() as f64));
        for i in 0..x.len() {
            let keep = x[i];
            x[i] = keep + h;
            let up = f(x);
            x[i] = keep - h;
            let down = f(x);
            x[i] = keep;
            let numeric = (up - down) / (2.0 * h as f64);
            let error = (numeric - analytic[i] as f64).abs() / largest;
            assert!(error < tolerance, "entry {i}: numeric {numeric} vs analytic {} (relative {error:e})", analytic[i]);
        }
    }
}
