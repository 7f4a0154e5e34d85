//! `spencnn export`: a zoo network with its weights as an ONNX file (opset 13), which imports
//! back into the same model and schedule.

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use spencnn::import::onnx::export_onnx;
use spencnn::model::zoo::Variant;

use crate::model_arg::ModelArg;
use crate::options::{VariantArg, WeightsFile};

/// Arguments of `spencnn export`.
#[derive(Debug, Args)]
pub(crate) struct ExportArgs {
    /// Network: lenet, vgg5, hefnet or resnet20.
    #[arg(long)]
    model: ModelArg,
    /// Weights (safetensors) of the network.
    #[arg(long)]
    weights: PathBuf,
    /// Variant of the weights [default: the variant the file fits].
    #[arg(long, value_enum)]
    variant: Option<VariantArg>,
    /// The ONNX file to write.
    #[arg(long)]
    out: PathBuf,
}

pub(crate) fn run(args: &ExportArgs) -> anyhow::Result<()> {
    let network = match &args.model {
        ModelArg::Zoo(network) => *network,
        ModelArg::Onnx(path) => bail!("export writes a zoo network as ONNX; {} is already ONNX", path.display()),
    };
    let (variant, model) = WeightsFile::read(&args.weights)?.load(network, args.variant.map(Variant::from))?;
    let bytes = export_onnx(&model).with_context(|| format!("cannot export the {variant} {network}"))?;
    std::fs::write(&args.out, &bytes).with_context(|| format!("cannot write {}", args.out.display()))?;
    eprintln!("{network} {variant}: {} bytes written to {}", bytes.len(), args.out.display());
    Ok(())
}
