//! Errors of the ONNX importer and exporter.

use thiserror::Error;

use crate::model::ModelError;
use crate::plan::PlanError;

/// Why an ONNX file could not be turned into a [`crate::model::Model`] (or written).
///
/// Every error about a graph node names the node and its operator type; refusals say what to use
/// instead.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum OnnxError {
    /// The file is larger than [`super::OnnxLimits::max_file_bytes`] (checked before reading it).
    #[error("the ONNX file has {size} bytes, more than the limit of {limit}")]
    FileTooLarge {
        /// File size in bytes.
        size: u64,
        /// The limit.
        limit: u64,
    },
    /// Reading or writing a file failed.
    #[error("cannot access {path}: {source}")]
    Io {
        /// File path.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// The bytes are not a valid ONNX protobuf message.
    #[error("malformed ONNX file: {reason}")]
    Malformed {
        /// Decoder message.
        reason: String,
    },
    /// A tensor declares more elements than [`super::OnnxLimits::max_tensor_elements`]
    /// (checked before any allocation).
    #[error("tensor {name} declares {elements} elements, more than the limit of {limit}")]
    TensorTooLarge {
        /// Tensor name.
        name: String,
        /// Declared element count (saturated).
        elements: u64,
        /// The limit.
        limit: u64,
    },
    /// A tensor is inconsistent or stored in a way we do not read.
    #[error("tensor {name}: {reason}")]
    BadTensor {
        /// Tensor name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// An operator the encrypted engine cannot evaluate.
    #[error("node {node} ({op_type}) is not supported: {hint}")]
    UnsupportedOp {
        /// Node name.
        node: String,
        /// ONNX operator type.
        op_type: String,
        /// What to use instead.
        hint: String,
    },
    /// A supported operator with an attribute value we do not handle.
    #[error("node {node} ({op_type}): attribute {attribute} = {value} is not supported: {hint}")]
    UnsupportedAttribute {
        /// Node name.
        node: String,
        /// ONNX operator type.
        op_type: String,
        /// Attribute name.
        attribute: String,
        /// The value found.
        value: String,
        /// What to use instead.
        hint: String,
    },
    /// A supported operator used in a way the engine cannot evaluate (operand kinds, shapes,
    /// polynomial degree, broadcasting).
    #[error("node {node} ({op_type}): {reason}")]
    UnsupportedPattern {
        /// Node name.
        node: String,
        /// ONNX operator type.
        op_type: String,
        /// What is wrong and what to do instead.
        reason: String,
    },
    /// The graph itself is inconsistent (unknown values, wrong input counts, several outputs).
    #[error("invalid graph: {reason}")]
    Graph {
        /// What is wrong.
        reason: String,
    },
    /// The graph input is not an image tensor `[N, C, H, W]` with `N` symbolic or 1.
    #[error("graph input {name}: {reason}")]
    Input {
        /// Input name.
        name: String,
        /// What is wrong.
        reason: String,
    },
    /// The graph has more nodes than [`super::OnnxLimits::max_nodes`].
    #[error("the graph has {nodes} nodes, more than the limit of {limit}")]
    TooManyNodes {
        /// Node count.
        nodes: usize,
        /// The limit.
        limit: usize,
    },
    /// Calibrating the ReLU intervals failed.
    #[error("ReLU calibration: {reason}")]
    Calibration {
        /// What is wrong.
        reason: String,
    },
    /// The imported network is not a valid model.
    #[error(transparent)]
    Model(#[from] ModelError),
    /// Planning the imported network failed (pruning needs its layouts).
    #[error(transparent)]
    Plan(#[from] PlanError),
}

impl OnnxError {
    /// An [`OnnxError::UnsupportedPattern`] for `node`.
    pub(crate) fn pattern(node: &str, op_type: &str, reason: impl Into<String>) -> Self {
        OnnxError::UnsupportedPattern { node: node.to_string(), op_type: op_type.to_string(), reason: reason.into() }
    }

    /// An [`OnnxError::Graph`].
    pub(crate) fn graph(reason: impl Into<String>) -> Self {
        OnnxError::Graph { reason: reason.into() }
    }

    /// An [`OnnxError::BadTensor`].
    pub(crate) fn tensor(name: &str, reason: impl Into<String>) -> Self {
        OnnxError::BadTensor { name: name.to_string(), reason: reason.into() }
    }
}
