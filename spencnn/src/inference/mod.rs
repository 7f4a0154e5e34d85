//! Encrypted inference on `spencnn-ckks`: parameters per network and the client/server split.
//! The server runs the schedule with [`crate::backend::run`] on the
//! [`CkksBackend`](crate::backend::CkksBackend).
//!
//! - [`params`]: ring degree, chain, scale, special primes and digits per planned network;
//! - [`messages`]: the only objects that cross the boundary;
//! - [`client`] (secret key, encrypt/decrypt) and [`server`] (schedule, evaluation keys,
//!   weight plaintexts);
//! - [`wire`]: the messages as bytes (CKKS objects in their versioned formats inside a small
//!   versioned envelope);
//! - [`precision`]: encrypted vs simulated logits;
//! - [`prefix`]: the first layers of a schedule (latency of networks too large to run whole).
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

pub mod client;
pub mod messages;
pub mod params;
pub mod precision;
pub mod prefix;
pub mod server;
pub mod wire;

pub use crate::backend::LayerRun;
pub use client::Client;
pub use messages::{EncryptedImage, EncryptedLogits, EvaluationKeys, ModelInterface};
pub use params::{MemoryEstimate, ParamChoice, ParamError, ParamOptions, choose_parameters, estimate_memory};
pub use precision::Agreement;
pub use server::{EncodingPolicy, Server, SetupReport};
/// The key types of the client's and server's key APIs ([`Client::evaluation_keys_estimate`],
/// [`Client::write_evaluation_keys_with_progress`], [`Server::set_key_storage`]).
pub use spencnn_ckks::KeyStorage;
pub use spencnn_ckks::rlwe::{KeyGenCost, KeyGenProgress, KeySetEstimate};

use spencnn_ckks::{CkksError, Parameters};

use crate::backend::{BackendError, ExecError};
use crate::model::{Model, ModelError};
use crate::plan::{PlanConfig, PlanError, Schedule, plan};

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
    /// An answer ciphertext does not match the model's output.
    #[error("output ciphertext {ciphertext}: {field} is {found}, the model expects {expected}")]
    OutputMismatch {
        /// Index of the ciphertext.
        ciphertext: usize,
        /// `slots`.
        field: &'static str,
        /// What the model expects.
        expected: usize,
        /// What was received.
        found: usize,
    },
    /// The answer has the wrong number of ciphertexts.
    #[error("expected {expected} output ciphertexts, got {found}")]
    OutputCount {
        /// Expected.
        expected: usize,
        /// Received.
        found: usize,
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
    let probe = plan(model, &PlanConfig::new(log_n))?;
    let choice = choose_parameters(log_n, &probe, options)?;
    let params = choice.build()?;
    let mut config = PlanConfig::new(log_n);
    config.scale_model = Some(params::scale_model(&params));
    config.cost = choice.cost_model();
    let schedule = plan(model, &config)?;
    Ok((schedule, choice, params))
}
