//! Building a network variant (weights, pruning, schedule) and summarising its cost.
//!
//! Shared by the CLI's `plan` command and by later `bench`/`infer` commands.

use serde::Serialize;

use crate::model::zoo::{Network, Variant};
use crate::model::{Model, ModelError, load_safetensors, randomize};
use crate::plan::{CostModel, LayerReport, OpCounts, PlanConfig, PlanError, Schedule, plan};
use crate::prune::{LayerPruning, prune_model};

/// Errors building a variant.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BuildError {
    /// The weights file is unusable.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Planning failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// A pruning ratio outside `[0, 1)`.
    #[error("pruning ratio {ratio} is outside [0, 1)")]
    Ratio {
        /// The ratio given.
        ratio: f64,
    },
}

impl Network {
    /// The ring degree `log2 N` we run this network at (see `docs/planner.md`).
    pub fn default_log_n(self) -> u32 {
        match self {
            Network::LeNet | Network::Vgg5 | Network::HefNet => 14,
            Network::ResNet20 => 16,
        }
    }

    /// The sub-block pruning ratio of the SpENCNN variant (see `docs/planner.md`).
    pub fn default_prune_ratio(self) -> f64 {
        match self {
            Network::LeNet | Network::Vgg5 | Network::HefNet => 0.5,
            Network::ResNet20 => 0.3,
        }
    }
}

/// How to obtain a variant's weights.
#[derive(Clone, Debug)]
pub enum Weights<'a> {
    /// Seeded random weights.
    Random(u64),
    /// A safetensors file's bytes.
    File(&'a [u8]),
}

/// A built variant: the model (after pruning), its schedule and the pruning report.
#[derive(Clone, Debug)]
pub struct BuiltVariant {
    /// The model with its final weights.
    pub model: Model,
    /// The lowered schedule.
    pub schedule: Schedule,
    /// Per-layer pruning (empty if not pruned).
    pub pruning: Vec<LayerPruning>,
}

/// Builds `network` in `variant` at `config`, with `weights`, magnitude-pruned to `prune` (the
/// stem excluded) when given.
pub fn build_variant(
    network: Network,
    variant: Variant,
    config: &PlanConfig,
    weights: Weights<'_>,
    prune: Option<f64>,
) -> Result<BuiltVariant, BuildError> {
    let mut model = network.build(variant);
    match weights {
        Weights::Random(seed) => randomize(&mut model, seed),
        Weights::File(bytes) => load_safetensors(&mut model, bytes)?,
    }
    let pruning = match prune {
        Some(ratio) if !(0.0..1.0).contains(&ratio) => return Err(BuildError::Ratio { ratio }),
        Some(ratio) => prune_model(&mut model, config, ratio)?,
        None => Vec::new(),
    };
    let schedule = plan(&model, config)?;
    Ok(BuiltVariant { model, schedule, pruning })
}

/// A variant's totals.
#[derive(Clone, Debug, Serialize)]
pub struct VariantSummary {
    /// Which variant.
    pub variant: Variant,
    /// Pruning ratio applied (None = unpruned).
    pub prune_ratio: Option<f64>,
    /// `log2 N`.
    pub log_n: u32,
    /// Multiplicative depth.
    pub depth: usize,
    /// Galois keys (distinct non-zero rotation steps).
    pub rotation_keys: usize,
    /// Operation totals.
    pub totals: OpCounts,
    /// Cost-model estimate (NTT units).
    pub estimated_cost: f64,
    /// Per-layer reports.
    pub layers: Vec<LayerReport>,
    /// Per-layer pruning.
    pub pruning: Vec<LayerPruning>,
}

/// Summarises a built variant under `cost`.
pub fn summarize(
    built: &BuiltVariant,
    variant: Variant,
    prune_ratio: Option<f64>,
    log_n: u32,
    cost: &CostModel,
) -> VariantSummary {
    let s = &built.schedule;
    VariantSummary {
        variant,
        prune_ratio,
        log_n,
        depth: s.depth(),
        rotation_keys: s.rotation_steps().len(),
        totals: s.totals(),
        estimated_cost: cost.program_cost(&s.instrs),
        layers: s.layers.clone(),
        pruning: built.pruning.clone(),
    }
}
