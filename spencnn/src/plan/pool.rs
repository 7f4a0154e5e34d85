//! Pooling: rotate-and-sum inside each channel block, with hoisted or tree-shaped sums.
//!
//! A sum of `n` positions spaced `u` slots apart can be computed as one hoisted rotate-sum
//! (`n − 1` key-switch rotations sharing one decomposition, one mod-down) or as a tree of
//! `log2 n` rotate-and-add steps (one full key switch each; needs zeros between the valid
//! positions when `n` is not a power of two). The planner prices both with the cost model and
//! keeps the cheaper one per axis. Pooling factors are folded into the next linear layer.

use super::PlanError;
use super::counts::OpCounts;
use super::diagonals::ConvGeometry;
use super::ir::ValueId;
use super::lower::StageRequest;
use super::planner::{PlanValue, Planner};
use crate::model::AvgPool;

/// How one axis of a block sum is computed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum AxisSum {
    Hoisted,
    Tree,
}

impl Planner<'_> {
    fn price(&self, counts: OpCounts, level: usize) -> f64 {
        self.config.cost.cost(&counts, level, false)
    }

    /// Chooses how to sum `n` positions; `tree_ok` says whether the tree may read the gaps.
    fn axis_sum(&self, n: usize, level: usize, tree_ok: bool) -> AxisSum {
        let hoisted =
            OpCounts { rotations: n - 1, decompositions: 1, mod_downs: 1, adds: n - 1, ..OpCounts::default() };
        let depth = n.next_power_of_two().trailing_zeros() as usize;
        let tree =
            OpCounts { rotations: depth, decompositions: depth, mod_downs: depth, adds: depth, ..OpCounts::default() };
        if tree_ok && self.price(tree, level) < self.price(hoisted, level) { AxisSum::Tree } else { AxisSum::Hoisted }
    }

    /// `Σ_{p < n} Rot_{p·unit}(ct)` with the chosen method.
    fn sum_positions(&mut self, level: usize, ct: ValueId, n: usize, unit: usize, how: AxisSum) -> ValueId {
        match how {
            AxisSum::Hoisted => self.b.rotate_sum(level, (0..n).map(|p| (ct, p * unit)).collect()),
            AxisSum::Tree => {
                let mut acc = ct;
                let mut span = 1;
                while span < n {
                    acc = self.b.rotate_sum(level, vec![(acc, 0), (acc, span * unit)]);
                    span *= 2;
                }
                acc
            }
        }
    }

    pub(crate) fn lower_avg_pool(&mut self, n: usize) -> Result<PlanValue, PlanError> {
        let mut v = self.value(self.model.nodes[n].input).clone();
        let g = v.layout.grid;
        if g.phases > 1 {
            return self.phase_sum_pool(n, v);
        }
        let (row, col) = (g.step(1, 0) as usize, g.step(0, 1) as usize);
        let level = v.level;
        // One hoisted sum of the four window positions, or two separable steps.
        let hoisted = self
            .price(OpCounts { rotations: 3, decompositions: 1, mod_downs: 1, adds: 3, ..OpCounts::default() }, level);
        let separable = self
            .price(OpCounts { rotations: 2, decompositions: 2, mod_downs: 2, adds: 2, ..OpCounts::default() }, level);
        v.cts = v
            .cts
            .iter()
            .map(|&ct| {
                if hoisted <= separable {
                    self.b.rotate_sum(level, vec![(ct, 0), (ct, col), (ct, row), (ct, row + col)])
                } else {
                    let y = self.b.rotate_sum(level, vec![(ct, 0), (ct, col)]);
                    self.b.rotate_sum(level, vec![(y, 0), (y, row)])
                }
            })
            .collect();
        let grid = self.resized_grid(n, g, g.height / 2, g.width / 2, g.stride * 2)?;
        v.layout = self.layout(n, v.layout.channels, grid, v.layout.placement)?;
        v.pending_scale.iter_mut().for_each(|s| *s /= 4.0);
        v.open.clear();
        v.clean = false;
        Ok(v)
    }

    /// 2×2 pooling of a polyphase map (`P` phases per axis): output phase `(φy, φx)` of the
    /// `P/2`-phase result is the sum of input phases `(2φy + a, 2φx + b)`, block for block —
    /// three ciphertext additions per output ciphertext and no rotation.
    fn phase_sum_pool(&mut self, n: usize, mut v: PlanValue) -> Result<PlanValue, PlanError> {
        let g = v.layout.grid;
        let (p, q) = (g.phases, g.phases / 2);
        let cpp = v.layout.cts_per_phase();
        let level = v.level;
        let mut cts = Vec::with_capacity(q * q * cpp);
        for out_phase in 0..q * q {
            let (oy, ox) = (out_phase / q, out_phase % q);
            for k in 0..cpp {
                let sources: Vec<ValueId> = [(0, 0), (0, 1), (1, 0), (1, 1)]
                    .iter()
                    .map(|&(a, b)| v.cts[((2 * oy + a) * p + 2 * ox + b) * cpp + k])
                    .collect();
                cts.push(self.b.sum(level, &sources));
            }
        }
        let grid = self
            .resized_grid(n, g, g.height / 2, g.width / 2, g.stride)?
            .with_phases(q)
            .map_err(|source| PlanError::Layout { node: self.name(n), source })?;
        v.layout = self.layout(n, v.layout.channels, grid, v.layout.placement)?;
        v.cts = cts;
        v.pending_scale.iter_mut().for_each(|s| *s /= 4.0);
        v.open.clear();
        // Odd sizes leave a valid pixel of phase 0 outside the pooled map.
        v.clean = v.clean && g.height.is_multiple_of(2) && g.width.is_multiple_of(2);
        Ok(v)
    }

    /// General average pooling. Without padding it is a rotate-and-sum of the `k × k` window
    /// positions (no level; the `1/k²` factor goes to the pending scale) and the valid pixels
    /// thin out to the stride grid. With padding, the window must not read outside the map, so it
    /// is lowered as a depthwise linear stage (one level) whose masking handles the border and
    /// whose per-pixel factor gives the exact `count_include_pad = 0` divisors.
    pub(crate) fn lower_general_pool(&mut self, n: usize, pool: &AvgPool) -> Result<PlanValue, PlanError> {
        let input = self.model.nodes[n].input;
        let v = self.value(input).clone();
        let g = v.layout.grid;
        let [oh, ow] = pool.out_shape(g.height, g.width).unwrap_or([1, 1]);
        let grid = self.resized_grid(n, g, oh, ow, g.stride * pool.stride)?;
        let layout = self.layout(n, v.layout.channels, grid, v.layout.placement)?;
        let k = pool.kernel;
        if pool.is_padded() {
            let c = v.layout.channels;
            let pixel_scale = (!pool.count_include_pad)
                .then(|| (0..oh * ow).map(|p| 1.0 / pool.divisor(p / ow, p % ow, g.height, g.width) as f64).collect());
            let weight = if pool.count_include_pad { 1.0 / (k * k) as f64 } else { 1.0 };
            let request = StageRequest {
                name: self.name(n),
                node: Some(n),
                geom: ConvGeometry {
                    in_channels: c,
                    out_channels: c,
                    kernel_h: k,
                    kernel_w: k,
                    stride: pool.stride,
                    pad_top: pool.pads[0],
                    pad_left: pool.pads[1],
                    groups: c,
                },
                weight: vec![weight; c * k * k],
                bias: vec![0.0; c],
                output: layout,
                target: None,
                pixel_scale,
            };
            return self.lower_stage(n, input, request);
        }
        let level = v.level;
        let offsets: Vec<usize> = (0..k * k).map(|p| g.step((p / k) as i64, (p % k) as i64) as usize).collect();
        let hoisted = self.price(
            OpCounts { rotations: k * k - 1, decompositions: 1, mod_downs: 1, adds: k * k - 1, ..OpCounts::default() },
            level,
        );
        let separable = self.price(
            OpCounts {
                rotations: 2 * (k - 1),
                decompositions: 2,
                mod_downs: 2,
                adds: 2 * (k - 1),
                ..OpCounts::default()
            },
            level,
        );
        let (row, col) = (g.step(1, 0) as usize, g.step(0, 1) as usize);
        let mut out = v;
        out.cts = out
            .cts
            .iter()
            .map(|&ct| {
                if hoisted <= separable {
                    self.b.rotate_sum(level, offsets.iter().map(|&o| (ct, o)).collect())
                } else {
                    let rows = self.b.rotate_sum(level, (0..k).map(|d| (ct, d * col)).collect());
                    self.b.rotate_sum(level, (0..k).map(|d| (rows, d * row)).collect())
                }
            })
            .collect();
        out.layout = layout;
        out.pending_scale.iter_mut().for_each(|s| *s /= (k * k) as f64);
        out.open.clear();
        out.clean = false;
        Ok(out)
    }

    pub(crate) fn lower_global_pool(&mut self, n: usize) -> Result<PlanValue, PlanError> {
        let input = self.model.nodes[n].input;
        let v = self.value(input).clone();
        let g = v.layout.grid;
        let grid = self.resized_grid(n, g, 1, 1, g.stride)?;
        let layout = self.layout(n, v.layout.channels, grid, v.layout.placement)?;
        let inv = 1.0 / g.pixels() as f64;
        let level = v.level;
        // The tree reads past the valid pixels up to the next power of two: it needs zeros
        // there and room inside the block.
        let tree_x = v.clean && g.width.next_power_of_two() * g.stride <= g.block_width;
        let tree_y = v.clean && g.height.next_power_of_two() * g.stride <= g.block_height;
        let how_x = self.axis_sum(g.width, level, tree_x);
        let how_y = self.axis_sum(g.height, level, tree_y);
        let (unit_x, unit_y) = (g.step(0, 1) as usize, g.step(1, 0) as usize);
        let mut out = v;
        out.cts = out
            .cts
            .iter()
            .map(|&ct| {
                let rows = self.sum_positions(level, ct, g.width, unit_x, how_x);
                self.sum_positions(level, rows, g.height, unit_y, how_y)
            })
            .collect();
        out.layout = layout;
        out.pending_scale.iter_mut().for_each(|s| *s *= inv);
        out.open.clear();
        out.clean = false;
        Ok(out)
    }
}
