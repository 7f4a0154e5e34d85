//! A folded linear map (convolution, dense layer, channel scaling) and its plaintexts.
//!
//! The stage computes, on the *encrypted* input `e` (whose true value is
//! `in_scale[ch] · e + in_offset[ch]` per channel), for every valid output pixel:
//!
//! `out[o] = out_scale[o] · (p · Σ_{i,t in bounds} w[o,i,t] · (in_scale · e + in_offset)[i] + bias[o]) + out_shift[o]`
//!
//! so batch norm, pooling factors, activation coefficients and biases never cost a level. The
//! factor `p` is 1 except for padded average pooling that does not count the padding, where it
//! is the output pixel's `1 / divisor` (`pixel_scale`).

use super::diagonals::{ConvGeometry, Diagonal};
use crate::layout::SlotLayout;

/// A linear layer as lowered by the planner.
#[derive(Clone, Debug, PartialEq)]
pub struct LinearStage {
    /// Node name (alignment stages inserted by the planner get a suffixed name).
    pub name: String,
    /// The model node this stage lowers, if it is a convolution or dense layer.
    pub node: Option<usize>,
    /// Shape of the map.
    pub geom: ConvGeometry,
    /// Input layout.
    pub input: SlotLayout,
    /// Output layout.
    pub output: SlotLayout,
    /// Weights `[C_out][C_in/groups][kh][kw]`.
    pub weight: Vec<f64>,
    /// Per-input-channel multiplier folded into the weights.
    pub in_scale: Vec<f64>,
    /// Per-input-channel constant folded into the bias.
    pub in_offset: Vec<f64>,
    /// Per-output-channel bias.
    pub bias: Vec<f64>,
    /// Per-output-channel multiplier `α` (batch norm, `sqrt|a|` of the next activation).
    pub out_scale: Vec<f64>,
    /// Per-output-channel shift `β`.
    pub out_shift: Vec<f64>,
    /// Per-output-pixel factor of the weighted sum (row-major over the output map), or `None`
    /// for 1 everywhere.
    pub pixel_scale: Option<Vec<f64>>,
    /// The diagonal structure (all sub-blocks, including zero ones).
    pub diagonals: Vec<Diagonal>,
}

impl LinearStage {
    /// The weight applied to the encrypted input for entry `(o, i_local, tap)`.
    pub fn effective_weight(&self, o: usize, i_local: usize, tap: usize) -> f64 {
        let ch = self.geom.input_channel(o, i_local);
        self.out_scale[o] * self.weight[self.geom.weight_index(o, i_local, tap)] * self.in_scale[ch]
    }

    /// Whether diagonal `d` carries any non-zero weight.
    pub fn diagonal_is_nonzero(&self, d: usize) -> bool {
        self.diagonals[d]
            .entries
            .iter()
            .any(|e| self.effective_weight(e.out_channel as usize, e.in_local as usize, e.tap as usize) != 0.0)
    }

    /// Whether the stage adds a bias plaintext.
    pub fn has_bias(&self) -> bool {
        let nonzero = |v: &[f64]| v.iter().any(|&x| x != 0.0);
        nonzero(&self.bias) || nonzero(&self.out_shift) || nonzero(&self.in_offset)
    }

    /// The weighted-sum factor of output pixel `(y, x)`.
    fn pixel_factor(&self, y: usize, x: usize) -> f64 {
        self.pixel_scale.as_ref().map_or(1.0, |p| p[y * self.output.grid.width + x])
    }

    /// Calls `f(slot, factor)` for every valid output pixel of block `out_block` of ciphertext
    /// `out_ct` whose tap `tap` reads inside the input; `factor` is the pixel's weighted-sum factor.
    fn for_each_read(&self, out_ct: usize, out_block: usize, tap: usize, mut f: impl FnMut(usize, f64)) {
        let g = &self.geom;
        let (dy, dx) = (tap / g.kernel_w, tap % g.kernel_w);
        let (ih, iw) = (self.input.grid.height as i64, self.input.grid.width as i64);
        let out = &self.output.grid;
        let (py, px) = self.output.ct_phase(out_ct);
        let base = out_block * out.block_len();
        for y in (py..out.height).step_by(out.phases) {
            let iy = (y * g.stride + dy) as i64 - g.pad_top as i64;
            if iy < 0 || iy >= ih {
                continue;
            }
            for x in (px..out.width).step_by(out.phases) {
                let ix = (x * g.stride + dx) as i64 - g.pad_left as i64;
                if ix >= 0 && ix < iw {
                    f(base + out.offset(y, x), self.pixel_factor(y, x));
                }
            }
        }
    }

    /// Slot values of diagonal `d`, pre-rotated by `−giant`: `P[(σ + giant) mod S] = D[σ]`.
    pub fn diagonal_values(&self, d: usize, giant: usize) -> Vec<f64> {
        let slots = self.output.slots;
        let mut v = vec![0.0; slots];
        let out_ct = self.diagonals[d].out_ct;
        for e in &self.diagonals[d].entries {
            let (o, i, t) = (e.out_channel as usize, e.in_local as usize, e.tap as usize);
            let w = self.effective_weight(o, i, t);
            if w != 0.0 {
                self.for_each_read(out_ct, e.out_block as usize, t, |slot, factor| {
                    v[(slot + giant) % slots] += w * factor;
                });
            }
        }
        v
    }

    /// Slot values of the bias of output ciphertext `out_ct` (zero outside valid pixels).
    pub fn bias_values(&self, out_ct: usize) -> Vec<f64> {
        let g = &self.geom;
        let out = &self.output;
        let mut v = vec![0.0; out.slots];
        let (py, px) = out.ct_phase(out_ct);
        let p = out.grid.phases;
        let pixels =
            || (py..out.grid.height).step_by(p).flat_map(move |y| (px..out.grid.width).step_by(p).map(move |x| (y, x)));
        for block in 0..out.blocks_per_ct() {
            let Some(o) = out.channel_at(out_ct, block) else {
                continue;
            };
            // Constant part, then the input offsets seen through the in-bounds taps.
            let base = out.grid.block_len() * block;
            for (y, x) in pixels() {
                v[base + out.grid.offset(y, x)] = self.bias[o];
            }
            for tap in 0..g.taps() {
                let shift: f64 = (0..g.group_in())
                    .map(|i| self.weight[g.weight_index(o, i, tap)] * self.in_offset[g.input_channel(o, i)])
                    .sum();
                if shift != 0.0 {
                    self.for_each_read(out_ct, block, tap, |slot, factor| v[slot] += shift * factor);
                }
            }
            for (y, x) in pixels() {
                let s = base + out.grid.offset(y, x);
                v[s] = self.out_scale[o] * v[s] + self.out_shift[o];
            }
        }
        v
    }
}
