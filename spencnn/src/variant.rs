//! A zoo network variant ready to run: architecture, weights (a safetensors file or seeded
//! random values), optional sub-block pruning, and its schedule.

use crate::model::zoo::{Network, Variant};
use crate::model::{Model, ModelError, load_safetensors, randomize};
use crate::plan::{PlanConfig, PlanError, Schedule, plan};
use crate::prune::{LayerPruning, PruneSpec, prune_model};

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

/// How to obtain a variant's weights.
#[derive(Clone, Debug)]
pub enum Weights<'a> {
    /// Seeded random weights (for operation counts and latency; the classes mean nothing).
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

/// Builds `network` in `variant` at `config`, with `weights`, sub-block pruned as `prune` says
/// (the stem excluded) when given.
///
/// # Errors
/// [`BuildError::Model`] for a weights file that does not fit the architecture,
/// [`BuildError::Ratio`] for a ratio outside `[0, 1)`, [`BuildError::Plan`].
pub fn build_variant(
    network: Network,
    variant: Variant,
    config: &PlanConfig,
    weights: Weights<'_>,
    prune: Option<PruneSpec>,
) -> Result<BuiltVariant, BuildError> {
    let mut model = network.build(variant);
    match weights {
        Weights::Random(seed) => randomize(&mut model, seed),
        Weights::File(bytes) => load_safetensors(&mut model, bytes)?,
    }
    let pruning = match prune {
        Some(spec) if !(0.0..1.0).contains(&spec.ratio) => return Err(BuildError::Ratio { ratio: spec.ratio }),
        Some(spec) => prune_model(&mut model, config, spec)?,
        None => Vec::new(),
    };
    let schedule = plan(&model, config)?;
    Ok(BuiltVariant { model, schedule, pruning })
}

/// Loads a safetensors file into `network` as `variant`, or, when `variant` is `None`, as
/// whichever variant its tensors fit (dense first). Returns the variant with the model.
///
/// # Errors
/// The [`ModelError`] of the last variant tried (e.g. [`ModelError::TensorShape`] when the file
/// belongs to another network).
pub fn load_variant(network: Network, variant: Option<Variant>, bytes: &[u8]) -> Result<(Variant, Model), ModelError> {
    let candidates = match variant {
        Some(v) => vec![v],
        None => Variant::ALL.to_vec(),
    };
    let mut last = None;
    for v in candidates {
        let mut model = network.build(v);
        match load_safetensors(&mut model, bytes) {
            Ok(()) => return Ok((v, model)),
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or(ModelError::Malformed { reason: "no variant".into() }))
}
