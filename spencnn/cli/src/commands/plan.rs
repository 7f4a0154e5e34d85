//! `spencnn plan`: per-layer and total HE operation counts of HEAR, dense and SpENCNN, or of an
//! imported ONNX model.

use std::fmt::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use spencnn::import::onnx::InputTransform;
use spencnn::inference::{KeyGenLimit, MemoryOptions, MemoryPlan, ParamOptions, fit_memory, plan_for_ckks_with};
use spencnn::model::Model;
use spencnn::model::zoo::Variant;
use spencnn::plan::{Choice, LayerReport, OpCounts, PlaintextTiming, PlanConfig, plan, predict_latency};
use spencnn::prune::{LayerPruning, PruneSpec, PruneUnit, prune_model};
use spencnn::variant::{Weights, build_variant};

use crate::bounds::{self, MemoryLimit};
use crate::model_arg::{ModelArg, import, imported_log_n};
use crate::options::{ThreadsArg, UnitArg, VariantArg, WeightsFile, emit, emit_json};
use crate::relu_args::ReluArgs;
use crate::summary::{VariantSummary, summarize};
use crate::table;

/// Arguments of `spencnn plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Network: lenet, vgg5, hefnet, resnet20, or the path of an ONNX file (planned as it is;
    /// --prune applies, --variant and --weights do not).
    #[arg(long, default_value = "lenet")]
    model: ModelArg,
    /// Print the per-layer table of one variant only (all three are always planned for the
    /// ratios); default with --weights: the variant the file fits.
    #[arg(long, value_enum)]
    variant: Option<VariantArg>,
    /// Sub-block pruning ratio of the SpENCNN variant [default: the network's documented ratio
    /// for random weights; none for a weights file, which carries its own zeros].
    #[arg(long, value_parser = bounds::prune_ratio)]
    prune: Option<f64>,
    /// Pruning unit: whole rotations' worth of sub-blocks, or single sub-blocks by magnitude.
    #[arg(long, value_enum, default_value_t)]
    unit: UnitArg,
    /// log2 of the ring degree N [default: the network's documented degree; for an ONNX file the
    /// smallest that fits].
    #[arg(long, value_parser = clap::value_parser!(u32).range(12..=16))]
    log_n: Option<u32>,
    /// Weights (safetensors) of one variant (--variant, or detected); the other variant uses
    /// seeded random weights.
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Seed of the random weights.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    #[command(flatten)]
    threads: ThreadsArg,
    #[command(flatten)]
    relu: ReluArgs,
    /// Keep every map in its block on a stride-d grid (no polyphase input encoding).
    #[arg(long)]
    no_polyphase: bool,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Print the selected variant's schedule (one line per HE operation) instead of tables.
    #[arg(long, conflicts_with = "json")]
    ir: bool,
    /// Also choose CKKS parameters for the selected variant (default: spencnn) and print the
    /// deployment that fits this many GiB (keys, plaintexts, ciphertexts; compact keys,
    /// encoding during inference and fewer rotation keys as needed), as `infer` would run it;
    /// `none` = no limit (the deployment as planned). For an ONNX file, the imported model's.
    #[arg(long, conflicts_with = "ir", value_parser = bounds::memory_limit)]
    max_memory_gib: Option<MemoryLimit>,
    /// With --max-memory-gib: also limit the key generation to this many seconds on --threads
    /// (calibrated on this machine), dropping rotation keys until it fits.
    #[arg(long, requires = "max_memory_gib")]
    max_keygen_seconds: Option<f64>,
}

#[derive(Debug, Serialize)]
struct Reduction {
    rotations: f64,
    pmults: f64,
    /// Ratio of the predicted latencies.
    estimated_cost: f64,
}

#[derive(Debug, Serialize)]
struct PlanReport {
    model: String,
    log_n: u32,
    slots: usize,
    variants: Vec<VariantSummary>,
    dense_over_spencnn: Reduction,
    hear_over_spencnn: Reduction,
    hear_over_dense_pmults: f64,
    /// The deployment within `--max-memory-gib`, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<MemoryReport>,
}

/// The CKKS parameters and the deployment chosen within a memory budget (`plan` and `inspect`).
#[derive(Debug, Serialize)]
pub(crate) struct MemoryReport {
    /// The zoo network's variant (none for an imported model).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) variant: Option<Variant>,
    pub(crate) params: String,
    pub(crate) plan: MemoryPlan,
}

