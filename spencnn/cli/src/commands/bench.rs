//! `spencnn bench`: encrypted inference of the HEAR baseline, our dense baseline and SpENCNN
//! for one network, each in its own process (so each peak memory is its own), measured in one
//! run, and the speedups.

use std::fmt::Write;
use std::process::Command;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;
use spencnn::model::zoo::Network;

use crate::bounds;
use crate::infer_report::InferReport;
use crate::options::{COST_PROFILE_ARG, ThreadsArg, UnitArg, VariantArg, emit, emit_json};

/// Arguments of `spencnn bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Network: lenet, vgg5, hefnet or resnet20.
    #[arg(long, default_value = "lenet")]
    model: Network,
    #[command(flatten)]
    threads: ThreadsArg,
    /// Seed of the random weights and image (latency and counts do not depend on the values).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sub-block pruning ratio of the SpENCNN variant [default: the network's documented ratio].
    #[arg(long)]
    prune: Option<f64>,
    /// Pruning unit of the SpENCNN variant: whole rotations' worth of sub-blocks, or single
    /// sub-blocks by magnitude.
    #[arg(long, value_enum, default_value_t)]
    unit: UnitArg,
    /// Encrypted runs per variant (the median is reported).
    #[arg(long, default_value_t = 3, value_parser = bounds::repeat)]
    repeat: usize,
    /// log2 of the ring degree [default: the network's documented degree].
    #[arg(long, value_parser = clap::value_parser!(u32).range(12..=16))]
    log_n: Option<u32>,
    /// When the weights are encoded: auto, preencoded, per-layer, on-demand (see `infer`).
    #[arg(long, default_value = "auto")]
    encoding: String,
    /// Memory limit passed to `infer` (GiB).
    #[arg(long, value_parser = bounds::memory_gib)]
    max_memory_gib: Option<f64>,
    /// Skip the comparison with the slot simulator.
    #[arg(long)]
    no_check: bool,
    /// Do not run the HEAR baseline (its dense run is the slowest of the three).
    #[arg(long)]
    no_hear: bool,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct BenchReport {
    model: String,
    /// The dense network lowered the HEAR way (absent with `--no-hear`).
    hear: Option<InferReport>,
    dense: InferReport,
    spencnn: InferReport,
    /// Seed of the random weights every variant ran with.
    random_weights_seed: u64,
    /// Our dense / SpENCNN median online latency.
    speedup: f64,
    /// HEAR-dense / SpENCNN median online latency (the paper's comparison).
    speedup_vs_hear: Option<f64>,
    /// HEAR-dense / our dense median online latency.
    dense_vs_hear: Option<f64>,
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

fn run_variant(args: &BenchArgs, variant: VariantArg) -> anyhow::Result<InferReport> {
    let exe = std::env::current_exe().context("cannot find the spencnn executable")?;
    let mut cmd = Command::new(&exe);
    let pruned = variant == VariantArg::Spencnn;
    let variant = variant.name();
    cmd.args(["infer", "--json", "--model", args.model.name(), "--variant", variant]);
    if let Some(profile) = COST_PROFILE_ARG.get() {
        cmd.arg("--cost-profile").arg(profile);
    }
    cmd.args(["--seed", &args.seed.to_string(), "--repeat", &args.repeat.to_string()]);
    if let Some(t) = args.threads.given() {
        cmd.args(["--threads", &t.to_string()]);
    }
    if let Some(l) = args.log_n {
        cmd.args(["--log-n", &l.to_string()]);
    }
    cmd.args(["--encoding", &args.encoding]);
    if pruned {
        let unit = spencnn::prune::PruneUnit::from(args.unit);
        cmd.args(["--unit", unit.name()]);
        if let Some(ratio) = args.prune {
            cmd.args(["--prune", &ratio.to_string()]);
        }
    }
    if let Some(m) = args.max_memory_gib {
        cmd.args(["--max-memory-gib", &m.to_string()]);
    }
    if args.no_check {
        cmd.arg("--no-check");
    }
    if !args.json {
        eprintln!("running {} {variant} ...", args.model);
    }
    let output = cmd.output().with_context(|| format!("cannot start {}", exe.display()))?;
    if !output.status.success() {
        bail!("the {variant} run failed:\n{}", String::from_utf8_lossy(&output.stderr).trim_end());
    }
    serde_json::from_slice(&output.stdout).with_context(|| format!("cannot read the {variant} report"))
}

pub(crate) fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let hear = (!args.no_hear).then(|| run_variant(args, VariantArg::Hear)).transpose()?;
    let dense = run_variant(args, VariantArg::Dense)?;
    let spencnn = run_variant(args, VariantArg::Spencnn)?;
    let over = |a: &InferReport, b: &InferReport| a.median_online_seconds / b.median_online_seconds.max(1e-12);
    let report = BenchReport {
        model: args.model.to_string(),
        speedup: over(&dense, &spencnn),
        speedup_vs_hear: hear.as_ref().map(|h| over(h, &spencnn)),
        dense_vs_hear: hear.as_ref().map(|h| over(h, &dense)),
        paper_speedup: paper_speedup(args.model),
        random_weights_seed: args.seed,
        hear,
        dense,
        spencnn,
    };
    if args.json {
        return emit_json(&report);
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} on {} thread(s), random weights (seed {}): latency and counts are real, classes are not",
        report.model, report.dense.threads, report.random_weights_seed
    );
    let _ = writeln!(
        out,
        "{:<8} {:>6} {:>7} {:>6} {:>10} {:>10} {:>9} {:>11} {:>10} {:>7} {:>11}  params",
        "variant",
        "Rot",
        "PMult",
        "keys",
        "online (s)",
        "model (s)",
        "setup (s)",
        "peak (MiB)",
        "precision",
        "argmax",
        "encoding"
    );
    for r in report.hear.iter().chain([&report.dense, &report.spencnn]) {
        let precision = r.min_precision_bits.map_or("-".to_string(), |b| format!("{b:.1} b"));
        let argmax = r.argmax_agreement.map_or("-".to_string(), |(a, n)| format!("{a}/{n}"));
        let peak = r.peak_rss_bytes.map_or(0.0, |b| b as f64 / (1 << 20) as f64);
        let _ = writeln!(
            out,
            "{:<8} {:>6} {:>7} {:>6} {:>10.3} {:>10.3} {:>9.2} {:>11.0} {:>10} {:>7} {:>11}  {}",
            r.variant,
            r.totals.rotations,
            r.totals.pmults,
            r.rotation_keys,
            r.median_online_seconds,
            r.predicted_online_seconds,
            r.setup_seconds,
            peak,
            precision,
            argmax,
            r.encoding,
            r.params
        );
    }
    let _ = writeln!(out, "speedup SpENCNN over our dense (online latency): {:.2}x", report.speedup);
    if let (Some(h), Some(d)) = (report.speedup_vs_hear, report.dense_vs_hear) {
        let _ = writeln!(
            out,
            "speedup SpENCNN over HEAR-dense: {h:.2}x (paper: {:.2}x); our dense over HEAR-dense: {d:.2}x",
            report.paper_speedup
        );
    }
    emit(&out)
}
