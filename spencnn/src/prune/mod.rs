//! HE-friendly sub-block pruning: masks aligned with the planner's diagonal plaintexts.
//!
//! A *sub-block* is the set of convolution weights one diagonal plaintext `D_{i,k,j}` carries
//! (see [`crate::plan::diagonals`]). Zeroing a whole sub-block removes one plaintext multiply and
//! one addition, and, when every sub-block that needs a given rotation is zero, the rotation too.
//! The definition depends on the layer geometry and on the input/output slot layouts, which depend
//! only on the architecture and the ring degree: [`model_sub_blocks`] gives the same maps the
//! planner uses, so training code (masked fine-tuning) and the planner agree by construction.
//!
//! Two pruning units ([`PruneUnit`]): single sub-blocks ranked by magnitude, or whole rotations'
//! worth of sub-blocks ranked by importance per unit of cost saved ([`rotation`]). Both work on
//! any [`Model`] the planner lowers (the zoo, imported networks).

pub mod rotation;

use std::fmt;
use std::str::FromStr;

use serde::Serialize;

use crate::layout::SlotLayout;
use crate::model::{Layer, Model};
use crate::plan::{
    ConvGeometry, Diagonal, LinearStage, PlanConfig, PlanError, conv_stage_layouts, diagonal_structure, plan,
};
pub use rotation::{RotationPruning, RotationUnit, prune_rotations};

/// What one pruning decision removes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum PruneUnit {
    /// One sub-block (one diagonal plaintext), ranked by the L2 norm of its weights: removes a
    /// plaintext multiply each, a rotation only when all its sub-blocks happen to go.
    Diagonal,
    /// Every sub-block sharing one baby or giant rotation, ranked by importance (squared L2
    /// norm) per unit of estimated cost saved ([`rotation`]).
    #[default]
    Rotation,
}

impl PruneUnit {
    /// Both units, the default first.
    pub const ALL: [PruneUnit; 2] = [PruneUnit::Rotation, PruneUnit::Diagonal];

    /// `diagonal` or `rotation`.
    pub fn name(self) -> &'static str {
        match self {
            PruneUnit::Diagonal => "diagonal",
            PruneUnit::Rotation => "rotation",
        }
    }
}

impl fmt::Display for PruneUnit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A name that is not a pruning unit.
#[derive(Debug, thiserror::Error)]
#[error("unknown pruning unit {0:?} (expected diagonal or rotation)")]
pub struct UnknownUnit(pub String);

impl FromStr for PruneUnit {
    type Err = UnknownUnit;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        PruneUnit::ALL.into_iter().find(|u| u.name() == s).ok_or_else(|| UnknownUnit(s.to_string()))
    }
}

/// How much to prune and in which unit.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PruneSpec {
    /// Fraction of the sub-blocks of every pruned convolution to remove, in `[0, 1]`
    /// (`round(ratio · blocks)` of them).
    pub ratio: f64,
    /// The unit.
    pub unit: PruneUnit,
}

impl PruneSpec {
    /// `ratio` of the sub-blocks in the default unit ([`PruneUnit::Rotation`]).
    pub fn new(ratio: f64) -> Self {
        Self { ratio, unit: PruneUnit::default() }
    }

    /// The same ratio in `unit`.
    #[must_use]
    pub fn with_unit(self, unit: PruneUnit) -> Self {
        Self { unit, ..self }
    }

    /// Sub-blocks to remove out of `blocks`.
    pub fn target(&self, blocks: usize) -> usize {
        (self.ratio.clamp(0.0, 1.0) * blocks as f64).round() as usize
    }
}

/// One sub-block: the weights of one diagonal plaintext.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SubBlock {
    /// Output ciphertext `i`.
    pub out_ct: usize,
    /// Input ciphertext `k`.
    pub in_ct: usize,
    /// Rotation step `j`.
    pub step: usize,
    /// Indices into the weight tensor `[C_out][C_in/groups][kh][kw]` (sorted, distinct).
    pub weights: Vec<usize>,
}

/// The sub-blocks of one convolution.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SubBlockMap {
    /// Shape of the convolution.
    pub geom: ConvGeometry,
    /// Sub-blocks in planner order.
    pub blocks: Vec<SubBlock>,
}

