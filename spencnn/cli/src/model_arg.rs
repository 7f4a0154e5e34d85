//! `--model`: a network of the zoo by name, or a path to an ONNX file.

use std::fmt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use anyhow::Context as _;
use spencnn::import::onnx::{ImportedModel, OnnxLimits, read_onnx_with};
use spencnn::inference::{ParamOptions, smallest_log_n};
use spencnn::model::Model;
use spencnn::model::zoo::Network;

use crate::relu_args::ReluArgs;

/// A zoo network or an ONNX file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum ModelArg {
    /// `lenet`, `vgg5`, `hefnet`, `resnet20`.
    Zoo(Network),
    /// A path ending in `.onnx`, or any existing file.
    Onnx(PathBuf),
}

impl FromStr for ModelArg {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        if let Ok(network) = s.parse::<Network>() {
            return Ok(ModelArg::Zoo(network));
        }
        let path = Path::new(s);
        if s.to_ascii_lowercase().ends_with(".onnx") || path.is_file() {
            return Ok(ModelArg::Onnx(path.to_path_buf()));
        }
        Err(format!("unknown model {s:?}: lenet, vgg5, hefnet, resnet20, or the path of an .onnx file"))
    }
}

impl fmt::Display for ModelArg {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ModelArg::Zoo(network) => write!(f, "{network}"),
            ModelArg::Onnx(path) => write!(f, "{}", path.display()),
        }
    }
}

/// Imports an ONNX file (its `Relu` nodes as `relu` says, calibrated if asked), printing the
/// importer's notices (dropped softmax, client-side preprocessing, calibrated intervals, ...) to
/// standard error unless `quiet`.
pub(crate) fn import(path: &Path, quiet: bool, relu: &ReluArgs) -> anyhow::Result<ImportedModel> {
    let options = relu.import_options()?;
    let mut imported = read_onnx_with(path, &OnnxLimits::default(), &options)
        .with_context(|| format!("cannot import {}", path.display()))?;
    relu.calibrate(&mut imported, quiet)?;
    // Exporters name every graph alike (`main_graph`, `torch_jit`): reports name the file.
    if let Some(stem) = path.file_stem() {
        imported.model.name = stem.to_string_lossy().into_owned();
    }
    if !quiet {
        for notice in &imported.notices {
            eprintln!("note: {notice}");
        }
    }
    Ok(imported)
}

/// `log2 N` for an imported model: as given, else the smallest degree that plans and meets the
/// 128-bit bound under `options`.
pub(crate) fn imported_log_n(model: &Model, given: Option<u32>, options: &ParamOptions) -> anyhow::Result<u32> {
    match given {
        Some(log_n) => Ok(log_n),
        None => smallest_log_n(model, options).context("no ring degree from 2^13 to 2^17 fits the model"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_paths() {
        assert_eq!("lenet".parse::<ModelArg>(), Ok(ModelArg::Zoo(Network::LeNet)));
        assert_eq!("dir/m.ONNX".parse::<ModelArg>(), Ok(ModelArg::Onnx("dir/m.ONNX".into())));
        let err = "lenet5".parse::<ModelArg>().unwrap_err();
        assert!(err.contains("resnet20") && err.contains(".onnx"), "{err}");
    }
}
