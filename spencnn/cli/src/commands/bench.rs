//! `spencnn bench`: encrypted inference of the HEAR baseline, our dense baseline and SpENCNN
//! for one network, each in its own process (so each peak memory is its own), measured in one
//! run, and the speedups; or of an imported ONNX model, side by side with a zoo network.

use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;
use spencnn::model::zoo::{Network, Variant};

use crate::bounds;
use crate::infer_report::InferReport;
use crate::model_arg::ModelArg;
use crate::options::{COST_PROFILE_ARG, ThreadsArg, UnitArg, VariantArg, WeightsFile, emit, emit_json};

/// Arguments of `spencnn bench`.
#[derive(Debug, Args)]
pub(crate) struct BenchArgs {
    /// Network: lenet, vgg5, hefnet, resnet20 (HEAR, dense and SpENCNN), or the path of an ONNX
    /// file (the imported model, and --against a zoo network side by side).
    #[arg(long, default_value = "lenet")]
    model: ModelArg,
    /// With an ONNX --model: also run this zoo network the same way, for comparison.
    #[arg(long)]
    against: Option<Network>,
    /// Weights (safetensors) of the --against network [default: seeded random weights,
    /// SpENCNN variant].
    #[arg(long, requires = "against")]
    against_weights: Option<PathBuf>,
    /// With an ONNX --model: an idx image file whose first --repeat images are classified
    /// (one run each) [default: --repeat runs on a seeded random image].
    #[arg(long)]
    image: Option<PathBuf>,
    #[command(flatten)]
    threads: ThreadsArg,
    /// Seed of the random weights and image (latency and counts do not depend on the values).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sub-block pruning ratio of the SpENCNN variant [default: the network's documented ratio].
    #[arg(long, value_parser = bounds::prune_ratio)]
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

/// One `infer` child process: a zoo variant (random or file weights) or an ONNX file.
enum Run<'a> {
    Zoo { network: Network, variant: VariantArg, weights: Option<&'a Path> },
    Onnx(&'a Path),
}

impl Run<'_> {
    fn label(&self) -> String {
        match self {
            Run::Zoo { network, variant, .. } => format!("{network} {}", variant.name()),
            Run::Onnx(path) => path.display().to_string(),
        }
    }
}

fn run_infer(args: &BenchArgs, run: &Run<'_>) -> anyhow::Result<InferReport> {
    let exe = std::env::current_exe().context("cannot find the spencnn executable")?;
    let mut cmd = Command::new(&exe);
    cmd.args(["infer", "--json", "--seed", &args.seed.to_string()]);
    if let Some(profile) = COST_PROFILE_ARG.get() {
        cmd.arg("--cost-profile").arg(profile);
    }
    match run {
        Run::Zoo { network, variant, weights } => {
            cmd.args(["--model", network.name(), "--variant", variant.name()]);
            if let Some(w) = weights {
                cmd.arg("--weights").arg(w);
            }
            if *variant == VariantArg::Spencnn {
                let unit = spencnn::prune::PruneUnit::from(args.unit);
                cmd.args(["--unit", unit.name()]);
                if let Some(ratio) = args.prune {
                    cmd.args(["--prune", &ratio.to_string()]);
                }
            }
        }
        Run::Onnx(path) => {
            cmd.arg("--model").arg(path);
        }
    }
    match &args.image {
        Some(image) => cmd.arg("--image").arg(image).args(["--count", &args.repeat.to_string()]),
        None => cmd.args(["--repeat", &args.repeat.to_string()]),
    };
    if let Some(t) = args.threads.given() {
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
    let label = run.label();
    if !args.json {
        eprintln!("running {label} ...");
    }
    let output = cmd.output().with_context(|| format!("cannot start {}", exe.display()))?;
    if !output.status.success() {
        bail!("the {label} run failed:\n{}", String::from_utf8_lossy(&output.stderr).trim_end());
    }
    serde_json::from_slice(&output.stdout).with_context(|| format!("cannot read the {label} report"))
}

/// `bench --model FILE.onnx [--against NETWORK]`.
#[derive(Debug, Serialize)]
struct ImportedBenchReport {
    model: String,
    imported: InferReport,
    against: Option<InferReport>,
    /// Imported / zoo median online latency.
    latency_ratio: Option<f64>,
}

/// The column titles of [`row`].
fn header(out: &mut String) {
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
}

/// One run: counts, measured and predicted online latency, setup, peak memory, precision.
fn row(out: &mut String, r: &InferReport) {
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

fn run_imported(args: &BenchArgs, path: &Path) -> anyhow::Result<()> {
    let imported = run_infer(args, &Run::Onnx(path))?;
    let against = match args.against {
        Some(network) => {
            let variant = match &args.against_weights {
                Some(w) => match WeightsFile::read(w)?.load(network, None)?.0 {
                    Variant::SpEncnn => VariantArg::Spencnn,
                    Variant::Dense => VariantArg::Dense,
                },
                None => VariantArg::Spencnn,
            };
            Some(run_infer(args, &Run::Zoo { network, variant, weights: args.against_weights.as_deref() })?)
        }
        None => None,
    };
    let report = ImportedBenchReport {
        model: path.display().to_string(),
        latency_ratio: against.as_ref().map(|z| imported.median_online_seconds / z.median_online_seconds.max(1e-12)),
        imported,
        against,
    };
    if args.json {
        return emit_json(&report);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} on {} thread(s)", report.model, report.imported.threads);
    header(&mut out);
    row(&mut out, &report.imported);
    if let (Some(z), Some(ratio)) = (&report.against, report.latency_ratio) {
        row(&mut out, z);
        let _ = writeln!(out, "imported / {} {} (online latency): {ratio:.3}x", z.model, z.variant);
    }
    emit(&out)
}

pub(crate) fn run(args: &BenchArgs) -> anyhow::Result<()> {
    let network = match &args.model {
        ModelArg::Zoo(network) => *network,
        ModelArg::Onnx(path) => return run_imported(args, path),
    };
    if args.against.is_some() || args.image.is_some() {
        bail!("--against and --image apply to an ONNX --model (a zoo network is benchmarked HEAR, dense and SpENCNN)");
    }
    let zoo = |variant| run_infer(args, &Run::Zoo { network, variant, weights: None });
    let hear = (!args.no_hear).then(|| zoo(VariantArg::Hear)).transpose()?;
    let dense = zoo(VariantArg::Dense)?;
    let spencnn = zoo(VariantArg::Spencnn)?;
    let over = |a: &InferReport, b: &InferReport| a.median_online_seconds / b.median_online_seconds.max(1e-12);
    let report = BenchReport {
        model: network.to_string(),
        speedup: over(&dense, &spencnn),
        speedup_vs_hear: hear.as_ref().map(|h| over(h, &spencnn)),
        dense_vs_hear: hear.as_ref().map(|h| over(h, &dense)),
        paper_speedup: paper_speedup(network),
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
    header(&mut out);
    for r in report.hear.iter().chain([&report.dense, &report.spencnn]) {
        row(&mut out, r);
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
