//! The planner: lowers a [`Model`] to a [`Schedule`] of HE operations.
//!
//! - [`ir`]: the schedule IR (plain data) and per-layer reports;
//! - [`counts`]: operation counts derived from IR instructions;
//! - [`profile`]: measured primitive times (the committed profile, a machine's own);
//! - [`cost`]: seconds per instruction from the profile (picks splits and packings);
//! - [`latency`]: the predicted latency of a schedule as the runner executes it;
//! - [`scale`]: the modulus chain abstraction (levels, primes, working scale);
//! - [`diagonals`]: which weights share a plaintext (the pruning sub-blocks);
//! - [`stage`]: folded linear maps and plaintext materialisation;
//! - [`bsgs`]: baby-step/giant-step emission with double hoisting;
//! - [`rotation_keys`]: fewer rotation keys (dropped steps composed from kept ones);
//! - [`stage_cost`]: the cost of a stage's kept diagonals under one split, without emitting it;
//! - [`packing`]: the per-layer packing choice by cost (input encoding, placements);
//! - `planner` / `lower` / `pool` / `policy`: the walk over the model.

pub mod bsgs;
mod builder;
pub mod cost;
pub mod counts;
pub mod diagonals;
mod display;
mod hear;
pub mod ir;
pub mod latency;
mod lower;
pub mod packing;
mod planner;
mod policy;
mod relu;
mod pool;
pub mod profile;
pub mod rotation_keys;
pub mod scale;
pub mod stage;
pub mod stage_cost;

pub use bsgs::BsgsSplit;
pub use cost::CostModel;
pub use counts::OpCounts;
pub use diagonals::{ConvGeometry, DiagEntry, Diagonal, diagonal_structure};
pub use ir::{Instr, LayerReport, Op, OutputSlot, PlainId, PlainSource, PlainSpec, Schedule, ValueId};
pub use latency::{LatencyPrediction, PlaintextTiming, predict_latency};
pub use packing::{Alternative, Choice, Packing, choose_packing};
pub use planner::conv_stage_layouts;
pub use profile::{CostProfile, Primitive, ProfileError};
pub use scale::ScaleModel;
pub use stage::LinearStage;
pub use stage_cost::{DiagonalPlace, StageCost};

use thiserror::Error;

use crate::layout::LayoutError;
use crate::model::{Layer, Model, ModelError};

/// Errors while planning.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum PlanError {
    /// The model itself is invalid.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// A layer's output does not fit the slot layout.
    #[error("node {node}: {source}")]
    Layout {
        /// Node name.
        node: String,
        /// Layout error.
        source: LayoutError,
    },
    /// A node needs a level the chain does not have.
    #[error("node {node} needs a level but its input is at level {level}")]
    OutOfLevels {
        /// Node name.
        node: String,
        /// Level of the input.
        level: usize,
    },
    /// The network needs more levels than the scale model offers.
    #[error("the network needs depth {needed} but the modulus chain has {available} levels")]
    NotEnoughLevels {
        /// Depth of the network.
        needed: usize,
        /// Levels in the scale model.
        available: usize,
    },
    /// A ReLU approximation deeper than the levels left at its input.
    #[error(
        "node {node}: the ReLU approximation needs {needed} levels but its input is at level {level}: \
         lower its precision or use a modulus chain with more levels"
    )]
    ReluTooDeep {
        /// Node name.
        node: String,
        /// Levels the polynomial consumes.
        needed: usize,
        /// Level of the input.
        level: usize,
    },
    /// A construction the planner does not lower.
    #[error("node {node}: unsupported: {reason}")]
    Unsupported {
        /// Node name.
        node: String,
        /// Why.
        reason: String,
    },
    /// An invalid ring degree.
    #[error("log2 N = {log_n} is outside [4, 17]")]
    RingDegree {
        /// Requested `log2 N`.
        log_n: u32,
    },
}

