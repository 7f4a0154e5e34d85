//! `spencnn bench`: encrypted inference of the dense and SpENCNN variants of one network,
//! each in its own process (so each peak memory is its own), and the speedup.

use std::fmt::Write;
use std::process::Command;

use clap::Args;
use serde::Serialize;
use spencnn::model::zoo::Network;

use super::emit;
use super::infer_report::InferReport;

/// Arguments of `spencnn bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Network: lenet, vgg5, hefnet or resnet20.
    #[arg(long)]
    model: Network,
    /// Worker threads (default: all cores).
    #[arg(long)]
    threads: Option<usize>,
    /// Seed of the random weights and image.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Encrypted runs per variant (the median is reported).
    #[arg(long, default_value_t = 3)]
    repeat: usize,
    /// log2 of the ring degree (default: the network's documented degree).
    #[arg(long)]
    log_n: Option<u32>,
    /// When the weights are encoded: auto, preencoded, per-layer, on-demand (see `infer`).
    #[arg(long, default_value = "auto")]
    encoding: String,
    /// Memory limit passed to `infer` (GiB).
    #[arg(long)]
    max_memory_gib: Option<f64>,
    /// Skip the comparison with the slot simulator.
    #[arg(long)]
    no_check: bool,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, thiserror::Error)]
pub(crate) enum BenchCmdError {
    #[error("cannot start {exe}: {source}")]
    Spawn { exe: String, source: std::io::Error },
    #[error("the {variant} run failed: {stderr}")]
    Child { variant: &'static str, stderr: String },
    #[error("cannot read the {variant} report: {source}")]
    Parse { variant: &'static str, source: serde_json::Error },
    #[error("cannot print JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

#[derive(Debug, Serialize)]
struct BenchReport {
    model: String,
    dense: InferReport,
    spencnn: InferReport,
    /// Dense / SpENCNN median online latency.
    speedup: f64,
    /// The paper's reported speedup for this network.
    paper_speedup: f64,
}

fn paper_speedup(network: Network) -> f64 {
    match network {
        Network::LeNet => 8.37,
        Network::Vgg5 => 12.11,
        Network::HefNet => 19.26,
        Network::ResNet20 => 1.87,
    }
}

fn run_variant(args: &BenchArgs, variant: &'static str) -> Result<InferReport, BenchCmdError> {
    let exe = std::env::current_exe().map_err(|source| BenchCmdError::Spawn { exe: "spencnn".into(), source })?;
    let mut cmd = Command::new(&exe);
    cmd.args(["infer", "--json", "--model", args.model.name(), "--variant", variant]);
    cmd.args(["--seed", &args.seed.to_string(), "--repeat", &args.repeat.to_string()]);
    if let Some(t) = args.threads {
        cmd.args(["--threads", &t.to_string()]);
    }
    if let Some(l) = args.log_n {
        cmd.args(["--log-n", &l.to_string()]);
    }
    cmd.args(["--encoding", &args.encoding]);
    if let Some(m) = args.max_memory_gib {
        cmd.args(["--max-memory-gib", &m.to_string()]);
    }
    if args.no_check {
        cmd.arg("--no-check");
    }
    if !args.json {
        eprintln!("running {} {variant} ...", args.model);
    }
    let output = cmd.output().map_err(|source| BenchCmdError::Spawn { exe: exe.display().to_string(), source })?;
    if !output.status.success() {
        return Err(BenchCmdError::Child { variant, stderr: String::from_utf8_lossy(&output.stderr).into_owned() });
    }
    serde_json::from_slice(&output.stdout).map_err(|source| BenchCmdError::Parse { variant, source })
}

pub(crate) fn run(args: &BenchArgs) -> Result<(), BenchCmdError> {
    let dense = run_variant(args, "dense")?;
    let spencnn = run_variant(args, "spencnn")?;
    let report = BenchReport {
        model: args.model.to_string(),
        speedup: dense.median_online_seconds / spencnn.median_online_seconds.max(1e-12),
        paper_speedup: paper_speedup(args.model),
        dense,
        spencnn,
    };
    if args.json {
        return Ok(emit(&(serde_json::to_string_pretty(&report)? + "\n"))?);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} on {} thread(s)", report.model, report.dense.threads);
    let _ = writeln!(
        out,
        "{:<8} {:>6} {:>7} {:>6} {:>10} {:>9} {:>11} {:>10} {:>7} {:>11}  params",
        "variant", "Rot", "PMult", "keys", "online (s)", "setup (s)", "peak (MiB)", "precision", "argmax", "encoding"
    );
    for r in [&report.dense, &report.spencnn] {
        let precision = r.min_precision_bits.map_or("-".to_string(), |b| format!("{b:.1} b"));
        let argmax = r.argmax_agreement.map_or("-".to_string(), |(a, n)| format!("{a}/{n}"));
        let peak = r.peak_rss_bytes.map_or(0.0, |b| b as f64 / (1 << 20) as f64);
        let _ = writeln!(
            out,
            "{:<8} {:>6} {:>7} {:>6} {:>10.3} {:>9.2} {:>11.0} {:>10} {:>7} {:>11}  {}",
            r.variant,
            r.totals.rotations,
            r.totals.pmults,
            r.rotation_keys,
            r.median_online_seconds,
            r.setup_seconds,
            peak,
            precision,
            argmax,
            r.encoding,
            r.params
        );
    }
    let _ = writeln!(
        out,
        "speedup dense / SpENCNN (online latency): {:.2}x (paper: {:.2}x)",
        report.speedup, report.paper_speedup
    );
    Ok(emit(&out)?)
}
