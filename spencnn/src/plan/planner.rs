//! The walk over the model: one lowering per node, tracking levels, scales and folded affines.

use super::builder::ProgramBuilder;
use super::counts::OpCounts;
use super::ir::{LayerReport, OutputSlot, Schedule, ValueId};
use super::scale::ScaleModel;
use super::stage::LinearStage;
use super::{PlanConfig, PlanError, plan};
use crate::layout::{Placement, SlotLayout, SpatialGrid};
use crate::model::{Layer, Model};

/// The encrypted form of one model value during planning.
///
/// The true tensor is `pending_scale[ch] · decrypt + pending_offset[ch]` at valid pixels. A value
/// is *open* when it is the sum of the outputs of the linear stages in `open` and nothing has
/// consumed it yet: per-channel affine maps are then folded into those stages for free
/// (invariant: `open` non-empty ⇒ pending is the identity).
#[derive(Clone, Debug)]
pub(crate) struct PlanValue {
    pub cts: Vec<ValueId>,
    pub layout: SlotLayout,
    pub level: usize,
    pub scale: f64,
    pub pending_scale: Vec<f64>,
    pub pending_offset: Vec<f64>,
    pub open: Vec<usize>,
    /// Slots outside valid pixels are exactly zero.
    pub clean: bool,
    /// Logically flattened to `(C·H·W) × 1 × 1` (the slots are not moved).
    pub flattened: bool,
}

impl PlanValue {
    pub fn identity_pending(&mut self) {
        let c = self.layout.channels;
        self.pending_scale = vec![1.0; c];
        self.pending_offset = vec![0.0; c];
    }
}

pub(crate) struct Planner<'m> {
    pub model: &'m Model,
    pub config: &'m PlanConfig,
    pub chain: &'m ScaleModel,
    pub slots: usize,
    pub b: ProgramBuilder,
    pub stages: Vec<LinearStage>,
    pub values: Vec<Option<PlanValue>>,
    pub splits: Vec<Option<String>>,
    pub choices: Vec<super::packing::Choice>,
}

impl<'m> Planner<'m> {
    /// Plans the model with the input at `start_level`.
    pub fn run(
        model: &'m Model,
        config: &'m PlanConfig,
        chain: &'m ScaleModel,
        start_level: usize,
    ) -> Result<Schedule, PlanError> {
        let slots = config.slots();
        let [c, h, w] = model.input_shape;
        let polyphase =
            config.packing.polyphase.unwrap_or(config.polyphase) && config.method != super::ConvMethod::Hear;
        let phases = if polyphase { super::policy::input_phases(model) } else { 1 };
        let grid = SpatialGrid::polyphase(h, w, phases)
            .map_err(|source| PlanError::Layout { node: "input".into(), source })?;
        let per_ct = slots / grid.block_len().max(1);
        let placement = super::policy::placement_for(model, 0, None, per_ct.max(1));
        let input_layout = SlotLayout::new(slots, c, grid, placement)
            .map_err(|source| PlanError::Layout { node: "input".into(), source })?;
        let mut planner = Planner {
            model,
            config,
            chain,
            slots,
            b: ProgramBuilder::default(),
            stages: Vec::new(),
            values: vec![None; model.nodes.len() + 1],
            splits: vec![None; model.nodes.len()],
            choices: Vec::new(),
        };
        let inputs: Vec<ValueId> = (0..input_layout.num_cts()).map(|_| planner.b.value()).collect();
        let mut input = PlanValue {
            cts: inputs.clone(),
            layout: input_layout.clone(),
            level: start_level,
            scale: chain.scale,
            pending_scale: Vec::new(),
            pending_offset: Vec::new(),
            open: Vec::new(),
            clean: true,
            flattened: false,
        };
        input.identity_pending();
        planner.values[0] = Some(input);
        for n in 0..model.nodes.len() {
            planner.b.layer = n;
            let out = planner.lower_node(n)?;
            planner.values[n + 1] = Some(out);
        }
        planner.finish(inputs, input_layout, start_level)
    }

    pub fn value(&self, v: usize) -> &PlanValue {
        self.values[v].as_ref().expect("values are lowered in order")
    }

    /// Whether value `v` is open and may absorb an affine map.
    pub fn is_open(&self, v: usize) -> bool {
        !self.value(v).open.is_empty() && self.model.consumers(v).len() == 1
    }

    pub fn per_ct(&self, layout: &SlotLayout) -> usize {
        layout.blocks_per_ct()
    }

    pub fn layout(
        &self,
        node: usize,
        channels: usize,
        grid: SpatialGrid,
        placement: Placement,
    ) -> Result<SlotLayout, PlanError> {
        SlotLayout::new(self.slots, channels, grid, placement)
            .map_err(|source| PlanError::Layout { node: self.model.nodes[node].name.clone(), source })
    }

    /// `grid` resized to `height × width` at `stride`, as a planning error for node `node`.
    pub fn resized_grid(
        &self,
        node: usize,
        grid: SpatialGrid,
        height: usize,
        width: usize,
        stride: usize,
    ) -> Result<SpatialGrid, PlanError> {
        grid.resized(height, width, stride).map_err(|source| PlanError::Layout { node: self.name(node), source })
    }

    pub fn name(&self, node: usize) -> String {
        self.model.nodes[node].name.clone()
    }

