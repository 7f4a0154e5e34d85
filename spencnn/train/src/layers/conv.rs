//! 2-D convolution with groups, zero padding and stride, by im2col and one matrix product per
//! group and image; images run in parallel on the rayon pool.

use rayon::prelude::*;

use super::Param;
use crate::batch::Batch;
use crate::gemm::{MatRef, gemm};

/// A convolution layer. `weight` is `[C_out][C_in/groups][k][k]` (the layout of
/// [`spencnn::model::Conv2d`] and of the safetensors files); output pixel `(y, x)` reads input
/// `(y·stride + dy − padding, x·stride + dx − padding)`, zero outside the map.
#[derive(Clone, Debug, PartialEq)]
pub struct Conv {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Kernel side `k`.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding on every side.
    pub padding: usize,
    /// Channel groups.
    pub groups: usize,
    /// Weights.
    pub weight: Param,
    /// Per-output-channel bias, if the layer has one.
    pub bias: Option<Param>,
}

/// Images per parallel task of the backward pass.
const IMAGES_PER_RUN: usize = 4;

/// Per-task accumulators of the backward pass.
struct Scratch {
    dw: Vec<f32>,
    db: Vec<f32>,
    col: Vec<f32>,
    dcol: Vec<f32>,
}

impl Conv {
    /// Rows of one group's im2col matrix: `C_in/groups · k²`.
    fn group_rows(&self) -> usize {
        self.in_channels / self.groups * self.kernel * self.kernel
    }

    /// Output `(rows, columns)` for an input of `h × w`.
    pub fn out_hw(&self, h: usize, w: usize) -> (usize, usize) {
        let side = |n: usize| (n + 2 * self.padding - self.kernel) / self.stride + 1;
        (side(h), side(w))
    }

    /// Applies `f(col_index, input_index)` for every im2col entry that reads inside the map.
    fn for_each_tap(&self, h: usize, w: usize, mut f: impl FnMut(usize, usize)) {
        let (ho, wo) = self.out_hw(h, w);
        let k = self.kernel;
        for ch in 0..self.in_channels {
            for dy in 0..k {
                for dx in 0..k {
                    let row = ((ch * k + dy) * k + dx) * ho * wo;
                    for oy in 0..ho {
                        let iy = (oy * self.stride + dy) as isize - self.padding as isize;
                        if iy < 0 || iy >= h as isize {
                            continue;
                        }
                        for ox in 0..wo {
                            let ix = (ox * self.stride + dx) as isize - self.padding as isize;
                            if ix >= 0 && ix < w as isize {
                                f(row + oy * wo + ox, (ch * h + iy as usize) * w + ix as usize);
                            }
                        }
                    }
                }
            }
        }
    }

    /// `col[C_in·k²][H_out·W_out]` of one image (zeros where a tap reads the padding).
    fn im2col(&self, image: &[f32], h: usize, w: usize, col: &mut [f32]) {
        col.fill(0.0);
        self.for_each_tap(h, w, |c, i| col[c] = image[i]);
    }

    /// Adds the im2col gradient `dcol` back onto the image gradient.
    fn col2im(&self, dcol: &[f32], h: usize, w: usize, image: &mut [f32]) {
        image.fill(0.0);
        self.for_each_tap(h, w, |c, i| image[i] += dcol[c]);
    }

    /// The layer applied to a batch.
    pub fn forward(&self, x: &Batch) -> Batch {
        let (ho, wo) = self.out_hw(x.h, x.w);
        let hw = ho * wo;
        let mut y = Batch::zeros(x.n, self.out_channels, ho, wo);
        let (rows, go) = (self.group_rows(), self.out_channels / self.groups);
        let out_len = y.image_len();
        y.data.par_chunks_mut(out_len).enumerate().for_each_init(
            || vec![0.0f32; rows * self.groups * hw],
            |col, (i, out)| {
                self.im2col(x.image(i), x.h, x.w, col);
                for g in 0..self.groups {
                    let weight = MatRef::new(&self.weight.value[g * go * rows..(g + 1) * go * rows], go, rows);
                    let cols = MatRef::new(&col[g * rows * hw..(g + 1) * rows * hw], rows, hw);
                    gemm(weight, cols, 0.0, &mut out[g * go * hw..(g + 1) * go * hw]);
                }
                if let Some(bias) = &self.bias {
                    for (plane, b) in out.chunks_mut(hw).zip(&bias.value) {
                        plane.iter_mut().for_each(|v| *v += b);
                    }
                }
            },
        );
        y
    }

