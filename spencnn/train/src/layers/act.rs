//! The trainable per-channel polynomial activation `a·x² + b·x + c`.

use rayon::prelude::*;

use super::Param;
use crate::batch::Batch;

/// Per-channel `a·x² + b·x + c` (the layer the planner evaluates with one squaring).
#[derive(Clone, Debug, PartialEq)]
pub struct PolyAct {
    /// Quadratic coefficients.
    pub a: Param,
    /// Linear coefficients.
    pub b: Param,
    /// Constants.
    pub c: Param,
}

impl PolyAct {
    /// `channels` activations starting at `a·x² + x` (`c = 0`).
    pub fn new(channels: usize, a: f32) -> Self {
        Self {
            a: Param::new(vec![a; channels], false),
            b: Param::new(vec![1.0; channels], false),
            c: Param::new(vec![0.0; channels], false),
        }
    }

    /// The layer applied to a batch.
    pub fn forward(&self, x: &Batch) -> Batch {
        let mut y = x.clone();
        let plane = x.plane();
        y.data.par_chunks_mut(x.image_len().max(1)).for_each(|image| {
            for (ch, chunk) in image.chunks_mut(plane).enumerate() {
                let (a, b, c) = (self.a.value[ch], self.b.value[ch], self.c.value[ch]);
                chunk.iter_mut().for_each(|v| *v = (a * *v + b) * *v + c);
            }
        });
        y
    }

    /// Accumulates the coefficient gradients and returns the input gradient.
    pub fn backward(&mut self, x: &Batch, dy: &Batch) -> Batch {
        let mut dx = dy.clone();
        let (plane, len) = (x.plane(), x.image_len().max(1));
        // Per-image coefficient sums, added in image order (independent of the thread count).
        let sums: Vec<Vec<[f64; 3]>> = dx
            .data
            .par_chunks_mut(len)
            .zip(x.data.par_chunks(len))
            .map(|(d_image, x_image)| {
                let mut sums = vec![[0.0f64; 3]; x.c];
                for (ch, (d, xs)) in d_image.chunks_mut(plane).zip(x_image.chunks(plane)).enumerate() {
                    let (a, b) = (self.a.value[ch], self.b.value[ch]);
                    let s = &mut sums[ch];
                    for (g, &v) in d.iter_mut().zip(xs) {
                        s[0] += (*g * v * v) as f64;
                        s[1] += (*g * v) as f64;
                        s[2] += *g as f64;
                        *g *= 2.0 * a * v + b;
                    }
                }
                sums
            })
            .collect();
        for image in &sums {
            for (ch, s) in image.iter().enumerate() {
                self.a.grad[ch] += s[0] as f32;
                self.b.grad[ch] += s[1] as f32;
                self.c.grad[ch] += s[2] as f32;
            }
        }
        dx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::check;

    #[test]
    fn backward_matches_finite_differences() {
        let mut act = PolyAct::new(3, 0.2);
        act.a.value = vec![0.3, -0.1, 0.05];
        act.c.value = vec![0.5, 0.0, -1.0];
        let x = Batch { n: 2, c: 3, h: 2, w: 2, data: check::values(24, 9, 2.0) };
        let r = check::values(24, 10, 1.0);
        let dx = act.backward(&x, &Batch { data: r.clone(), ..x.clone() });
        let probe = act.clone();
        check::gradient(&mut x.data.clone(), &dx.data, 1e-2, 1e-3, |d| {
            check::dot(&r, &probe.forward(&Batch { data: d.to_vec(), ..x.clone() }).data)
        });
        for which in 0..3 {
            let (mut values, grad) = match which {
                0 => (act.a.value.clone(), act.a.grad.clone()),
                1 => (act.b.value.clone(), act.b.grad.clone()),
                _ => (act.c.value.clone(), act.c.grad.clone()),
            };
            check::gradient(&mut values, &grad, 1e-2, 1e-3, |v| {
                let mut p = probe.clone();
                [&mut p.a, &mut p.b, &mut p.c][which].value = v.to_vec();
                check::dot(&r, &p.forward(&x).data)
            });
        }
    }
}
