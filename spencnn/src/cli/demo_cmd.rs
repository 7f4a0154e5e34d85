//! `spencnn demo`: the README's main job. Encrypts one of the bundled MNIST test digits,
//! classifies it on ciphertexts with the bundled, trained SpENCNN LeNet, decrypts the class, and
//! compares the dense and SpENCNN schedules. Everything it needs is compiled into the binary
//! (`spencnn/assets/`, see `docs/training.md`): no download, no data directory.

use std::fmt::Write as _;
use std::time::Instant;

use clap::Args;
use spencnn::backend::run_simulated;
use spencnn::image::{IdxImages, ImageError, parse_idx_labels};
use spencnn::inference::precision::argmax;
use spencnn::inference::{
    Agreement, Client, EncodingPolicy, InferError, ParamChoice, ParamOptions, Server, plan_for_ckks,
};
use spencnn::model::zoo::{Network, Variant};
use spencnn::model::{Model, ModelError, load_safetensors};
use spencnn::plan::{CostModel, PlanConfig, PlanError, plan};

use super::emit;

/// The trained SpENCNN LeNet (conv2 in 4 groups, half of its sub-blocks pruned).
const SPENCNN_WEIGHTS: &[u8] = include_bytes!("../../assets/lenet-spencnn.safetensors");
/// The trained dense LeNet (for the operation-count comparison).
const DENSE_WEIGHTS: &[u8] = include_bytes!("../../assets/lenet-dense.safetensors");
/// The first 20 MNIST test images and their labels.
const DIGITS: &[u8] = include_bytes!("../../assets/mnist-test-20-images-idx3-ubyte");
const LABELS: &[u8] = include_bytes!("../../assets/mnist-test-20-labels-idx1-ubyte");

/// Arguments of `spencnn demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Which bundled test digit to classify (0 to 19).
    #[arg(long, default_value_t = 0)]
    digit: usize,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum DemoError {
    #[error("bundled digits: {0}")]
    Image(#[from] ImageError),
    #[error("bundled weights: {0}")]
    Model(#[from] ModelError),
    #[error(transparent)]
    Plan(#[from] PlanError),
    #[error(transparent)]
    Infer(#[from] InferError),
    #[error("the slot simulator failed: {0}")]
    Simulate(#[from] spencnn::backend::ExecError),
    #[error("cannot build the thread pool: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// Plans `model` for CKKS, makes a client (secret key) and a server holding the client's
/// evaluation keys and the pre-encoded weights; returns them with the parameter choice and the
/// key-generation and weight-encoding seconds.
pub(crate) fn encrypted_session(
    model: &Model,
    log_n: u32,
) -> Result<(Server, Client, ParamChoice, f64, f64), InferError> {
    let (schedule, choice, params) = plan_for_ckks(model, log_n, &ParamOptions::default())?;
    let mut server = Server::new(schedule, params, EncodingPolicy::Preencoded)?;
    // The server sees only public keys and ciphertexts.
    let start = Instant::now();
    let mut client = Client::new(server.interface().clone())?;
    server.set_keys(client.evaluation_keys()?)?;
    let keygen = start.elapsed().as_secs_f64();
    let start = Instant::now();
    server.setup()?;
    Ok((server, client, choice, keygen, start.elapsed().as_secs_f64()))
}

pub(crate) fn run(args: &DemoArgs) -> Result<(), DemoError> {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.threads.max(1)).build()?;
    pool.install(|| demo(args))
}

fn demo(args: &DemoArgs) -> Result<(), DemoError> {
    let network = Network::LeNet;
    let log_n = network.default_log_n();
    let mut model = network.build(Variant::SpEncnn);
    load_safetensors(&mut model, SPENCNN_WEIGHTS)?;
    let mut dense = network.build(Variant::Dense);
    load_safetensors(&mut dense, DENSE_WEIGHTS)?;
    let image = IdxImages::parse(DIGITS)?.image(args.digit, model.input_shape)?;
    let label = parse_idx_labels(LABELS)?.get(args.digit).copied();

    let mut out = String::new();
    let _ = writeln!(out, "SpENCNN LeNet (trained on MNIST, conv2 in 4 groups, 50 % of its sub-blocks pruned)");
    let (server, mut client, choice, keygen, setup) = encrypted_session(&model, log_n)?;
    let _ = writeln!(out, "CKKS parameters: {choice}");
    let start = Instant::now();
    let encrypted = client.encrypt(&image)?;
    let encrypt = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let (answer, _) = server.infer(&encrypted, |_| {})?;
    let online = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let logits = client.decrypt(&answer)?;
    let decrypt = start.elapsed().as_secs_f64();

    let class = argmax(&logits);
    let label = label.map_or_else(|| "?".to_string(), |l| l.to_string());
    let _ = writeln!(out, "\nbundled test digit {}: encrypted, classified on ciphertexts, decrypted", args.digit);
    let _ = writeln!(out, "  class {class} (true label {label})");
    let _ = writeln!(
        out,
        "  latency: encrypted inference {online:.3} s on {} thread(s); encrypt {encrypt:.3} s, decrypt {decrypt:.3} s \
         (one-time: keys {keygen:.2} s, weight encoding {setup:.2} s)",
        args.threads
    );
    let (simulated, _) = run_simulated(server.schedule(), &image)?;
    let agreement = Agreement::of(&logits, &simulated);
    let _ = writeln!(
        out,
        "  encrypted vs plaintext-simulated logits: max error {:.1e} ({:.1} bits), same class: {}",
        agreement.max_abs_error,
        agreement.precision_bits,
        agreement.same_class()
    );

    let config = PlanConfig::new(log_n);
    let cost = CostModel::default();
    let _ = writeln!(out, "\noperation counts at N = 2^{log_n} (trained weights, planned the same way):");
    let _ = writeln!(out, "  {:8} {:>9} {:>11} {:>10}", "variant", "rotations", "plain mults", "est. cost");
    let mut rows = Vec::new();
    for (name, m) in [("dense", &dense), ("SpENCNN", &model)] {
        let s = plan(m, &config)?;
        let (totals, estimate) = (s.totals(), cost.program_cost(&s.instrs));
        let _ = writeln!(out, "  {name:8} {:>9} {:>11} {:>10.0}", totals.rotations, totals.pmults, estimate);
        rows.push((totals.rotations as f64, totals.pmults as f64, estimate));
    }
    let _ = writeln!(
        out,
        "  dense / SpENCNN: rotations {:.2}x, plaintext multiplies {:.2}x, estimated cost {:.2}x \
         (measured latencies: `spencnn bench`, docs/training.md)",
        rows[0].0 / rows[1].0,
        rows[0].1 / rows[1].1,
        rows[0].2 / rows[1].2
    );
    Ok(emit(&out)?)
}
