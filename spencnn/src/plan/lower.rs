//! Lowering of each layer kind: linear stages, activations, pooling and residual adds.

use super::bsgs::{BsgsSplit, StageCall, emit_cheapest};
use super::diagonals::{ConvGeometry, diagonal_structure};
use super::hear::emit_hear;
use super::ir::{Op, PlainSource, PlainSpec};
use super::packing::{Alternative, Choice};
use super::planner::{PlanValue, Planner};
use super::policy::{add_partner, placement_for};
use super::stage::LinearStage;
use super::{ConvMethod, PlanError};
use crate::layout::SlotLayout;
use crate::model::{Conv2d, Linear, PolyActivation};

/// A linear stage to lower: shape, parameters and where its output must land.
pub(crate) struct StageRequest {
    pub name: String,
    pub node: Option<usize>,
    pub geom: ConvGeometry,
    pub weight: Vec<f64>,
    pub bias: Vec<f64>,
    pub output: SlotLayout,
    /// Required `(level, scale)` of the output (to meet the other operand of an add).
    pub target: Option<(usize, f64)>,
    /// Per-output-pixel factor of the weighted sum (see [`LinearStage::pixel_scale`]).
    pub pixel_scale: Option<Vec<f64>>,
}

impl Planner<'_> {
    fn out_of_levels(&self, node: usize, level: usize) -> PlanError {
        PlanError::OutOfLevels { node: self.name(node), level }
    }

    /// The layout and `(level, scale)` of the other operand of the add that value `n + 1` feeds
    /// (through batch norms), if that operand is already lowered.
    fn add_partner_plan(&self, n: usize) -> Option<(SlotLayout, (usize, f64))> {
        let partner = add_partner(self.model, n + 1).and_then(|p| self.values[p].as_ref())?;
        Some((partner.layout.clone(), (partner.level, partner.scale)))
    }

    pub(crate) fn lower_conv(&mut self, n: usize, conv: &Conv2d) -> Result<PlanValue, PlanError> {
        let v = self.value(self.model.nodes[n].input);
        let g = v.layout.grid;
        let [oh, ow] = conv.out_shape(g.height, g.width).unwrap_or([1, 1]);
        let grid = self.resized_grid(n, g, oh, ow, g.stride * conv.stride)?;
        let per_ct = self.per_ct(&v.layout);
        let group_out = (conv.groups > 1).then(|| conv.group_out());
        let partner = self.add_partner_plan(n).filter(|(l, _)| l.grid == grid && l.channels == conv.out_channels);
        let target = partner.as_ref().map(|p| p.1);
        let output = match partner {
            Some((layout, _)) => layout,
            None => {
                let placement = self.config.packing.placements.get(&(n + 1)).copied();
                let placement = placement.unwrap_or_else(|| placement_for(self.model, n + 1, group_out, per_ct));
                self.layout(n, conv.out_channels, grid, placement)?
            }
        };
        let request = StageRequest {
            name: self.name(n),
            node: Some(n),
            geom: ConvGeometry::of_conv(conv),
            weight: conv.weight.clone(),
            bias: conv.bias.clone().unwrap_or_else(|| vec![0.0; conv.out_channels]),
            output,
            target,
            pixel_scale: None,
        };
        self.lower_stage(n, self.model.nodes[n].input, request)
    }

    pub(crate) fn lower_linear(&mut self, n: usize, fc: &Linear) -> Result<PlanValue, PlanError> {
        let input = self.model.nodes[n].input;
        let v = self.value(input);
        let g = v.layout.grid;
        let grid = self.resized_grid(n, g, 1, 1, g.stride)?;
        let placement = placement_for(self.model, n + 1, None, self.per_ct(&v.layout));
        let request = StageRequest {
            name: self.name(n),
            node: Some(n),
            geom: ConvGeometry {
                in_channels: v.layout.channels,
                out_channels: fc.out_features,
                kernel_h: g.height,
                kernel_w: g.width,
                stride: 1,
                pad_top: 0,
                pad_left: 0,
                groups: 1,
            },
            weight: fc.weight.clone(),
            bias: fc.bias.clone().unwrap_or_else(|| vec![0.0; fc.out_features]),
            output: self.layout(n, fc.out_features, grid, placement)?,
            target: None,
            pixel_scale: None,
        };
        self.lower_stage(n, input, request)
    }

    /// Lowers a linear stage reading model value `input`; the result is open.
    pub(crate) fn lower_stage(&mut self, n: usize, input: usize, req: StageRequest) -> Result<PlanValue, PlanError> {
        let v = self.value(input).clone();
        let diagonals = diagonal_structure(&req.geom, &v.layout, &req.output);
        let c_out = req.geom.out_channels;
        let stage = LinearStage {
            name: req.name,
            node: req.node,
            geom: req.geom,
            input: v.layout.clone(),
            output: req.output.clone(),
            weight: req.weight,
            in_scale: v.pending_scale.clone(),
            in_offset: v.pending_offset.clone(),
            bias: req.bias,
            out_scale: vec![1.0; c_out],
            out_shift: vec![0.0; c_out],
            pixel_scale: req.pixel_scale,
            diagonals,
        };
        // Level and plaintext scale: meet the target exactly, or return to the working scale.
        let (level, target_scale) = match req.target {
            Some((t_level, t_scale)) if t_level < v.level => (t_level + 1, t_scale),
            _ => (v.level, self.chain.scale),
        };
        if level == 0 {
            return Err(self.out_of_levels(n, level));
        }
        let inputs: Vec<_> = v.cts.iter().map(|&ct| self.b.drop_levels(v.level, ct, v.level - level)).collect();
        let pt_scale = self.chain.plaintext_scale(v.scale, level, target_scale);
        // Non-zero diagonals, plus one (zero) placeholder for an output with none.
        let mut chosen: Vec<usize> = (0..stage.diagonals.len()).filter(|&d| stage.diagonal_is_nonzero(d)).collect();
        let mut covered = vec![false; stage.output.num_cts()];
        chosen.iter().for_each(|&d| covered[stage.diagonals[d].out_ct] = true);
        for (ct, _) in covered.clone().iter().enumerate().filter(|(_, c)| !**c) {
            if let Some(d) = stage.diagonals.iter().position(|d| d.out_ct == ct) {
                chosen.push(d);
                covered[ct] = true;
            }
        }
        if covered.iter().any(|c| !c) {
            return Err(PlanError::Unsupported {
                node: self.name(n),
                reason: "an output ciphertext reads no input".into(),
            });
        }
        chosen.sort_unstable();
        let stage_index = self.stages.len();
        let call = StageCall { stage_index, stage: &stage, diagonals: &chosen, inputs: &inputs, level, pt_scale };
        let (accs, split) = match self.config.method {
            ConvMethod::DoubleHoisted => {
                let (accs, split, priced) =
                    emit_cheapest(&mut self.b, &call, &self.config.cost, self.config.forced_split);
                if priced.len() > 1 {
                    let name = |s: BsgsSplit| s.describe(self.slots);
                    self.choices.push(Choice {
                        layer: self.name(n),
                        decision: "baby/giant split".into(),
                        chosen: name(split),
                        alternatives: priced
                            .iter()
                            .take(4)
                            .map(|&(s, seconds)| Alternative { name: name(s), seconds })
                            .collect(),
                    });
                }
                (accs, split)
            }
            ConvMethod::Hear => emit_hear(&mut self.b, &call),
        };
        self.splits[n] = Some(split.describe(self.slots));
        let acc_scale = v.scale * pt_scale;
        let mut cts = Vec::with_capacity(accs.len());
        for (out_ct, acc) in accs.into_iter().enumerate() {
            let pt = self.b.plain(PlainSpec {
                level,
                scale: acc_scale,
                extended: false,
                source: PlainSource::Bias { stage: stage_index, out_ct },
            });
            let dst = self.b.value();
            self.b.emit(level, Op::AddPlain { dst, src: acc, pt });
            cts.push(self.b.rescale(level, dst));
        }
        self.stages.push(stage);
        let mut out = PlanValue {
            cts,
            layout: req.output,
            level: level - 1,
            scale: acc_scale / self.chain.prime(level),
            pending_scale: Vec::new(),
            pending_offset: Vec::new(),
            open: vec![stage_index],
            clean: true,
            flattened: false,
        };
        out.identity_pending();
        Ok(out)
    }

    /// A per-channel scaling stage `x ↦ (s_x / s_ref) x + o_x / s_ref` (1 level) into `output`.
    pub(crate) fn rescale_channels(
        &mut self,
        n: usize,
        input: usize,
        reference_scale: Option<&[f64]>,
        output: SlotLayout,
        target: Option<(usize, f64)>,
    ) -> Result<PlanValue, PlanError> {
        let c = self.value(input).layout.channels;
        // Fold the reference scale into the stage by editing a copy of the input's pending map.
        let saved = self.value(input).clone();
        if let Some(r) = reference_scale {
            if r.contains(&0.0) {
                return Err(PlanError::Unsupported {
                    node: self.name(n),
                    reason: "cannot align a residual operand with a zero channel scale".into(),
                });
            }
            let v = self.values[input].as_mut().expect("lowered");
            for ((scale, offset), reference) in v.pending_scale.iter_mut().zip(&mut v.pending_offset).zip(r) {
                *scale /= reference;
                *offset /= reference;
            }
        }
        let request = StageRequest {
            name: format!("{}.scale", self.name(n)),
            node: None,
            geom: ConvGeometry {
                in_channels: c,
                out_channels: c,
                kernel_h: 1,
                kernel_w: 1,
                stride: 1,
                pad_top: 0,
                pad_left: 0,
                groups: c,
            },
            weight: vec![1.0; c],
            bias: vec![0.0; c],
            output,
            target,
            pixel_scale: None,
        };
        let result = self.lower_stage(n, input, request);
        self.values[input] = Some(saved);
        result
    }

    pub(crate) fn lower_activation(&mut self, n: usize, act: &PolyActivation) -> Result<PlanValue, PlanError> {
        let input = self.model.nodes[n].input;
        let channels = self.value(input).layout.channels;
        let coeffs: Vec<(f64, f64, f64)> = (0..channels).map(|c| act.coeffs(c)).collect();
        if coeffs.iter().all(|c| c.0 == 0.0) {
            let affine: Vec<_> = coeffs.iter().map(|&(_, b, c)| (b, c)).collect();
            return Ok(self.apply_affine(input, &affine));
        }
        if coeffs.iter().any(|c| c.0 == 0.0) {
            return Err(PlanError::Unsupported {
                node: self.name(n),
                reason: "activation mixing a = 0 and a ≠ 0 channels".into(),
            });
        }
        // u = sqrt|a| (z + b / 2a); a z² + b z + c = sign(a) u² + (c − b² / 4a).
        let mut v = if self.is_open(input) {
            self.value(input).clone()
        } else {
            let layout = self.value(input).layout.clone();
            self.rescale_channels(n, input, None, layout, None)?
        };
        for (k, &s) in v.open.iter().enumerate() {
            let stage = &mut self.stages[s];
            for (o, &(a, b, _)) in coeffs.iter().enumerate() {
                let r = a.abs().sqrt();
                stage.out_scale[o] *= r;
                stage.out_shift[o] = r * (stage.out_shift[o] + if k == 0 { b / (2.0 * a) } else { 0.0 });
            }
        }
        if v.level == 0 {
            return Err(self.out_of_levels(n, 0));
        }
        let level = v.level;
        let cts: Vec<_> = v.cts.iter().map(|&ct| self.b.square(level, ct)).collect();
        v.cts = cts.into_iter().map(|ct| self.b.rescale(level, ct)).collect();
        v.level -= 1;
        v.scale = v.scale * v.scale / self.chain.prime(level);
        v.open.clear();
        v.pending_scale = coeffs.iter().map(|c| c.0.signum()).collect();
        v.pending_offset = coeffs.iter().map(|&(a, b, c)| c - b * b / (4.0 * a)).collect();
        Ok(v)
    }

    pub(crate) fn lower_add(&mut self, n: usize, a: usize, b: usize) -> Result<PlanValue, PlanError> {
        let (va, vb) = (self.value(a).clone(), self.value(b).clone());
        let matches = va.layout == vb.layout
            && va.level == vb.level
            && ((va.scale / vb.scale) - 1.0).abs() < 1e-12
            && va.pending_scale == vb.pending_scale;
        if matches {
            let level = va.level;
            let cts = va.cts.iter().zip(&vb.cts).map(|(&x, &y)| self.b.add(level, x, y)).collect();
            let both_open = self.is_open(a) && self.is_open(b);
            let mut out = va.clone();
            out.cts = cts;
            out.open = if both_open { [va.open, vb.open].concat() } else { Vec::new() };
            for (o, off) in out.pending_offset.iter_mut().zip(&vb.pending_offset) {
                *o += off;
            }
            out.clean = va.clean && vb.clean;
            return Ok(out);
        }
        // Align: re-express one operand (the non-open one, else the one with more levels) through
        // a per-channel stage that lands on the other's level, scale and layout.
        let (open_a, open_b) = (self.is_open(a), self.is_open(b));
        let transform_b = match (open_a, open_b) {
            (true, false) => true,
            (false, true) => false,
            _ => vb.level >= va.level,
        };
        let (r, t) = if transform_b { (a, b) } else { (b, a) };
        let (vr, vt) = (self.value(r).clone(), self.value(t).clone());
        if vt.level == 0 || vr.layout.grid != vt.layout.grid {
            return Err(PlanError::Unsupported {
                node: self.name(n),
                reason: "residual operands cannot be aligned".into(),
            });
        }
        let level = vr.level.min(vt.level - 1);
        let mut aligned_r = vr.clone();
        aligned_r.cts = vr.cts.iter().map(|&ct| self.b.drop_levels(vr.level, ct, vr.level - level)).collect();
        aligned_r.level = level;
        let aligned_t =
            self.rescale_channels(n, t, Some(&vr.pending_scale), vr.layout.clone(), Some((level, vr.scale)))?;
        let cts = aligned_r.cts.iter().zip(&aligned_t.cts).map(|(&x, &y)| self.b.add(level, x, y)).collect();
        let mut out = aligned_r;
        out.cts = cts;
        out.open = if self.is_open(r) { [vr.open, aligned_t.open].concat() } else { Vec::new() };
        out.clean = vr.clean;
        Ok(out)
    }
}
