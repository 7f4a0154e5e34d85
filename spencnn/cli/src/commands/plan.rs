//! `spencnn plan`: per-layer and total HE operation counts, dense vs SpENCNN.

use std::fmt::Write;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use spencnn::model::zoo::{Network, Variant};
use spencnn::plan::PlanConfig;
use spencnn::prune::PruneSpec;
use spencnn::variant::{Weights, build_variant};

use crate::bounds;
use crate::options::{ThreadsArg, UnitArg, VariantArg, WeightsFile, emit, emit_json};
use crate::summary::{VariantSummary, summarize};
use crate::table;

/// Arguments of `spencnn plan`.
#[derive(Debug, Args)]
pub(crate) struct PlanArgs {
    /// Network: lenet, vgg5, hefnet or resnet20.
    #[arg(long, default_value = "lenet")]
    model: Network,
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
    /// log2 of the ring degree N [default: the network's documented degree].
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
    /// Keep every map in its block on a stride-d grid (no polyphase input encoding).
    #[arg(long)]
    no_polyphase: bool,
    /// Print JSON instead of tables.
    #[arg(long)]
    json: bool,
    /// Print the selected variant's schedule (one line per HE operation) instead of tables.
    #[arg(long, conflicts_with = "json")]
    ir: bool,
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
}

pub(crate) fn run(args: &PlanArgs) -> anyhow::Result<()> {
    let log_n = args.log_n.unwrap_or(args.model.default_log_n());
    let mut base = PlanConfig::new(log_n);
    base.polyphase = !args.no_polyphase;
    base.cost = base.cost.with_threads(args.threads.count());
    let file = args.weights.as_deref().map(WeightsFile::read).transpose()?;
    let mut selected = args.variant.map(Variant::from);
    if let Some(file) = &file {
        selected = Some(file.load(args.model, selected)?.0);
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
    for arg in VariantArg::ALL {
        let variant = Variant::from(arg);
        let weights = match (&file, selected == Some(variant)) {
            (Some(file), true) => Weights::File(&file.bytes),
            _ => Weights::Random(args.seed),
        };
        let from_file = matches!(weights, Weights::File(_));
        let ratio = match variant {
            Variant::SpEncnn if args.prune.is_none() && from_file => None,
            Variant::SpEncnn => Some(args.prune.unwrap_or(args.model.default_prune_ratio())),
            Variant::Dense if selected == Some(Variant::Dense) => args.prune,
            Variant::Dense => None,
        };
        let prune = ratio.map(|r| PruneSpec { ratio: r, unit: args.unit.into() });
        let mut config = base.clone();
        config.method = arg.method();
        let built = build_variant(args.model, variant, &config, weights, prune)
            .with_context(|| format!("cannot plan the {} {}", arg.name(), args.model))?;
        if args.ir && printed == Some(arg) {
            return emit(&built.schedule.to_string());
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
        model: args.model.to_string(),
        log_n,
        slots: base.slots(),
        dense_over_spencnn: reduction(dense),
        hear_over_spencnn: reduction(hear),
        hear_over_dense_pmults: ratio(hear, dense, &|s| s.totals.pmults as f64),
        variants: summaries.clone(),
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
    emit(&out)
}