    /// Accumulates the parameter gradients for output gradient `dy` at input `x`; returns the
    /// input gradient when `input_grad` (the first layer does not need it).
    pub fn backward(&mut self, x: &Batch, dy: &Batch, input_grad: bool) -> Option<Batch> {
        let hw = dy.plane();
        let (rows, go) = (self.group_rows(), self.out_channels / self.groups);
        let scratch = || Scratch {
            dw: vec![0.0; self.weight.value.len()],
            db: vec![0.0; self.out_channels],
            col: vec![0.0; rows * self.groups * hw],
            dcol: if input_grad { vec![0.0; rows * self.groups * hw] } else { Vec::new() },
        };
        let this = &*self;
        let image = |s: &mut Scratch, i: usize, dx: Option<&mut [f32]>| {
            let dyi = dy.image(i);
            this.im2col(x.image(i), x.h, x.w, &mut s.col);
            for g in 0..this.groups {
                let dy_g = MatRef::new(&dyi[g * go * hw..(g + 1) * go * hw], go, hw);
                let col_g = MatRef::new(&s.col[g * rows * hw..(g + 1) * rows * hw], rows, hw);
                gemm(dy_g, col_g.t(), 1.0, &mut s.dw[g * go * rows..(g + 1) * go * rows]);
                if dx.is_some() {
                    let w_g = MatRef::new(&this.weight.value[g * go * rows..(g + 1) * go * rows], go, rows);
                    gemm(w_g.t(), dy_g, 0.0, &mut s.dcol[g * rows * hw..(g + 1) * rows * hw]);
                }
            }
            for (db, plane) in s.db.iter_mut().zip(dyi.chunks(hw)) {
                *db += plane.iter().sum::<f32>();
            }
            if let Some(dx) = dx {
                this.col2im(&s.dcol, x.h, x.w, dx);
            }
        };
        // Fixed runs of images, summed in order: the result does not depend on the thread count.
        let runs = x.n.div_ceil(IMAGES_PER_RUN);
        let (dx, partials): (Option<Batch>, Vec<Scratch>) = if input_grad {
            let mut dx = x.zeros_like();
            let len = dx.image_len();
            let partials = dx
                .data
                .par_chunks_mut(len * IMAGES_PER_RUN)
                .enumerate()
                .map(|(run, chunk)| {
                    let mut s = scratch();
                    for (j, d) in chunk.chunks_mut(len).enumerate() {
                        image(&mut s, run * IMAGES_PER_RUN + j, Some(d));
                    }
                    s
                })
                .collect();
            (Some(dx), partials)
        } else {
            let partials = (0..runs)
                .into_par_iter()
                .map(|run| {
                    let mut s = scratch();
                    for i in run * IMAGES_PER_RUN..((run + 1) * IMAGES_PER_RUN).min(x.n) {
                        image(&mut s, i, None);
                    }
                    s
                })
                .collect();
            (None, partials)
        };
        for sums in &partials {
            self.weight.grad.iter_mut().zip(&sums.dw).for_each(|(g, d)| *g += d);
            if let Some(bias) = &mut self.bias {
                bias.grad.iter_mut().zip(&sums.db).for_each(|(g, d)| *g += d);
            }
        }
        dx
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::check;

    fn layer(cin: usize, cout: usize, k: usize, stride: usize, pad: usize, groups: usize) -> Conv {
        let len = cout * cin / groups * k * k;
        Conv {
            in_channels: cin,
            out_channels: cout,
            kernel: k,
            stride,
            padding: pad,
            groups,
            weight: Param::new(check::values(len, 1, 0.5), true),
            bias: Some(Param::new(check::values(cout, 2, 0.5), false)),
        }
    }

    #[test]
    fn forward_matches_the_f64_reference_convolution() {
        let conv = layer(4, 6, 3, 2, 1, 2);
        let x = Batch { n: 2, c: 4, h: 7, w: 6, data: check::values(2 * 4 * 42, 3, 1.0) };
        let y = conv.forward(&x);
        let mut reference = spencnn::model::Conv2d::new(4, 6, 3, 2, 1, 2);
        reference.weight = conv.weight.value.iter().map(|&v| v as f64).collect();
        reference.bias = conv.bias.as_ref().map(|b| b.value.iter().map(|&v| v as f64).collect());
        for i in 0..2 {
            let input = spencnn::Tensor3 {
                channels: 4,
                height: 7,
                width: 6,
                data: x.image(i).iter().map(|&v| v as f64).collect(),
            };
            let expected = spencnn::reference::conv2d(&reference, &input);
            assert_eq!([expected.channels, expected.height, expected.width], [y.c, y.h, y.w]);
            for (got, want) in y.image(i).iter().zip(&expected.data) {
                assert!((*got as f64 - want).abs() < 1e-5, "{got} vs {want}");
            }
        }
    }

    #[test]
    fn backward_matches_finite_differences() {
        for (cin, cout, k, stride, pad, groups) in [(1, 3, 3, 1, 1, 1), (4, 4, 3, 2, 1, 2), (4, 2, 2, 1, 0, 2)] {
            let mut conv = layer(cin, cout, k, stride, pad, groups);
            let x = Batch { n: 2, c: cin, h: 5, w: 5, data: check::values(2 * cin * 25, 4, 1.0) };
            let y = conv.forward(&x);
            let r = check::values(y.data.len(), 5, 1.0);
            let dy = Batch { data: r.clone(), ..y.clone() };
            let dx = conv.backward(&x, &dy, true).unwrap();
            let analytic_w = conv.weight.grad.clone();
            let analytic_b = conv.bias.as_ref().unwrap().grad.clone();
            let probe = conv.clone();
            check::gradient(&mut x.data.clone(), &dx.data, 1e-2, 1e-3, |d| {
                check::dot(&r, &probe.forward(&Batch { data: d.to_vec(), ..x.clone() }).data)
            });
            let mut weights = conv.weight.value.clone();
            check::gradient(&mut weights, &analytic_w, 1e-2, 1e-3, |w| {
                let mut c = probe.clone();
                c.weight.value = w.to_vec();
                check::dot(&r, &c.forward(&x).data)
            });
            let mut bias = conv.bias.as_ref().unwrap().value.clone();
            check::gradient(&mut bias, &analytic_b, 1e-2, 1e-3, |b| {
                let mut c = probe.clone();
                c.bias.as_mut().unwrap().value = b.to_vec();
                check::dot(&r, &c.forward(&x).data)
            });
            // Without the input gradient the parameter gradients are the same.
            conv.weight.grad.fill(0.0);
            assert!(conv.backward(&x, &dy, false).is_none());
            assert_eq!(conv.weight.grad, analytic_w, "runs are summed in a fixed order");
        }
    }
}