/// Planner settings.
#[derive(Clone, Debug, PartialEq)]
pub struct PlanConfig {
    /// `log2 N`; ciphertexts have `N / 2` slots.
    pub log_n: u32,
    /// Modulus chain; `None` = uniform primes of `2^log_scale`.
    pub scale_model: Option<ScaleModel>,
    /// Working scale bits used when `scale_model` is `None`.
    pub log_scale: u32,
    /// Cost model that picks the baby/giant split of each linear layer (seconds per
    /// operation, from the active [`CostProfile`]).
    pub cost: CostModel,
    /// Force one split for every linear layer (tests, comparisons); `None` = cheapest.
    pub forced_split: Option<BsgsSplit>,
    /// Allow polyphase input encoding (the packing search then decides; without the search,
    /// use it) when its first 2×2 pooling is reached through stride-1 convolutions and
    /// element-wise layers only (see
    /// [`docs/planner.md`](https://github.com/spencnn/spencnn/blob/main/docs/planner.md)); `false` keeps
    /// every map in its block on a stride-`d` grid.
    pub polyphase: bool,
    /// How linear layers are lowered: our double-hoisted baby/giant steps, or HEAR's.
    pub method: ConvMethod,
    /// Input encoding and channel placements: searched by cost (the default) or given.
    pub packing: Packing,
}

/// How the planner lowers convolutions and dense layers.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub enum ConvMethod {
    /// Baby/giant steps with double hoisting, the split chosen by the cost model (ours).
    #[default]
    DoubleHoisted,
    /// The HEAR baseline: channel-diagonal baby rotations and tap giant rotations, each a
    /// full key switch, plaintext products in `Q_ℓ`, every map on its stride grid (no
    /// polyphase input); see `plan/hear.rs`.
    Hear,
}

impl PlanConfig {
    /// Defaults for ring degree `2^log_n`: 30-bit scale, the active profile's cost model on one
    /// thread, automatic splits.
    pub fn new(log_n: u32) -> Self {
        Self {
            log_n,
            scale_model: None,
            log_scale: 30,
            cost: CostModel::for_ring(log_n),
            forced_split: None,
            polyphase: true,
            method: ConvMethod::DoubleHoisted,
            packing: Packing { search: true, ..Packing::default() },
        }
    }

    /// Slots `N / 2`.
    pub fn slots(&self) -> usize {
        1usize << (self.log_n.saturating_sub(1))
    }
}

/// Lowers `model` to a schedule: the input sits at level `depth`, the logits at level 0.
pub fn plan(model: &Model, config: &PlanConfig) -> Result<Schedule, PlanError> {
    if !(4..=17).contains(&config.log_n) {
        return Err(PlanError::RingDegree { log_n: config.log_n });
    }
    model.shapes()?;
    if config.packing.search && config.method == ConvMethod::DoubleHoisted {
        let (packing, choices) = choose_packing(model, config)?;
        let mut fixed = config.clone();
        fixed.packing = packing;
        let mut schedule = plan(model, &fixed)?;
        schedule.choices.splice(0..0, choices);
        return Ok(schedule);
    }
    // Pass 1: measure the depth with a generous uniform chain.
    let relu_levels: usize = model
        .nodes
        .iter()
        .map(|node| match &node.layer {
            Layer::Relu(relu) => relu.depth() + 1,
            _ => 0,
        })
        .sum();
    let probe_levels = 4 * model.nodes.len() + 4 + relu_levels;
    let probe = ScaleModel::uniform(config.log_scale, probe_levels);
    let depth = planner::Planner::run(model, config, &probe, probe_levels)?.depth();
    let chain = match &config.scale_model {
        Some(chain) if chain.max_level() < depth => {
            return Err(PlanError::NotEnoughLevels { needed: depth, available: chain.max_level() });
        }
        Some(chain) => chain.clone(),
        None => ScaleModel::uniform(config.log_scale, depth),
    };
    planner::Planner::run(model, config, &chain, depth)
}
