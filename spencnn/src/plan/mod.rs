//! The planner: lowers a [`Model`] to a [`Schedule`] of HE operations.
//!
//! - [`ir`]: the schedule IR (plain data) and per-layer reports;
//! - [`counts`]: operation counts derived from IR instructions;
//! - [`cost`]: the level-aware cost model that picks baby/giant splits;
//! - [`scale`]: the modulus chain abstraction (levels, primes, working scale);
//! - [`diagonals`]: which weights share a plaintext (the pruning sub-blocks);
//! - [`stage`]: folded linear maps and plaintext materialisation;
//! - [`bsgs`]: baby-step/giant-step emission with double hoisting;
//! - [`rotation_keys`]: fewer rotation keys (dropped steps composed from kept ones);
//! - [`stage_cost`]: the cost of a stage's kept diagonals under one split, without emitting it;
//! - `planner` / `lower` / `pool` / `policy`: the walk over the model.

pub mod bsgs;
mod builder;
pub mod cost;
pub mod counts;
pub mod diagonals;
mod display;
pub mod ir;
mod lower;
mod planner;
mod policy;
mod pool;
pub mod rotation_keys;
pub mod scale;
pub mod stage;
pub mod stage_cost;

pub use bsgs::BsgsSplit;
pub use cost::CostModel;
pub use counts::OpCounts;
pub use diagonals::{ConvGeometry, DiagEntry, Diagonal, diagonal_structure};
pub use ir::{Instr, LayerReport, Op, OutputSlot, PlainId, PlainSource, PlainSpec, Schedule, ValueId};
pub use planner::conv_stage_layouts;
pub use scale::ScaleModel;
pub use stage::LinearStage;
pub use stage_cost::{DiagonalPlace, StageCost};

use thiserror::Error;

use crate::layout::LayoutError;
use crate::model::{Model, ModelError};

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
    /// Cost model that picks the baby/giant split of each linear layer.
    pub cost: CostModel,
    /// Force one split for every linear layer (tests, comparisons); `None` = cheapest.
    pub forced_split: Option<BsgsSplit>,
    /// Encode the input polyphase when its first 2×2 pooling is reached through stride-1 convolutions and
    /// element-wise layers only (see
    /// [`docs/planner.md`](https://github.com/spencnn/spencnn/blob/main/docs/planner.md)); `false` keeps
    /// every map in its block on a stride-`d` grid.
    pub polyphase: bool,
}

impl PlanConfig {
    /// Defaults for ring degree `2^log_n`: 30-bit scale, default cost model, automatic splits.
    pub fn new(log_n: u32) -> Self {
        Self {
            log_n,
            scale_model: None,
            log_scale: 30,
            cost: CostModel::default(),
            forced_split: None,
            polyphase: true,
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
    // Pass 1: measure the depth with a generous uniform chain.
    let probe_levels = 4 * model.nodes.len() + 4;
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
