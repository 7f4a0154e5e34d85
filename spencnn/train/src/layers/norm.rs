//! Batch normalisation over `(image, row, column)` per channel. Used during training only:
//! before export it is folded into the preceding convolution or dense layer
//! ([`crate::TrainNet::to_model`]), so the exported network has none.

use rayon::prelude::*;

use super::Param;
use crate::batch::Batch;

/// Batch normalisation: `y = γ·(x − μ)/sqrt(σ² + eps) + β`, with batch statistics in training
/// and running statistics (momentum 0.1, unbiased variance, as PyTorch) in evaluation.
#[derive(Clone, Debug, PartialEq)]
pub struct Norm {
    /// Scale γ.
    pub gamma: Param,
    /// Shift β.
    pub beta: Param,
    /// Running mean.
    pub running_mean: Vec<f32>,
    /// Running (unbiased) variance.
    pub running_var: Vec<f32>,
    /// Variance epsilon.
    pub eps: f32,
    /// Normalised input and `1/sqrt(σ² + eps)` per channel of the last training forward pass.
    cache: Option<(Vec<f32>, Vec<f32>)>,
}

/// Running-statistics momentum.
const MOMENTUM: f32 = 0.1;

impl Norm {
    /// Identity initialisation (γ = 1, β = 0, running mean 0, variance 1).
    pub fn new(channels: usize) -> Self {
        Self {
            gamma: Param::new(vec![1.0; channels], false),
            beta: Param::new(vec![0.0; channels], false),
            running_mean: vec![0.0; channels],
            running_var: vec![1.0; channels],
            eps: 1e-5,
            cache: None,
        }
    }

    /// The per-channel affine map `(scale, shift)` of evaluation mode, in f64.
    pub fn affine(&self, ch: usize) -> (f64, f64) {
        let scale = self.gamma.value[ch] as f64 / (self.running_var[ch] as f64 + self.eps as f64).sqrt();
        (scale, self.beta.value[ch] as f64 - scale * self.running_mean[ch] as f64)
    }

    /// Evaluation mode: the running statistics.
    pub fn forward_eval(&self, x: &Batch) -> Batch {
        let mut y = x.clone();
        let plane = x.plane();
        let affine: Vec<(f32, f32)> = (0..x.c).map(|ch| self.affine(ch)).map(|(s, t)| (s as f32, t as f32)).collect();
        y.data.par_chunks_mut(x.image_len().max(1)).for_each(|image| {
            for (chunk, &(scale, shift)) in image.chunks_mut(plane).zip(&affine) {
                chunk.iter_mut().for_each(|v| *v = scale * *v + shift);
            }
        });
        y
    }

    /// Training mode: normalises with the batch statistics, updates the running ones and keeps
    /// what the backward pass needs.
    pub fn forward_train(&mut self, x: &Batch) -> Batch {
        let (c, plane) = (x.c, x.plane());
        let count = (x.n * plane) as f64;
        let (sum, sq) = channel_sums(x, |chunk, _| {
            chunk.iter().fold((0.0, 0.0), |(s, q), &v| (s + v as f64, q + v as f64 * v as f64))
        });
        let mut sum = sum;
        let mut inv_std = vec![0.0f32; c];
        for ch in 0..c {
            let mean = sum[ch] / count;
            let var = (sq[ch] / count - mean * mean).max(0.0);
            inv_std[ch] = (1.0 / (var + self.eps as f64).sqrt()) as f32;
            let unbiased = var * count / (count - 1.0).max(1.0);
            self.running_mean[ch] = (1.0 - MOMENTUM) * self.running_mean[ch] + MOMENTUM * mean as f32;
            self.running_var[ch] = (1.0 - MOMENTUM) * self.running_var[ch] + MOMENTUM * unbiased as f32;
            sum[ch] = mean;
        }
        let mut xhat = x.data.clone();
        let mut y = x.zeros_like();
        let len = x.image_len().max(1);
        xhat.par_chunks_mut(len).zip(y.data.par_chunks_mut(len)).for_each(|(xh_image, out_image)| {
            for (ch, (xh, out)) in xh_image.chunks_mut(plane).zip(out_image.chunks_mut(plane)).enumerate() {
                let (mean, inv, g, b) = (sum[ch] as f32, inv_std[ch], self.gamma.value[ch], self.beta.value[ch]);
                for (h, o) in xh.iter_mut().zip(out) {
                    *h = (*h - mean) * inv;
                    *o = g * *h + b;
                }
            }
        });
        self.cache = Some((xhat, inv_std));
        y
    }