/// The parameters and memory plan of `model` within `limit`.
pub(crate) fn memory_report(
    model: &Model,
    variant: Option<Variant>,
    config: &PlanConfig,
    limit: MemoryLimit,
    keygen_seconds: Option<f64>,
    threads: usize,
) -> anyhow::Result<MemoryReport> {
    let (schedule, choice, params) =
        plan_for_ckks_with(model, config, &ParamOptions { threads, ..ParamOptions::default() })
            .context("cannot choose CKKS parameters")?;
    let options = MemoryOptions {
        budget_bytes: limit.bytes(),
        key_storage: None,
        encoding: None,
        reduce_keys: true,
        threads,
        keygen_limit: match keygen_seconds {
            Some(s) if s.is_finite() && s > 0.0 => Some(KeyGenLimit::calibrated(&params, s)?),
            Some(s) => anyhow::bail!("--max-keygen-seconds must be a positive number of seconds, not {s}"),
            None => None,
        },
    };
    let (_, plan) = fit_memory(&schedule, &params, &choice.cost_model(threads), &options)?;
    Ok(MemoryReport { variant, params: choice.to_string(), plan })
}

/// The plan of an imported model.
#[derive(Debug, Serialize)]
struct ImportedPlan {
    model: String,
    log_n: u32,
    slots: usize,
    depth: usize,
    rotation_keys: usize,
    totals: OpCounts,
    /// Cost-model seconds summed over the instructions (throughputs, pre-encoded weights).
    estimated_cost: f64,
    /// The cost model's predicted latency (pre-encoded weights, --threads threads).
    predicted_seconds: f64,
    prune_ratio: Option<f64>,
    prune_unit: Option<PruneUnit>,
    layers: Vec<LayerReport>,
    pruning: Vec<LayerPruning>,
    /// The planner's decisions by cost, with the alternatives priced.
    choices: Vec<Choice>,
    input_transform: Option<InputTransform>,
    notices: Vec<String>,
    /// The deployment within `--max-memory-gib`, when asked for.
    #[serde(skip_serializing_if = "Option::is_none")]
    memory: Option<MemoryReport>,
}

fn plan_imported(args: &PlanArgs, path: &std::path::Path) -> anyhow::Result<()> {
    if args.variant.is_some() || args.weights.is_some() {
        anyhow::bail!("--variant and --weights apply to zoo networks: an ONNX file carries its own weights");
    }
    let mut imported = import(path, args.json, &args.relu)?;
    let threads = args.threads.count();
    let log_n = imported_log_n(&imported.model, args.log_n, &ParamOptions { threads, ..ParamOptions::default() })?;
    let mut config = PlanConfig::new(log_n);
    config.polyphase = !args.no_polyphase;
    config.cost = config.cost.with_threads(threads);
    let pruning = match args.prune {
        Some(ratio) if !(0.0..1.0).contains(&ratio) => anyhow::bail!("--prune {ratio} is outside [0, 1)"),
        Some(ratio) => prune_model(&mut imported.model, &config, PruneSpec { ratio, unit: args.unit.into() })?,
        None => Vec::new(),
    };
    let schedule = plan(&imported.model, &config).with_context(|| format!("cannot plan {}", path.display()))?;
    if args.ir {
        return emit(&schedule.to_string());
    }
    let memory = match args.max_memory_gib {
        Some(limit) => Some(
            args.threads
                .install(|| memory_report(&imported.model, None, &config, limit, args.max_keygen_seconds, threads))?,
        ),
        None => None,
    };
    let report = ImportedPlan {
        model: path.display().to_string(),
        log_n,
        slots: config.slots(),
        depth: schedule.depth(),
        rotation_keys: schedule.rotation_steps().len(),
        totals: schedule.totals(),
        estimated_cost: config.cost.program_cost(&schedule.instrs),
        predicted_seconds: predict_latency(&schedule, &config.cost, PlaintextTiming::Preencoded).seconds,
        prune_ratio: args.prune,
        prune_unit: args.prune.map(|_| args.unit.into()),
        layers: schedule.layers.clone(),
        pruning,
        choices: schedule.choices.clone(),
        input_transform: imported.input_transform.clone(),
        notices: imported.notices.clone(),
        memory,
    };
    if args.json {
        return emit_json(&report);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} at N = 2^{} ({} slots)", report.model, log_n, report.slots);
    let prune = match (report.prune_ratio, report.prune_unit) {
        (Some(r), Some(unit)) => format!("pruned {:.0}% in {unit} units", r * 100.0),
        _ => "unpruned".to_string(),
    };
    let title = format!("imported ({prune}), depth {}, {} rotation keys", report.depth, report.rotation_keys);
    table::layers(&mut out, &title, &report.layers, &report.totals, &report.pruning);
    table::choices(&mut out, &report.choices);
    let _ = writeln!(
        out,
        "predicted latency {:.3} s on {} threads (cost model, pre-encoded weights; see docs/planner.md)",
        report.predicted_seconds, config.cost.threads
    );
    if let Some(m) = &report.memory {
        let _ = writeln!(out, "\n{} for CKKS: {}", report.model, m.params);
        let _ = writeln!(out, "{}", m.plan);
    }
    emit(&out)
}

