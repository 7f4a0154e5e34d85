//! The dense layer `y = W·x + b` on flattened inputs.

use super::Param;
use crate::batch::Batch;
use crate::gemm::{MatRef, gemm};

/// A dense layer; `weight` is `[out][in]`, the input is read flat in `(c, y, x)` order.
#[derive(Clone, Debug, PartialEq)]
pub struct Dense {
    /// Input features.
    pub in_features: usize,
    /// Output features.
    pub out_features: usize,
    /// Weights.
    pub weight: Param,
    /// Bias, if the layer has one.
    pub bias: Option<Param>,
}

impl Dense {
    /// The layer applied to a batch (any `c × h × w` with `c·h·w = in_features`).
    pub fn forward(&self, x: &Batch) -> Batch {
        let mut y = Batch::zeros(x.n, self.out_features, 1, 1);
        let input = MatRef::new(&x.data, x.n, self.in_features);
        let weight = MatRef::new(&self.weight.value, self.out_features, self.in_features);
        gemm(input, weight.t(), 0.0, &mut y.data);
        if let Some(bias) = &self.bias {
            for row in y.data.chunks_mut(self.out_features) {
                row.iter_mut().zip(&bias.value).for_each(|(v, b)| *v += b);
            }
        }
        y
    }

    /// Accumulates the parameter gradients; returns the input gradient (shaped like `x`).
    pub fn backward(&mut self, x: &Batch, dy: &Batch) -> Batch {
        let grad = MatRef::new(&dy.data, dy.n, self.out_features);
        gemm(grad.t(), MatRef::new(&x.data, x.n, self.in_features), 1.0, &mut self.weight.grad);
        if let Some(bias) = &mut self.bias {
            for row in dy.data.chunks(self.out_features) {
                bias.grad.iter_mut().zip(row).for_each(|(g, d)| *g += d);
            }
        }
        let mut dx = x.zeros_like();
        gemm(grad, MatRef::new(&self.weight.value, self.out_features, self.in_features), 0.0, &mut dx.data);
        dx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::check;

    #[test]
    fn backward_matches_finite_differences() {
        let mut fc = Dense {
            in_features: 6,
            out_features: 4,
            weight: Param::new(check::values(24, 14, 0.5), true),
            bias: Some(Param::new(check::values(4, 15, 0.5), false)),
        };
        let x = Batch { n: 3, c: 6, h: 1, w: 1, data: check::values(18, 16, 1.0) };
        let r = check::values(12, 17, 1.0);
        let y = fc.forward(&x);
        let dx = fc.backward(&x, &Batch { data: r.clone(), ..y });
        let probe = fc.clone();
        check::gradient(&mut x.data.clone(), &dx.data, 1e-2, 1e-4, |d| {
            check::dot(&r, &probe.forward(&Batch { data: d.to_vec(), ..x.clone() }).data)
        });
        check::gradient(&mut fc.weight.value.clone(), &fc.weight.grad, 1e-2, 1e-4, |w| {
            let mut p = probe.clone();
            p.weight.value = w.to_vec();
            check::dot(&r, &p.forward(&x).data)
        });
        let bias = fc.bias.as_ref().unwrap();
        check::gradient(&mut bias.value.clone(), &bias.grad, 1e-2, 1e-4, |b| {
            let mut p = probe.clone();
            p.bias.as_mut().unwrap().value = b.to_vec();
            check::dot(&r, &p.forward(&x).data)
        });
    }
}
