//! `spencnn prune`: the planner-aligned sub-block pruning masks of an ONNX model (0/1, the shape
//! of each convolution weight, named like its initializer) for masked fine-tuning in another
//! framework, and optionally a copy of the model with the pruned weights zeroed.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use serde::Serialize;
use spencnn::import::onnx::{OnnxLimits, import_onnx, prune_onnx, read_capped};
use spencnn::inference::ParamOptions;
use spencnn::plan::PlanConfig;
use spencnn::prune::{LayerPruning, PruneSpec, PruneUnit};

use crate::model_arg::{ModelArg, imported_log_n};
use crate::options::{UnitArg, emit, emit_json};

/// Arguments of `spencnn prune`.
#[derive(Debug, Args)]
pub(crate) struct PruneArgs {
    /// The ONNX file to prune (zoo networks are pruned by `train` and `plan --prune`).
    #[arg(long)]
    model: ModelArg,
    /// Fraction of the plaintext sub-blocks of every convolution that does not read the image
    /// to remove, in [0, 1).
    #[arg(long)]
    ratio: f64,
    /// Pruning unit: whole rotations' worth of sub-blocks (ranked by importance per unit of
    /// cost saved), or single sub-blocks by magnitude.
    #[arg(long, value_enum, default_value_t)]
    unit: UnitArg,
    /// Where to write the masks (safetensors, F32 0/1, one tensor per convolution weight, named
    /// like its ONNX initializer; the metadata maps each name to its Conv node).
    #[arg(long)]
    out: PathBuf,
    /// Also write a copy of the model with the pruned weights set to zero.
    #[arg(long)]
    onnx_out: Option<PathBuf>,
    /// log2 of the ring degree whose sub-blocks are pruned [default: the smallest that fits].
    #[arg(long, value_parser = clap::value_parser!(u32).range(12..=16))]
    log_n: Option<u32>,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

/// What was written.
#[derive(Debug, Serialize)]
struct PruneReport {
    model: String,
    ratio: f64,
    unit: PruneUnit,
    log_n: u32,
    masks: String,
    pruned_onnx: Option<String>,
    /// Per convolution: sub-blocks and how many are kept.
    layers: Vec<LayerPruning>,
    /// Mask tensor name -> Conv node.
    mask_nodes: Vec<(String, String)>,
    /// Masks whose weight is computed by constant folding (not an initializer): the pruned copy
    /// cannot apply them.
    not_in_copy: Vec<String>,
}

pub(crate) fn run(args: &PruneArgs) -> anyhow::Result<()> {
    let path = match &args.model {
        ModelArg::Onnx(path) => path,
        ModelArg::Zoo(network) => bail!(
            "prune takes an ONNX file; the zoo network {network} is pruned by `spencnn train --variant spencnn` \
             (masked fine-tuning) or planned pruned with `spencnn plan --prune RATIO`"
        ),
    };
    if !(0.0..1.0).contains(&args.ratio) {
        bail!("--ratio {} is outside [0, 1)", args.ratio);
    }
    let limits = OnnxLimits::default();
    let bytes = read_capped(path, &limits).with_context(|| format!("cannot read {}", path.display()))?;
    let cannot_import = || format!("cannot import {}", path.display());
    let imported = import_onnx(&bytes, &limits).with_context(cannot_import)?;
    let log_n = imported_log_n(&imported.model, args.log_n, &ParamOptions::default())?;
    let pruning =
        prune_onnx(&bytes, &limits, &PlanConfig::new(log_n), PruneSpec { ratio: args.ratio, unit: args.unit.into() })
            .with_context(|| format!("cannot prune {}", path.display()))?;
    if pruning.masks.is_empty() {
        bail!("{} has no convolution: nothing to prune", path.display());
    }
    std::fs::write(&args.out, &pruning.masks_file).with_context(|| format!("cannot write {}", args.out.display()))?;
    if let Some(onnx_out) = &args.onnx_out {
        std::fs::write(onnx_out, &pruning.pruned_onnx)
            .with_context(|| format!("cannot write {}", onnx_out.display()))?;
    }
    let report = PruneReport {
        model: path.display().to_string(),
        ratio: args.ratio,
        unit: args.unit.into(),
        log_n,
        masks: args.out.display().to_string(),
        pruned_onnx: args.onnx_out.as_ref().map(|p| p.display().to_string()),
        layers: pruning.layers,
        mask_nodes: pruning.masks.iter().map(|m| (m.name.clone(), m.node.clone())).collect(),
        not_in_copy: pruning.not_in_copy,
    };
    if args.json {
        return emit_json(&report);
    }
    let mut out = String::new();
    let _ =
        writeln!(out, "{} pruned {:.0}% in {} units at N = 2^{log_n}", report.model, 100.0 * report.ratio, report.unit);
    for layer in &report.layers {
        let _ = writeln!(out, "  {}: kept {} of {} sub-blocks", layer.name, layer.kept, layer.blocks);
    }
    let _ = writeln!(out, "masks: {}", report.masks);
    for (name, node) in &report.mask_nodes {
        let _ = writeln!(out, "  {name} (Conv {node})");
    }
    if let Some(p) = &report.pruned_onnx {
        let _ = writeln!(out, "pruned copy: {p}");
    }
    for name in &report.not_in_copy {
        let _ = writeln!(out, "note: {name} is computed by constant folding; the copy keeps it unpruned");
    }
    emit(&out)
}