pub(crate) fn run(args: &PlanArgs) -> anyhow::Result<()> {
    let network = match &args.model {
        ModelArg::Zoo(network) => *network,
        ModelArg::Onnx(path) => return plan_imported(args, path),
    };
    args.relu.only_for_onnx()?;
    let log_n = args.log_n.unwrap_or(network.default_log_n());
    let mut base = PlanConfig::new(log_n);
    base.polyphase = !args.no_polyphase;
    base.cost = base.cost.with_threads(args.threads.count());
    let file = args.weights.as_deref().map(WeightsFile::read).transpose()?;
    let mut selected = args.variant.map(Variant::from);
    if let Some(file) = &file {
        selected = Some(file.load(network, selected)?.0);
    }
    if args.ir && selected.is_none() {
        anyhow::bail!("--ir prints one variant's schedule: choose it with --variant (or --weights)");
    }
    // The one whose schedule --ir prints: as asked, else the architecture the file holds.
    let printed = args.variant.or(match selected {
        Some(Variant::SpEncnn) => Some(VariantArg::Spencnn),
        Some(_) => Some(VariantArg::Dense),
        None => None,
    });
    let mut summaries = Vec::new();
    let mut memory = None;
    for arg in VariantArg::ALL {
        let variant = Variant::from(arg);
        let weights = match (&file, selected == Some(variant)) {
            (Some(file), true) => Weights::File(&file.bytes),
            _ => Weights::Random(args.seed),
        };
        let from_file = matches!(weights, Weights::File(_));
        let ratio = match variant {
            Variant::SpEncnn if args.prune.is_none() && from_file => None,
            Variant::SpEncnn => Some(args.prune.unwrap_or(network.default_prune_ratio())),
            Variant::Dense if selected == Some(Variant::Dense) => args.prune,
            Variant::Dense => None,
        };
        let prune = ratio.map(|r| PruneSpec { ratio: r, unit: args.unit.into() });
        let mut config = base.clone();
        config.method = arg.method();
        let built = build_variant(network, variant, &config, weights, prune)
            .with_context(|| format!("cannot plan the {} {network}", arg.name()))?;
        if args.ir && printed == Some(arg) {
            return emit(&built.schedule.to_string());
        }
        if let Some(limit) = args.max_memory_gib
            && printed.unwrap_or(VariantArg::Spencnn) == arg
        {
            memory = Some(args.threads.install(|| {
                memory_report(
                    &built.model,
                    Some(variant),
                    &config,
                    limit,
                    args.max_keygen_seconds,
                    args.threads.count(),
                )
            })?);
        }
        summaries.push(summarize(&built, arg.name(), prune, log_n, &config.cost));
    }
    let by_name = |name: &str| summaries.iter().find(|s| s.variant == name).expect("all three are planned");
    let (hear, dense, spencnn) = (by_name("hear"), by_name("dense"), by_name("spencnn"));
    let ratio = |a: &VariantSummary, b: &VariantSummary, f: &dyn Fn(&VariantSummary) -> f64| f(a) / f(b).max(1e-300);
    let reduction = |a: &VariantSummary| Reduction {
        rotations: ratio(a, spencnn, &|s| s.totals.rotations as f64),
        pmults: ratio(a, spencnn, &|s| s.totals.pmults as f64),
        estimated_cost: ratio(a, spencnn, &|s| s.predicted_seconds),
    };
    let report = PlanReport {
        model: network.to_string(),
        log_n,
        slots: base.slots(),
        dense_over_spencnn: reduction(dense),
        hear_over_spencnn: reduction(hear),
        hear_over_dense_pmults: ratio(hear, dense, &|s| s.totals.pmults as f64),
        variants: summaries.clone(),
        memory,
    };
    if args.json {
        return emit_json(&report);
    }
    let mut out = String::new();
    let _ = writeln!(out, "{} at N = 2^{} ({} slots)", report.model, log_n, report.slots);
    let _ = writeln!(
        out,
        "  (Rot = key-switch rotations, Decomp = key-switch decompositions, ModDn = mod-downs; model = the cost \
         model's latency on --threads threads, pre-encoded weights; see docs/planner.md)"
    );
    for s in &report.variants {
        if printed.is_none_or(|v| v.name() == s.variant) {
            out.push('\n');
            table::variant(&mut out, s);
        }
    }
    out.push('\n');
    table::comparison(&mut out, &report.variants);
    for (name, r) in [("our dense", &report.dense_over_spencnn), ("HEAR-dense", &report.hear_over_spencnn)] {
        let _ = writeln!(
            out,
            "{name} / SpENCNN: rotations {:.2}x, plaintext multiplies {:.2}x, predicted latency {:.2}x",
            r.rotations, r.pmults, r.estimated_cost
        );
    }
    let _ = writeln!(out, "HEAR-dense / our dense: plaintext multiplies {:.2}x", report.hear_over_dense_pmults);
    if let Some(m) = &report.memory {
        let variant = m.variant.map_or(String::new(), |v| format!(" {v}"));
        let _ = writeln!(out, "\n{}{variant} for CKKS: {}", report.model, m.params);
        let _ = writeln!(out, "{}", m.plan);
    }
    emit(&out)
}
