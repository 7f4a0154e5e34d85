//! Training the zoo's networks on real data: dense and SpENCNN (grouped convolutions,
//! trainable per-channel polynomial activations), then sub-block pruning with the planner's own
//! mask definition ([`spencnn::prune::prune_masks`]) and masked fine-tuning.
//!
//! - [`layers`]: hand-written `f32` forward/backward passes (convolution with groups, padding
//!   and stride; batch norm; polynomial activation; pooling; dense; softmax cross-entropy), each
//!   checked against finite differences;
//! - [`net`]: a trainable copy of a sequential [`spencnn::model::Model`] and the export back to
//!   it with batch norms folded (the tensors of
//!   [`docs/planner.md`](https://github.com/spencnn/spencnn/blob/main/docs/planner.md));
//! - [`optim`]: Adam(W), gradient clipping, warm-up + cosine learning rate;
//! - [`checkpoint`]: the whole training state after phase 1, to fine-tune again without
//!   retraining;
//! - [`data`]: MNIST idx files (or the 20 digits bundled with `spencnn`);
//! - [`trainer`]: the two-phase loop (train, prune, fine-tune) with a progress observer;
//! - [`eval`]: accuracy, value ranges, and agreement with the f64 reference and the simulator.
//!
//! The recipe and the measured accuracies are in
//! [`docs/training.md`](https://github.com/spencnn/spencnn/blob/main/docs/training.md).

mod batch;
pub mod checkpoint;
pub mod data;
pub mod eval;
mod gemm;
pub mod layers;
pub mod net;
pub mod optim;
pub mod trainer;

pub use batch::Batch;
pub use checkpoint::{load_checkpoint, save_checkpoint};
pub use data::{Dataset, MnistFiles, Split};
pub use eval::{Evaluation, evaluate};
pub use net::{NetOptions, TrainNet};
pub use trainer::{
    EpochLog, Observer, Phase, Pretrained, TrainConfig, TrainReport, Trained, finetune, net_options, pretrain, train,
};

use rand_core::RngCore;
use thiserror::Error;

use spencnn::backend::ExecError;
use spencnn::model::ModelError;
use spencnn::plan::PlanError;

/// Errors while training or evaluating.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum TrainError {
    /// No data files of a split in a directory.
    #[error(
        "no MNIST {split} images in {dir} (looked for {looked_for}); put the MNIST distribution's \
         idx files there (train-images-idx3-ubyte.gz, train-labels-idx1-ubyte.gz, \
         t10k-images-idx3-ubyte.gz, t10k-labels-idx1-ubyte.gz, from the MNIST database, \
         yann.lecun.com/exdb/mnist, or a mirror of it)"
    )]
    MissingData {
        /// The directory searched.
        dir: String,
        /// `train` or `t10k`.
        split: &'static str,
        /// The file names tried, in order.
        looked_for: String,
    },
    /// A data file is unreadable or malformed.
    #[error("{path}: {reason}")]
    Data {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// A model construction the trainer does not handle.
    #[error("node {node}: the trainer does not support {reason}")]
    Unsupported {
        /// Node name.
        node: String,
        /// What is unsupported.
        reason: String,
    },
    /// An invalid setting.
    #[error("invalid training setting: {reason}")]
    Config {
        /// What is wrong.
        reason: String,
    },
    /// The loss became NaN or infinite.
    #[error("training diverged in {phase:?} epoch {epoch}, step {step} (loss {loss})")]
    Diverged {
        /// Phase.
        phase: Phase,
        /// Epoch (1-based).
        epoch: usize,
        /// Step within the epoch.
        step: usize,
        /// The loss value.
        loss: f64,
    },
    /// The model is invalid.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Planning (sub-block maps) failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// Running a schedule on the simulator failed.
    #[error(transparent)]
    Simulation(#[from] ExecError),
    /// A checkpoint is unreadable or belongs to another network.
    #[error("invalid training checkpoint: {reason}")]
    Checkpoint {
        /// What is wrong.
        reason: String,
    },
}

/// A uniform `f32` in `[0, 1)` with 24 random bits.
pub(crate) fn unit_f32(rng: &mut impl RngCore) -> f32 {
    (rng.next_u32() >> 8) as f32 / (1u32 << 24) as f32
}

/// The README's example, compiled as a doctest.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;
