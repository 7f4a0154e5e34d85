//! A planned variant's totals, per-layer counts and pruning, as `plan` prints them (tables and
//! JSON).

use serde::Serialize;
use spencnn::plan::{Choice, CostModel, LayerReport, OpCounts, PlaintextTiming, predict_latency};
use spencnn::prune::{LayerPruning, PruneSpec, PruneUnit};
use spencnn::variant::BuiltVariant;

/// A variant's totals.
#[derive(Clone, Debug, Serialize)]
pub(crate) struct VariantSummary {
    /// Which variant: `hear`, `dense` or `spencnn`.
    pub variant: &'static str,
    /// Pruning ratio applied (None = unpruned).
    pub prune_ratio: Option<f64>,
    /// Pruning unit (None = unpruned).
    pub prune_unit: Option<PruneUnit>,
    /// `log2 N`.
    pub log_n: u32,
    /// Multiplicative depth.
    pub depth: usize,
    /// Galois keys (distinct non-zero rotation steps).
    pub rotation_keys: usize,
    /// Operation totals.
    pub totals: OpCounts,
    /// Cost-model seconds summed over the instructions (throughputs, pre-encoded weights).
    pub estimated_cost: f64,
    /// The cost model's predicted latency (pre-encoded weights, the model's thread count).
    pub predicted_seconds: f64,
    /// Per-layer reports.
    pub layers: Vec<LayerReport>,
    /// Per-layer pruning.
    pub pruning: Vec<LayerPruning>,
    /// The planner's decisions by cost, with the alternatives priced.
    pub choices: Vec<Choice>,
}

/// Summarises a built variant under `cost`.
pub(crate) fn summarize(
    built: &BuiltVariant,
    variant: &'static str,
    prune: Option<PruneSpec>,
    log_n: u32,
    cost: &CostModel,
) -> VariantSummary {
    let s = &built.schedule;
    VariantSummary {
        variant,
        prune_ratio: prune.map(|p| p.ratio),
        prune_unit: prune.map(|p| p.unit),
        log_n,
        depth: s.depth(),
        rotation_keys: s.rotation_steps().len(),
        totals: s.totals(),
        estimated_cost: cost.program_cost(&s.instrs),
        predicted_seconds: predict_latency(s, cost, PlaintextTiming::Preencoded).seconds,
        layers: s.layers.clone(),
        pruning: built.pruning.clone(),
        choices: s.choices.clone(),
    }
}