/// The sub-blocks of convolution `geom` from layout `input` to layout `output`.
pub fn sub_blocks(geom: &ConvGeometry, input: &SlotLayout, output: &SlotLayout) -> SubBlockMap {
    sub_blocks_of(geom, &diagonal_structure(geom, input, output))
}

/// The sub-blocks of a convolution with diagonals `diagonals` (in their order).
fn sub_blocks_of(geom: &ConvGeometry, diagonals: &[Diagonal]) -> SubBlockMap {
    let blocks = diagonals
        .iter()
        .map(|d| {
            let mut weights: Vec<usize> = d
                .entries
                .iter()
                .map(|e| geom.weight_index(e.out_channel as usize, e.in_local as usize, e.tap as usize))
                .collect();
            weights.sort_unstable();
            weights.dedup();
            SubBlock { out_ct: d.out_ct, in_ct: d.in_ct, step: d.step, weights }
        })
        .collect();
    SubBlockMap { geom: *geom, blocks }
}

impl SubBlockMap {
    /// Number of weights in the convolution.
    pub fn weight_count(&self) -> usize {
        self.geom.out_channels * self.geom.group_in() * self.geom.taps()
    }

    /// Which sub-blocks carry a non-zero weight (exact zeros are pruned).
    pub fn kept_from_weights(&self, weight: &[f64]) -> Vec<bool> {
        self.blocks.iter().map(|b| b.weights.iter().any(|&w| weight.get(w).is_some_and(|v| *v != 0.0))).collect()
    }

    /// Importance of each sub-block: the squared L2 norm of its weights in `weight`.
    pub fn importance(&self, weight: &[f64]) -> Vec<f64> {
        self.blocks.iter().map(|b| b.weights.iter().map(|&w| weight.get(w).map_or(0.0, |v| v * v)).sum()).collect()
    }

    /// Keeps the sub-blocks with the largest L2 norm, pruning `round(ratio · blocks)` of them
    /// (ties broken by position). `ratio` is clamped to `[0, 1]`.
    pub fn kept_by_magnitude(&self, weight: &[f64], ratio: f64) -> Vec<bool> {
        let mut order: Vec<(f64, usize)> = self.importance(weight).into_iter().zip(0..).collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let pruned = PruneSpec::new(ratio).target(self.blocks.len());
        let mut kept = vec![true; self.blocks.len()];
        for &(_, i) in &order[..pruned] {
            kept[i] = false;
        }
        kept
    }

    /// Mask over the weight tensor: a weight is kept iff every sub-block holding it is kept.
    /// Weights no sub-block holds (taps that never read inside the input) are masked out.
    pub fn weight_mask(&self, kept: &[bool]) -> Vec<bool> {
        let mut held = vec![false; self.weight_count()];
        let mut dropped = vec![false; self.weight_count()];
        for (block, &k) in self.blocks.iter().zip(kept) {
            for &w in &block.weights {
                held[w] = true;
                dropped[w] |= !k;
            }
        }
        held.iter().zip(dropped).map(|(&h, d)| h && !d).collect()
    }
}

/// A convolution as the planner lowers it: node, linear stage (layouts and diagonals) and the
/// level its multiplies run at.
struct ConvStage {
    node: usize,
    stage: LinearStage,
    level: usize,
}

/// The convolution stages of `model` planned with `config` (one planning run).
fn conv_stages(model: &Model, config: &PlanConfig) -> Result<Vec<ConvStage>, PlanError> {
    let schedule = plan(model, config)?;
    let levels: Vec<usize> = schedule.layers.iter().map(|l| l.level_out + 1).collect();
    Ok(schedule
        .stages
        .into_iter()
        .filter_map(|stage| {
            let node = stage.node?;
            matches!(model.nodes[node].layer, Layer::Conv2d(_)).then(|| ConvStage { node, level: levels[node], stage })
        })
        .collect())
}