    fn lower_node(&mut self, n: usize) -> Result<PlanValue, PlanError> {
        let node = &self.model.nodes[n];
        let input = node.input;
        let flattened_spatial = {
            let v = self.value(input);
            v.flattened && v.layout.grid.pixels() > 1
        };
        let polyphase = self.value(input).layout.grid.phases > 1;
        let phase_compatible = match &node.layer {
            Layer::Conv2d(conv) => conv.stride == 1,
            Layer::BatchNorm(_) | Layer::Activation(_) | Layer::Relu(_) | Layer::AvgPool2 | Layer::Add { .. } => true,
            Layer::AvgPool(_) | Layer::GlobalAvgPool | Layer::Flatten | Layer::Linear(_) => false,
        };
        if polyphase && !phase_compatible {
            return Err(PlanError::Unsupported {
                node: node.name.clone(),
                reason: "layer on a polyphase map (plan with polyphase off)".into(),
            });
        }
        match &node.layer {
            Layer::Conv2d(conv) => self.lower_conv(n, conv),
            Layer::Linear(fc) => self.lower_linear(n, fc),
            Layer::BatchNorm(_) | Layer::Activation(_) if flattened_spatial => Err(PlanError::Unsupported {
                node: node.name.clone(),
                reason: "per-channel layer after flattening a spatial map".into(),
            }),
            Layer::BatchNorm(bn) => {
                let affine: Vec<(f64, f64)> = (0..bn.channels).map(|c| bn.affine(c)).collect();
                Ok(self.apply_affine(input, &affine))
            }
            Layer::Activation(act) => self.lower_activation(n, act),
            Layer::Relu(relu) => self.lower_relu(n, relu),
            Layer::AvgPool2 => self.lower_avg_pool(n),
            Layer::AvgPool(pool) => self.lower_general_pool(n, pool),
            Layer::GlobalAvgPool => self.lower_global_pool(n),
            Layer::Flatten => {
                let mut v = self.value(input).clone();
                v.flattened = v.layout.grid.pixels() > 1;
                Ok(v)
            }
            Layer::Add { other } => self.lower_add(n, input, *other),
        }
    }

    /// Applies `x ↦ scale · x + shift` per channel, folding into open stages when possible.
    pub fn apply_affine(&mut self, v: usize, affine: &[(f64, f64)]) -> PlanValue {
        let open = self.is_open(v);
        let mut out = self.value(v).clone();
        if open {
            for (k, &s) in out.open.iter().enumerate() {
                let stage = &mut self.stages[s];
                for (o, &(a, c)) in affine.iter().enumerate() {
                    stage.out_scale[o] *= a;
                    stage.out_shift[o] = a * stage.out_shift[o] + if k == 0 { c } else { 0.0 };
                }
            }
        } else {
            for (o, &(a, c)) in affine.iter().enumerate() {
                out.pending_scale[o] *= a;
                out.pending_offset[o] = a * out.pending_offset[o] + c;
            }
            out.open.clear();
        }
        out
    }

    fn finish(self, inputs: Vec<ValueId>, input_layout: SlotLayout, start_level: usize) -> Result<Schedule, PlanError> {
        let last = self.value(self.model.nodes.len());
        let l = &last.layout;
        let mut logits = Vec::new();
        for ch in 0..l.channels {
            for y in 0..l.grid.height {
                for x in 0..l.grid.width {
                    let (ct, slot) = l.slot_of(ch, y, x);
                    logits.push(OutputSlot {
                        ct,
                        slot,
                        scale: last.pending_scale[ch],
                        offset: last.pending_offset[ch],
                    });
                }
            }
        }
        let mut counts = vec![OpCounts::default(); self.model.nodes.len()];
        for instr in &self.b.instrs {
            counts[instr.layer] = counts[instr.layer] + OpCounts::of(&instr.op);
        }
        let layers = self
            .model
            .nodes
            .iter()
            .enumerate()
            .map(|(n, node)| LayerReport {
                name: node.name.clone(),
                kind: node.layer.kind().to_string(),
                level_out: self.value(n + 1).level,
                counts: counts[n],
                split: self.splits[n].clone(),
                packing: self.value(n + 1).layout.summary(),
            })
            .collect();
        Ok(Schedule {
            model: self.model.name.clone(),
            slots: self.slots,
            input_layout,
            inputs,
            input_level: start_level,
            input_scale: self.chain.scale,
            chain: self.chain.clone(),
            outputs: last.cts.clone(),
            output_level: last.level,
            logits,
            num_values: self.b.next_value as usize,
            instrs: self.b.instrs,
            plaintexts: self.b.plaintexts,
            stages: self.stages,
            layers,
            choices: self.choices,
        })
    }
}

/// The input and output layouts of every convolution of `model` under `config`, as
/// `(node index, input layout, output layout)`. Layouts depend only on the architecture and the
/// configuration (ring degree, polyphase), so this is what training code needs to compute the
/// same sub-block masks as the planner.
pub fn conv_stage_layouts(
    model: &Model,
    config: &PlanConfig,
) -> Result<Vec<(usize, SlotLayout, SlotLayout)>, PlanError> {
    let schedule = plan(model, config)?;
    Ok(schedule
        .stages
        .into_iter()
        .filter_map(|s| {
            let n = s.node?;
            matches!(model.nodes[n].layer, Layer::Conv2d(_)).then_some((n, s.input, s.output))
        })
        .collect())
}
