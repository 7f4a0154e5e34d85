//! An in-process encrypted session (client and server side by side) for `demo` and
//! `eval --encrypted`.

use std::time::Instant;

use spencnn::inference::{Client, EncodingPolicy, InferError, ParamChoice, ParamOptions, Server, plan_for_ckks};
use spencnn::model::Model;

/// A server holding a client's evaluation keys and the pre-encoded weights, and that client.
pub(crate) struct Session {
    pub server: Server,
    pub client: Client,
    pub choice: ParamChoice,
    /// Seconds to generate and load the keys.
    pub keygen_seconds: f64,
    /// Seconds to encode the weight plaintexts.
    pub setup_seconds: f64,
}

/// Plans `model` for CKKS at `N = 2^log_n` with 128-bit-secure parameters and sets up a session.
pub(crate) fn encrypted_session(model: &Model, log_n: u32) -> Result<Session, InferError> {
    let (schedule, choice, params) = plan_for_ckks(model, log_n, &ParamOptions::default())?;
    let mut server = Server::new(schedule, params, EncodingPolicy::Preencoded)?;
    // The server sees only public keys and ciphertexts.
    let start = Instant::now();
    let mut client = Client::new(server.interface().clone())?;
    server.set_keys(client.evaluation_keys()?)?;
    let keygen_seconds = start.elapsed().as_secs_f64();
    let start = Instant::now();
    server.setup()?;
    Ok(Session { server, client, choice, keygen_seconds, setup_seconds: start.elapsed().as_secs_f64() })
}
