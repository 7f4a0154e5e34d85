//! `spencnn inspect`: what running a model encrypted will take, before any key is generated:
//! the layers with shapes, groups, windows and packing, depth, HE operation counts, rotation
//! keys and their memory, the parameter choice, the weight tensors a safetensors file for the
//! architecture must contain, and with `--max-memory-gib` the deployment that fits the budget.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use spencnn::import::onnx::InputTransform;
use spencnn::inference::{Inspection, ParamOptions, inspect};
use spencnn::model::zoo::Variant;
use spencnn::plan::PlanConfig;
use spencnn::prune::PruneSpec;
use spencnn::variant::{Weights, build_variant};

use crate::bounds::{self, MemoryLimit};
use crate::commands::plan::{MemoryReport, memory_report};
use crate::model_arg::{ModelArg, import, imported_log_n};
use crate::options::{ThreadsArg, VariantArg, WeightsFile, emit, emit_json};
use crate::relu_args::ReluArgs;

/// Arguments of `spencnn inspect`.
#[derive(Debug, Args)]
pub(crate) struct InspectArgs {
    /// Network: lenet, vgg5, hefnet, resnet20, or the path of an ONNX file.
    #[arg(long, default_value = "lenet")]
    model: ModelArg,
    /// Variant of a zoo network [default: the variant the --weights file fits; spencnn for
    /// random weights].
    #[arg(long, value_enum)]
    variant: Option<VariantArg>,
    /// Weights (safetensors) of a zoo network [default: seeded random weights, pruned to the
    /// network's documented ratio for the spencnn variant].
    #[arg(long)]
    weights: Option<PathBuf>,
    /// log2 of the ring degree [default: the network's documented degree; for an ONNX file the
    /// smallest that fits].
    #[arg(long, value_parser = clap::value_parser!(u32).range(12..=16))]
    log_n: Option<u32>,
    #[command(flatten)]
    relu: ReluArgs,
    /// Also print the deployment that fits this many GiB and the memory-latency trade-off it
    /// makes (compact keys, fewer rotation keys, encoding during inference), as `infer` would
    /// run it on --threads; `none` = no limit.
    #[arg(long, value_parser = bounds::memory_limit)]
    max_memory_gib: Option<MemoryLimit>,
    #[command(flatten)]
    threads: ThreadsArg,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// The inspection, and for an imported model what the importer moved or dropped.
#[derive(Debug, Serialize)]
struct InspectReport {
    #[serde(flatten)]
    inspection: Inspection,
    /// Preprocessing the client applies to the plaintext image (imported models).
    input_transform: Option<InputTransform>,
    /// The importer's notices (imported models).
    notices: Vec<String>,
    /// The deployment within `--max-memory-gib`, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<MemoryReport>,
}

fn report(args: &InspectArgs) -> anyhow::Result<InspectReport> {
    let options = ParamOptions::default();
    let (model, variant, input_transform, notices, log_n) = match &args.model {
        ModelArg::Onnx(path) => {
            if args.variant.is_some() || args.weights.is_some() {
                anyhow::bail!("--variant and --weights apply to zoo networks: an ONNX file carries its own weights");
            }
            let imported = import(path, true, &args.relu)?;
            let log_n = imported_log_n(&imported.model, args.log_n, &options)?;
            (imported.model, None, imported.input_transform, imported.notices, log_n)
        }
        ModelArg::Zoo(network) => {
            args.relu.only_for_onnx()?;
            let log_n = args.log_n.unwrap_or(network.default_log_n());
            let file = args.weights.as_deref().map(WeightsFile::read).transpose()?;
            let variant = match &file {
                Some(file) => file.load(*network, args.variant.map(Variant::from))?.0,
                None => args.variant.map_or(Variant::SpEncnn, Variant::from),
            };
            let (weights, prune) = match &file {
                Some(file) => (Weights::File(&file.bytes), None),
                None => (
                    Weights::Random(1),
                    (variant == Variant::SpEncnn).then(|| PruneSpec::new(network.default_prune_ratio())),
                ),
            };
            let built = build_variant(*network, variant, &PlanConfig::new(log_n), weights, prune)
                .with_context(|| format!("cannot build the {variant} {network}"))?;
            (built.model, Some(variant), None, Vec::new(), log_n)
        }
    };
    let inspection = inspect(&model, log_n, &options).with_context(|| format!("cannot plan {}", args.model))?;
    let memory = match args.max_memory_gib {
        Some(limit) => {
            let threads = args.threads.count();
            let mut config = PlanConfig::new(log_n);
            config.cost = config.cost.with_threads(threads);
            Some(args.threads.install(|| memory_report(&model, variant, &config, limit, None, threads))?)
        }
        None => None,
    };
    Ok(InspectReport { inspection, input_transform, notices, memory })
}

fn render(r: &InspectReport) -> String {
    let i = &r.inspection;
    let mib = |bytes: usize| bytes as f64 / (1 << 20) as f64;
    let mut out = String::new();
    let [c, h, w] = i.input_shape;
    let _ = writeln!(out, "{}: input {c}x{h}x{w}, N = 2^{} ({} slots)", i.model, i.log_n, i.slots);
    for notice in &r.notices {
        let _ = writeln!(out, "note: {notice}");
    }
    if let Some(t) = &r.input_transform {
        let _ = writeln!(out, "client-side preprocessing: x * {:?} + {:?} per channel", t.scale, t.shift);
    }
    let _ = writeln!(out, "encrypted image: {}", i.input_packing);
    let _ = writeln!(
        out,
        "{:<22} {:<7} {:>10} {:>10} {:>6} {:>14} {:>5} {:>5} {:>6} {:>5}  output packing",
        "layer", "kind", "in", "out", "groups", "k/s/pads", "level", "Rot", "PMult", "Sq"
    );
    let shape = |s: [usize; 3]| format!("{}x{}x{}", s[0], s[1], s[2]);
    for l in &i.layers {
        let groups = l.groups.map_or(String::new(), |g| g.to_string());
        let window = l.window.map_or(String::new(), |(k, s, p)| format!("{k}/{s}/{}{}{}{}", p[0], p[1], p[2], p[3]));
        let _ = writeln!(
            out,
            "{:<22} {:<7} {:>10} {:>10} {:>6} {:>14} {:>5} {:>5} {:>6} {:>5}  {}",
            l.name,
            l.kind,
            shape(l.input_shape),
            shape(l.output_shape),
            groups,
            window,
            l.level_out,
            l.counts.rotations,
            l.counts.pmults,
            l.counts.squares,
            l.packing
        );
    }
    let t = &i.totals;
    let _ = writeln!(
        out,
        "depth {}; {} rotations, {} decompositions, {} mod-downs, {} plaintext multiplies, {} additions, {} rescales, {} squares",
        i.depth, t.rotations, t.decompositions, t.mod_downs, t.pmults, t.adds, t.rescales, t.squares
    );
    let _ = writeln!(
        out,
        "evaluation keys: {} ({:.1} MiB at the level of their use); weight plaintexts {:.1} MiB",
        i.rotation_keys,
        mib(i.key_bytes),
        mib(i.plaintext_bytes)
    );
    let _ = writeln!(out, "parameters: {}", i.params);
    let _ = writeln!(out, "weight tensors of a safetensors file for this architecture:");
    for (name, shape) in &i.tensors {
        let _ = writeln!(out, "  {name} {shape:?}");
    }
    if let Some(m) = &r.memory {
        let _ = writeln!(out, "\nwithin the memory budget, for CKKS: {}", m.params);
        let _ = writeln!(out, "{}", m.plan);
    }
    out
}

pub(crate) fn run(args: &InspectArgs) -> anyhow::Result<()> {
    let report = report(args)?;
    if args.json { emit_json(&report) } else { emit(&render(&report)) }
}
