//! Sub-block pruning of an ONNX model: the masks (named like the initializers) and a pruned
//! copy, for masked fine-tuning in another framework (see `docs/onnx.md`).
//!
//! ```text
//! cargo run --release -p spencnn --example onnx_prune -- MODEL.onnx RATIO masks.safetensors pruned.onnx
//! ```

use spencnn::import::onnx::{OnnxLimits, import_onnx, prune_onnx};
use spencnn::inference::{ParamOptions, smallest_log_n};
use spencnn::plan::PlanConfig;
use spencnn::prune::PruneSpec;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [model, ratio, masks, pruned] = &args[..] else {
        return Err("usage: onnx_prune MODEL.onnx RATIO MASKS.safetensors PRUNED.onnx".into());
    };
    let bytes = std::fs::read(model)?;
    let limits = OnnxLimits::default();
    let log_n = smallest_log_n(&import_onnx(&bytes, &limits)?.model, &ParamOptions::default())?;
    let result = prune_onnx(&bytes, &limits, &PlanConfig::new(log_n), PruneSpec::new(ratio.parse()?))?;
    for layer in &result.layers {
        eprintln!("{}: {} of {} sub-blocks kept", layer.name, layer.kept, layer.blocks);
    }
    for name in &result.not_in_copy {
        eprintln!("{name}: computed by constant folding, not pruned in the copy");
    }
    std::fs::write(masks, &result.masks_file)?;
    std::fs::write(pruned, &result.pruned_onnx)?;
    Ok(())
}
