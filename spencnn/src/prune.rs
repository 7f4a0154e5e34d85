//! HE-friendly sub-block pruning: masks aligned with the planner's diagonal plaintexts.
//!
//! A *sub-block* is the set of convolution weights one diagonal plaintext `D_{i,k,j}` carries
//! (see [`crate::plan::diagonals`]). Zeroing a whole sub-block removes one plaintext multiply and
//! one addition, and, when every sub-block that needs a given rotation is zero, the rotation too.
//! The definition depends on the layer geometry and on the input/output slot layouts, which depend
//! only on the architecture and the ring degree: [`model_sub_blocks`] gives the same maps the
//! planner uses, so training code (masked fine-tuning) and the planner agree by construction.

use serde::Serialize;

use crate::layout::SlotLayout;
use crate::model::{Layer, Model};
use crate::plan::{ConvGeometry, PlanConfig, PlanError, conv_stage_layouts, diagonal_structure};

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
    let blocks = diagonal_structure(geom, input, output)
        .into_iter()
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

    /// Keeps the sub-blocks with the largest L2 norm, pruning `round(ratio · blocks)` of them
    /// (ties broken by position). `ratio` is clamped to `[0, 1]`.
    pub fn kept_by_magnitude(&self, weight: &[f64], ratio: f64) -> Vec<bool> {
        let norm = |b: &SubBlock| -> f64 { b.weights.iter().map(|&w| weight.get(w).map_or(0.0, |v| v * v)).sum() };
        let mut order: Vec<(f64, usize)> = self.blocks.iter().map(norm).zip(0..).collect();
        order.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        let pruned = (ratio.clamp(0.0, 1.0) * self.blocks.len() as f64).round() as usize;
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

/// The masks that magnitude-prune `ratio` of the sub-blocks (ranked by the L2 norm of the
/// model's current weights) of every convolution except those reading the network input (the
/// stem, whose mask keeps its non-zero sub-blocks); sub-blocks as planned with `config`.
/// Training (masked fine-tuning, `crate::train`) and [`prune_model`] both use this definition.
pub fn prune_masks(model: &Model, config: &PlanConfig, ratio: f64) -> Result<Vec<LayerMask>, PlanError> {
    let maps = model_sub_blocks(model, config)?;
    let mut masks = Vec::new();
    for (n, map) in maps {
        let node = &model.nodes[n];
        let Layer::Conv2d(conv) = &node.layer else {
            continue;
        };
        let kept = if node.input == 0 {
            map.kept_from_weights(&conv.weight)
        } else {
            map.kept_by_magnitude(&conv.weight, ratio)
        };
        masks.push(LayerMask {
            node: n,
            mask: map.weight_mask(&kept),
            pruning: LayerPruning {
                name: node.name.clone(),
                blocks: map.blocks.len(),
                kept: kept.iter().filter(|&&k| k).count(),
            },
        });
    }
    Ok(masks)
}

/// Magnitude-prunes `ratio` of the sub-blocks of every convolution except those reading the
/// network input (the stem), zeroing the pruned weights in place; sub-blocks as planned with
/// `config` (see [`prune_masks`]).
pub fn prune_model(model: &mut Model, config: &PlanConfig, ratio: f64) -> Result<Vec<LayerPruning>, PlanError> {
    let masks = prune_masks(model, config, ratio)?;
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