/// The sub-block maps of every convolution of `model` planned with `config`, as
/// `(node index, map)`. Use the configuration the model will be planned with (the layouts, hence
/// the sub-blocks, depend on the ring degree and on polyphase encoding).
pub fn model_sub_blocks(model: &Model, config: &PlanConfig) -> Result<Vec<(usize, SubBlockMap)>, PlanError> {
    Ok(conv_stage_layouts(model, config)?
        .into_iter()
        .filter_map(|(n, input, output)| {
            let Layer::Conv2d(conv) = &model.nodes[n].layer else {
                return None;
            };
            let geom = ConvGeometry::of_conv(conv);
            Some((n, sub_blocks(&geom, &input, &output)))
        })
        .collect())
}

/// What pruning did to one layer.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerPruning {
    /// Node name.
    pub name: String,
    /// Sub-blocks in the layer.
    pub blocks: usize,
    /// Sub-blocks kept.
    pub kept: usize,
    /// The unit pruned in (`None`: not pruned, the stem keeps its non-zero sub-blocks).
    pub unit: Option<PruneUnit>,
    /// Rotation units: the split the units follow (as `plan` prints splits) and the number of
    /// whole rotations' worth of sub-blocks removed.
    pub rotation_units: Option<(String, usize)>,
}

/// The pruning mask of one convolution.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerMask {
    /// Node index of the convolution.
    pub node: usize,
    /// One flag per weight (`[C_out][C_in/groups][k][k]`): kept or fixed at zero.
    pub mask: Vec<bool>,
    /// Sub-block counts.
    pub pruning: LayerPruning,
}

/// The masks that prune `spec.ratio` of the sub-blocks of every convolution except those
/// reading the network input (the stem, whose mask keeps its non-zero sub-blocks), in
/// `spec.unit`, ranked on the model's current weights; sub-blocks as planned with `config`,
/// rotation units priced with `config.cost`. Training (masked fine-tuning) and
/// [`prune_model`] both use this definition.
///
/// # Errors
/// The [`PlanError`] of planning `model` with `config`.
pub fn prune_masks(model: &Model, config: &PlanConfig, spec: PruneSpec) -> Result<Vec<LayerMask>, PlanError> {
    let mut masks = Vec::new();
    for ConvStage { node: n, stage, level } in conv_stages(model, config)? {
        let node = &model.nodes[n];
        let Layer::Conv2d(conv) = &node.layer else {
            continue;
        };
        let map = sub_blocks_of(&ConvGeometry::of_conv(conv), &stage.diagonals);
        let (kept, unit, rotation_units) = if node.input == 0 {
            (map.kept_from_weights(&conv.weight), None, None)
        } else {
            match spec.unit {
                PruneUnit::Diagonal => (map.kept_by_magnitude(&conv.weight, spec.ratio), Some(spec.unit), None),
                PruneUnit::Rotation => {
                    let target = spec.target(map.blocks.len());
                    let pruning = prune_rotations(&stage, level, &config.cost, &map.importance(&conv.weight), target);
                    let units = (pruning.split.describe(stage.input.slots), pruning.units.len());
                    (pruning.kept, Some(spec.unit), Some(units))
                }
            }
        };
        masks.push(LayerMask {
            node: n,
            mask: map.weight_mask(&kept),
            pruning: LayerPruning {
                name: node.name.clone(),
                blocks: map.blocks.len(),
                kept: kept.iter().filter(|&&k| k).count(),
                unit,
                rotation_units,
            },
        });
    }
    Ok(masks)
}

/// Prunes `spec.ratio` of the sub-blocks of every convolution except the stem in `spec.unit`,
/// zeroing the pruned weights in place; sub-blocks as planned with `config` (see
/// [`prune_masks`]).
///
/// # Errors
/// As [`prune_masks`].
pub fn prune_model(model: &mut Model, config: &PlanConfig, spec: PruneSpec) -> Result<Vec<LayerPruning>, PlanError> {
    let masks = prune_masks(model, config, spec)?;
    let mut report = Vec::new();
    for LayerMask { node, mask, pruning } in masks {
        if let Layer::Conv2d(conv) = &mut model.nodes[node].layer {
            for (w, keep) in conv.weight.iter_mut().zip(mask) {
                if !keep {
                    *w = 0.0;
                }
            }
        }
        report.push(pruning);
    }
    Ok(report)
}