    /// Accumulates `dγ`, `dβ` and returns the input gradient of the last training forward pass.
    ///
    /// # Panics
    /// If no training forward pass preceded it.
    pub fn backward(&mut self, dy: &Batch) -> Batch {
        let (xhat, inv_std) = self.cache.take().expect("Norm::backward without forward_train");
        let (c, plane) = (dy.c, dy.plane());
        let count = (dy.n * plane) as f32;
        let (sum_dy, sum_dy_xhat) = channel_sums(dy, |d, offset| {
            let h = &xhat[offset..offset + d.len()];
            d.iter().zip(h).fold((0.0, 0.0), |(s, q), (&d, &h)| (s + d as f64, q + d as f64 * h as f64))
        });
        for ch in 0..c {
            self.gamma.grad[ch] += sum_dy_xhat[ch] as f32;
            self.beta.grad[ch] += sum_dy[ch] as f32;
        }
        let mut dx = dy.zeros_like();
        let len = dy.image_len().max(1);
        dx.data.par_chunks_mut(len).zip(dy.data.par_chunks(len)).zip(xhat.par_chunks(len)).for_each(|((out, d), h)| {
            for (ch, ((out, d), h)) in out.chunks_mut(plane).zip(d.chunks(plane)).zip(h.chunks(plane)).enumerate() {
                let k = self.gamma.value[ch] * inv_std[ch] / count;
                let (sd, sdh) = (sum_dy[ch] as f32, sum_dy_xhat[ch] as f32);
                for ((o, &d), &h) in out.iter_mut().zip(d).zip(h) {
                    *o = k * (count * d - sd - h * sdh);
                }
            }
        });
        dx
    }
}

/// Two per-channel sums of `f(plane, offset of the plane in x.data)`, computed per image in
/// parallel and added in image order (the result does not depend on the thread count).
fn channel_sums(x: &Batch, f: impl Fn(&[f32], usize) -> (f64, f64) + Sync) -> (Vec<f64>, Vec<f64>) {
    let (len, plane) = (x.image_len().max(1), x.plane().max(1));
    let per_image: Vec<Vec<(f64, f64)>> = x
        .data
        .par_chunks(len)
        .enumerate()
        .map(|(i, image)| image.chunks(plane).enumerate().map(|(ch, p)| f(p, i * len + ch * plane)).collect())
        .collect();
    let (mut first, mut second) = (vec![0.0; x.c], vec![0.0; x.c]);
    for image in per_image {
        for (ch, (a, b)) in image.into_iter().enumerate() {
            first[ch] += a;
            second[ch] += b;
        }
    }
    (first, second)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::check;

    #[test]
    fn training_output_is_normalised_and_backward_matches_finite_differences() {
        let mut norm = Norm::new(3);
        norm.gamma.value = vec![1.5, -0.5, 2.0];
        norm.beta.value = vec![0.1, 0.2, -0.3];
        let x = Batch { n: 2, c: 3, h: 2, w: 3, data: check::values(36, 7, 2.0) };
        let mut probe = norm.clone();
        let y = norm.forward_train(&x);
        let plain = Norm::new(3).forward_train(&x);
        for ch in 0..3 {
            let values: Vec<f32> = (0..2).flat_map(|i| plain.image(i)[ch * 6..ch * 6 + 6].to_vec()).collect();
            let mean: f32 = values.iter().sum::<f32>() / 12.0;
            let var: f32 = values.iter().map(|v| (v - mean).powi(2)).sum::<f32>() / 12.0;
            assert!(mean.abs() < 1e-5 && (var - 1.0).abs() < 1e-3, "channel {ch}: {mean} {var}");
        }
        let r = check::values(y.data.len(), 8, 1.0);
        let dx = norm.backward(&Batch { data: r.clone(), ..y.clone() });
        check::gradient(&mut x.data.clone(), &dx.data, 1e-2, 2e-3, |d| {
            check::dot(&r, &probe.forward_train(&Batch { data: d.to_vec(), ..x.clone() }).data)
        });
        let (dg, db) = (norm.gamma.grad.clone(), norm.beta.grad.clone());
        check::gradient(&mut norm.gamma.value.clone(), &dg, 1e-2, 1e-3, |g| {
            probe.gamma.value = g.to_vec();
            check::dot(&r, &probe.forward_train(&x).data)
        });
        probe.gamma.value = norm.gamma.value.clone();
        check::gradient(&mut norm.beta.value.clone(), &db, 1e-2, 1e-3, |b| {
            probe.beta.value = b.to_vec();
            check::dot(&r, &probe.forward_train(&x).data)
        });
    }

    #[test]
    fn evaluation_uses_the_running_statistics() {
        let mut norm = Norm::new(1);
        norm.running_mean = vec![2.0];
        norm.running_var = vec![4.0 - 1e-5];
        norm.gamma.value = vec![3.0];
        norm.beta.value = vec![1.0];
        let y = norm.forward_eval(&Batch { n: 1, c: 1, h: 1, w: 2, data: vec![2.0, 4.0] });
        assert!((y.data[0] - 1.0).abs() < 1e-6 && (y.data[1] - 4.0).abs() < 1e-5, "{:?}", y.data);
    }
}
