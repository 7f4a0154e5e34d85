//! ONNX import and export: a user's CNN in, the engine's [`Model`] out (and back).
//!
//! [`import_onnx`] decodes a file (through the `onnx-protobuf` messages; sizes capped by
//! [`OnnxLimits`] before allocation) and turns its graph into a [`Model`]: convolutions (groups,
//! asymmetric padding, strides), dense layers (`Gemm`, `MatMul` + `Add`), average pooling,
//! batch norm, residual additions, flattening, and polynomial activations recognised from their
//! element-wise arithmetic (the `poly` module). Constant sub-graphs are folded, `Identity` and
//! `Dropout` dropped, a final `Softmax` dropped with a notice. Affine element-wise operations
//! applied directly to the graph input become an [`InputTransform`] the client applies to the
//! plaintext image before encrypting it. Anything else is refused with an
//! [`OnnxError`] naming the node, its operator and what to use instead; `docs/onnx.md` lists
//! both.
//!
//! `Relu` is refused unless [`ImportOptions::relu`] opts in to its polynomial approximation on
//! an interval (given, or calibrated on sample images with [`calibrate_relu`]).
//!
//! [`export_onnx`] writes a model as ONNX; importing the export gives back the same model.

mod convert;
mod elementwise;
mod error;
mod export;
mod layers;
mod masks;
mod poly;
mod proto;
mod relu;
mod shapes;
mod tensor;

pub use error::OnnxError;
pub use export::export_onnx;
pub use masks::{MaskTensor, OnnxPruning, masks_to_safetensors, prune_onnx, pruned_onnx};
pub use relu::{RELU_CALIBRATION_MARGIN, ReluCalibration, calibrate_relu};

use std::path::Path;

use serde::Serialize;

use crate::model::{Model, ReluApprox};
use crate::tensor::Tensor3;

/// Size limits applied before anything is allocated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OnnxLimits {
    /// Largest accepted file (default 16 MiB: HE-sized CNNs take a few MiB).
    pub max_file_bytes: u64,
    /// Largest element count of any tensor, declared or computed (default 2^24).
    pub max_tensor_elements: u64,
    /// Largest node count of the graph (default 10 000).
    pub max_nodes: usize,
}

impl Default for OnnxLimits {
    fn default() -> Self {
        Self { max_file_bytes: 16 << 20, max_tensor_elements: 1 << 24, max_nodes: 10_000 }
    }
}

/// Choices of the import beyond the graph itself.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ImportOptions {
    /// How `Relu` nodes are imported: `None` (the default) refuses them; `Some(approx)` turns
    /// each into a [`crate::model::Layer::Relu`] with this polynomial and radius (the radius
    /// can then be calibrated per node with [`calibrate_relu`]).
    pub relu: Option<ReluApprox>,
}

/// Client-side preprocessing `x ↦ scale[c] · x + shift[c]` per input channel (one value = all
/// channels), applied to the plaintext image before encryption.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct InputTransform {
    /// Per-channel factor.
    pub scale: Vec<f64>,
    /// Per-channel offset.
    pub shift: Vec<f64>,
}

impl InputTransform {
    fn at(v: &[f64], ch: usize) -> f64 {
        if v.len() == 1 { v[0] } else { v[ch] }
    }

    /// The transformed image.
    pub fn apply(&self, image: &Tensor3) -> Tensor3 {
        Tensor3::from_fn(image.channels, image.height, image.width, |c, y, x| {
            Self::at(&self.scale, c) * image.get(c, y, x) + Self::at(&self.shift, c)
        })
    }
}

/// The result of an import.
#[derive(Clone, Debug)]
pub struct ImportedModel {
    /// The network, weights included.
    pub model: Model,
    /// Preprocessing the client applies before encryption (`None` = the raw image).
    pub input_transform: Option<InputTransform>,
    /// For model tensors taken unchanged from an ONNX initializer: `(model tensor, initializer)`.
    pub initializer_names: Vec<(String, String)>,
    /// What the importer dropped or moved (final softmax, dropout, client-side preprocessing).
    pub notices: Vec<String>,
}

impl ImportedModel {
    /// The model's input for a raw image (the input transform applied).
    pub fn prepare_input(&self, image: &Tensor3) -> Tensor3 {
        self.input_transform.as_ref().map_or_else(|| image.clone(), |t| t.apply(image))
    }
}

/// Imports an ONNX model from its bytes.
///
/// # Errors
/// [`OnnxError`] for files over the limits, malformed protobuf, unsupported operators,
/// attributes or patterns (naming the node), and graphs that do not give a valid model.
///
/// # Example
/// ```
/// use spencnn::import::onnx::{OnnxLimits, export_onnx, import_onnx};
/// use spencnn::model::randomize;
/// use spencnn::model::zoo::{Variant, lenet};
///
/// let mut model = lenet(Variant::Dense);
/// randomize(&mut model, 1);
/// let bytes = export_onnx(&model).unwrap();
/// let imported = import_onnx(&bytes, &OnnxLimits::default()).unwrap();
/// assert_eq!(imported.model, model);
/// ```
pub fn import_onnx(bytes: &[u8], limits: &OnnxLimits) -> Result<ImportedModel, OnnxError> {
    import_onnx_with(bytes, limits, &ImportOptions::default())
}

/// [`import_onnx`] with `options` (e.g. `Relu` nodes approximated by a polynomial).
///
/// # Errors
/// As [`import_onnx`].
pub fn import_onnx_with(
    bytes: &[u8],
    limits: &OnnxLimits,
    options: &ImportOptions,
) -> Result<ImportedModel, OnnxError> {
    let proto = proto::parse_model(bytes, limits)?;
    convert::convert(&proto, limits, options)
}

/// Reads and imports an ONNX file, checking its size before reading it.
///
/// # Errors
/// As [`import_onnx`], plus [`OnnxError::Io`].
pub fn read_onnx(path: &Path, limits: &OnnxLimits) -> Result<ImportedModel, OnnxError> {
    read_onnx_with(path, limits, &ImportOptions::default())
}

/// [`read_onnx`] with `options`.
///
/// # Errors
/// As [`read_onnx`].
pub fn read_onnx_with(path: &Path, limits: &OnnxLimits, options: &ImportOptions) -> Result<ImportedModel, OnnxError> {
    let bytes = read_capped(path, limits)?;
    import_onnx_with(&bytes, limits, options)
}

/// The bytes of the file at `path`, refused before reading if larger than
/// [`OnnxLimits::max_file_bytes`] (for [`prune_onnx`], which takes the original bytes).
///
/// # Errors
/// [`OnnxError::FileTooLarge`], [`OnnxError::Io`].
pub fn read_capped(path: &Path, limits: &OnnxLimits) -> Result<Vec<u8>, OnnxError> {
    let io = |source| OnnxError::Io { path: path.display().to_string(), source };
    let size = std::fs::metadata(path).map_err(io)?.len();
    if size > limits.max_file_bytes {
        return Err(OnnxError::FileTooLarge { size, limit: limits.max_file_bytes });
    }
    std::fs::read(path).map_err(io)
}
