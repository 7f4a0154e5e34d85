//! Encrypted inference on `spencnn-ckks`: parameters per network and the client/server split.
//! The server runs the schedule with [`crate::backend::run`] on the
//! [`CkksBackend`](crate::backend::CkksBackend).
//!
//! - [`params`]: ring degree, chain, scale, special primes and digits per planned network;
//! - [`messages`]: the only objects that cross the boundary, [`outputs`]: the levels and
//!   scales the answer must have, [`binding`]: the digest and fingerprint that tie one
//!   session's messages together;
//! - [`client`] (secret key, encrypt/decrypt; [`policy`]: what it accepts from a server) and
//!   [`server`] (schedule, evaluation keys, weight plaintexts);
//! - [`wire`]: the messages as bytes (CKKS objects in their versioned formats inside a small
//!   versioned envelope);
//! - [`precision`]: encrypted vs simulated logits;
//! - [`prefix`]: the first layers of a schedule (latency of networks too large to run whole);
//! - [`memory_footprint`] and [`memory_budget`]: the peak memory of a deployment, estimated
//!   before any key exists, and the cheapest deployment within a memory budget.
//!
//! ```no_run
//! use spencnn::inference::{Client, EncodingPolicy, ParamOptions, Server, plan_for_ckks};
//! # fn demo(model: &spencnn::model::Model, image: &spencnn::Tensor3) -> Result<(), spencnn::inference::InferError> {
//! let (schedule, _choice, params) = plan_for_ckks(model, 14, &ParamOptions::default())?;
//! let mut server = Server::new(schedule, params, EncodingPolicy::Preencoded)?;
//! let mut client = Client::new(server.interface().clone())?;   // secret key stays here
//! server.set_keys(client.evaluation_keys()?)?;                  // public keys only
//! server.setup()?;                                              // encode the weights once
//! let (answer, _layers) = server.infer(&client.encrypt(image)?, |_| {})?;
//! let logits = client.decrypt(&answer)?;
//! # Ok(()) }
//! ```

pub mod binding;
pub mod client;
pub mod inspect;
pub mod memory_budget;
pub mod memory_footprint;
pub mod messages;
pub mod outputs;
pub mod params;
pub mod policy;
pub mod precision;
pub mod prefix;
pub mod server;
pub mod wire;

pub use crate::backend::LayerRun;
pub use client::Client;
pub use inspect::{Inspection, inspect, smallest_log_n};
pub use memory_budget::{KeyGenLimit, MemoryBudgetError, MemoryOptions, MemoryPlan, fit_memory};
pub use memory_footprint::MemoryFootprint;
pub use messages::{EncryptedImage, EncryptedLogits, EvaluationKeys, ModelInterface};
pub use outputs::OutputSpec;
pub use params::{MemoryEstimate, ParamChoice, ParamError, ParamOptions, choose_parameters, estimate_memory};
pub use policy::{ClientPolicy, PolicyError};
pub use precision::Agreement;
pub use server::{EncodingPolicy, Server, SetupReport};
/// The key types of the client's and server's key APIs ([`Client::evaluation_keys_estimate`],
/// [`Client::write_evaluation_keys_with_progress`], [`Server::set_key_storage`]).
pub use spencnn_ckks::KeyStorage;
pub use spencnn_ckks::rlwe::{KeyGenCost, KeyGenProgress, KeySetEstimate};

use spencnn_ckks::{CkksError, Parameters};

use crate::backend::{BackendError, ExecError};
use crate::model::{Model, ModelError};
use crate::plan::{CostModel, PlanConfig, PlanError, Schedule, plan};

/// Errors of encrypted inference.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum InferError {
    /// A CKKS operation or parameter failed.
    #[error(transparent)]
    Ckks(#[from] CkksError),
    /// Choosing parameters failed.
    #[error(transparent)]
    Params(#[from] ParamError),
    /// Planning failed.
    #[error(transparent)]
    Plan(#[from] PlanError),
    /// The image does not fit the model.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Running the schedule failed.
    #[error(transparent)]
    Exec(#[from] ExecError),
    /// Encoding the weights failed.
    #[error("encoding the weights: {0}")]
    Backend(BackendError),
    /// The evaluation keys are unusable.
    #[error("evaluation keys: {reason}")]
    Keys {
        /// What is wrong.
        reason: String,
    },
    /// The server was asked to infer before encoding its weights.
    #[error("the server has not encoded its weights (call setup)")]
    NotSetUp,
    /// The schedule was planned for another modulus chain.
    #[error("the schedule was planned for another modulus chain than the parameters'")]
    ChainMismatch,
    /// A message could not be read or written.
    #[error(transparent)]
    Wire(#[from] wire::WireError),
    /// The encrypted image does not match the model's input.
    #[error("image ciphertext {ciphertext}: {field} is {found}, the model expects {expected}")]
    ImageMismatch {
        /// Index of the ciphertext.
        ciphertext: usize,
        /// `level`, `scale`, `slots` or `size`.
        field: &'static str,
        /// What the model expects.
        expected: f64,
        /// What was received.
        found: f64,
    },
    /// The encrypted image has the wrong number of ciphertexts.
    #[error("expected {expected} image ciphertexts, got {found}")]
    ImageCount {
        /// Expected.
        expected: usize,
        /// Received.
        found: usize,
    },
    /// An answer ciphertext does not match the model's output (exactly the interface's level,
    /// scale and slots, two polynomials).
    #[error("output ciphertext {ciphertext}: {field} is {found}, the model expects {expected}")]
    OutputMismatch {
        /// Index of the ciphertext.
        ciphertext: usize,
        /// `level`, `scale`, `slots` or `size`.
        field: &'static str,
        /// What the model expects.
        expected: f64,
        /// What was received.
        found: f64,
    },
    /// A decrypted logit is not a finite number.
    #[error("logit {logit} decrypted to {value}, not a finite number")]
    NonFiniteOutput {
        /// Index of the logit.
        logit: usize,
        /// The value.
        value: f64,
    },
    /// The answer has the wrong number of ciphertexts.
    #[error("expected {expected} output ciphertexts, got {found}")]
    OutputCount {
        /// Expected.
        expected: usize,
        /// Received.
        found: usize,
    },
    /// The client refused the server's interface.
    #[error("the client refuses the interface: {0}")]
    Policy(#[from] PolicyError),
    /// The levels and scales of the schedule's outputs cannot be derived (a malformed schedule).
    #[error("the schedule's outputs cannot be traced to its inputs")]
    InvalidSchedule,
    /// The client was asked to encrypt or decrypt before making its evaluation keys (the
    /// messages carry the keys' fingerprint).
    #[error("the client has not made its evaluation keys yet")]
    KeysNotMade,
    /// The evaluation keys were made for another interface than the server's.
    #[error("the evaluation keys were made for interface {found:#018x}, the server's is {expected:#018x}")]
    InterfaceMismatch {
        /// Digest of the receiver's interface.
        expected: u64,
        /// Digest in the keys message.
        found: u64,
    },
    /// An image or answer belongs to another key set than the receiver's.
    #[error("the {message} was made for key set {found:#018x}, the receiver holds {expected:#018x}")]
    KeyMismatch {
        /// `image` or `answer`.
        message: &'static str,
        /// Fingerprint of the receiver's keys.
        expected: u64,
        /// Fingerprint in the message.
        found: u64,
    },
}

/// Plans `model` at ring degree `2^log_n` for CKKS: measures the depth, chooses parameters
/// (printed by the CLI), and re-plans with the real primes (`ScaleModel::from_moduli`, so every
/// scale matches exactly) and the cost model of the chosen `P`/`dnum`.
///
/// # Errors
/// [`InferError::Plan`], [`InferError::Params`], [`InferError::Ckks`].
pub fn plan_for_ckks(
    model: &Model,
    log_n: u32,
    options: &ParamOptions,
) -> Result<(Schedule, ParamChoice, Parameters), InferError> {
    plan_for_ckks_with(model, &PlanConfig::new(log_n), options)
}

/// [`plan_for_ckks`] from a planner configuration (its ring degree, lowering method and
/// packing options; its scale model and cost model are replaced by the chosen parameters').
///
/// # Errors
/// As [`plan_for_ckks`].
pub fn plan_for_ckks_with(
    model: &Model,
    base: &PlanConfig,
    options: &ParamOptions,
) -> Result<(Schedule, ParamChoice, Parameters), InferError> {
    let log_n = base.log_n;
    let mut probe_config = base.clone();
    probe_config.scale_model = None;
    probe_config.cost = CostModel::for_ring(log_n).with_threads(options.threads);
    let probe = plan(model, &probe_config)?;
    let choice = choose_parameters(log_n, &probe, options)?;
    let params = choice.build()?;
    let mut config = probe_config;
    config.scale_model = Some(params::scale_model(&params));
    config.cost = choice.cost_model(options.threads);
    let schedule = plan(model, &config)?;
    Ok((schedule, choice, params))
}
