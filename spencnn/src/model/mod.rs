//! Network descriptions: layers, a small DAG of nodes, shape checking, weights and the model zoo.
//!
//! Values are numbered: value 0 is the network input, value `n + 1` is the output of node `n`.
//! A node reads value `input` (and, for [`Layer::Add`], value `other`), always an earlier one.

mod layers;
mod random;
mod relu;
mod weights;
pub mod zoo;

pub use layers::{AvgPool, BatchNorm, Conv2d, Layer, Linear, PolyActivation};
pub use random::randomize;
pub use relu::{ReluApprox, ReluApproxError, ReluPrecision, composite_products};
pub use weights::{load_safetensors, save_safetensors, tensor_names};

use serde::Serialize;
use thiserror::Error;

/// Errors in a model description or a weights file.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ModelError {
    /// A node reads a value that is not produced before it.
    #[error("node {node} reads value {value}, which is not defined before it")]
    BadReference {
        /// Node name.
        node: String,
        /// Referenced value index.
        value: usize,
    },
    /// A layer's parameters are inconsistent (sizes, groups, zero sizes).
    #[error("node {node}: {reason}")]
    InvalidLayer {
        /// Node name.
        node: String,
        /// What is wrong.
        reason: String,
    },
    /// A layer receives an input of the wrong shape.
    #[error("node {node} expects input {expected:?}, got {found:?}")]
    InputShape {
        /// Node name.
        node: String,
        /// Expected `[C, H, W]` (0 = any).
        expected: [usize; 3],
        /// Received shape.
        found: [usize; 3],
    },
    /// A tensor named by the model is missing from the weights file.
    #[error("weights file has no tensor {name}")]
    MissingTensor {
        /// Tensor name.
        name: String,
    },
    /// A tensor in the weights file has the wrong shape.
    #[error("tensor {name} has shape {found:?}, expected {expected:?}")]
    TensorShape {
        /// Tensor name.
        name: String,
        /// Expected shape.
        expected: Vec<usize>,
        /// Shape in the file.
        found: Vec<usize>,
    },
    /// A tensor has an element type other than F32/F64.
    #[error("tensor {name} has unsupported dtype {dtype}")]
    UnsupportedDtype {
        /// Tensor name.
        name: String,
        /// The dtype found.
        dtype: String,
    },
    /// A tensor holds NaN or infinity.
    #[error("tensor {name} holds a non-finite value")]
    NonFinite {
        /// Tensor name.
        name: String,
    },
    /// The file is not valid safetensors.
    #[error("malformed safetensors data: {reason}")]
    Malformed {
        /// Parser message.
        reason: String,
    },
    /// Reading or writing the file failed.
    #[error("cannot access {path}: {source}")]
    Io {
        /// File path.
        path: String,
        /// Underlying error.
        source: std::io::Error,
    },
    /// An input tensor of the wrong shape.
    #[error("input has shape {found:?}, the model expects {expected:?}")]
    ImageShape {
        /// Model input shape.
        expected: [usize; 3],
        /// Given shape.
        found: [usize; 3],
    },
}

/// One node: a layer applied to an earlier value.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Node {
    /// Unique name; parameter tensors are named `<name>.<param>`.
    pub name: String,
    /// The layer.
    pub layer: Layer,
    /// The value it reads (0 = network input).
    pub input: usize,
}

/// A network: input shape and nodes in evaluation order; the last node's value is the output.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Model {
    /// Model name (for reports).
    pub name: String,
    /// `[C, H, W]` of the input image.
    pub input_shape: [usize; 3],
    /// Nodes in topological order.
    pub nodes: Vec<Node>,
}

impl Model {
    /// Checks every node and returns the shape of every value (index 0 = input).
    pub fn shapes(&self) -> Result<Vec<[usize; 3]>, ModelError> {
        let mut shapes = vec![self.input_shape];
        if self.input_shape.contains(&0) {
            return Err(invalid("input", "input shape has a zero dimension"));
        }
        for (n, node) in self.nodes.iter().enumerate() {
            let fetch = |value: usize| {
                shapes
                    .get(value)
                    .copied()
                    .filter(|_| value <= n)
                    .ok_or_else(|| ModelError::BadReference { node: node.name.clone(), value })
            };
            let input = fetch(node.input)?;
            let out = match &node.layer {
                Layer::Add { other } => {
                    let other = fetch(*other)?;
                    expect(node, other, input)?;
                    input
                }
                layer => layer_output_shape(&node.name, layer, input)?,
            };
            shapes.push(out);
        }
        Ok(shapes)
    }

    /// The nodes that read value `value` (as `input` or as the other operand of an add).
    pub fn consumers(&self, value: usize) -> Vec<usize> {
        self.nodes
            .iter()
            .enumerate()
            .filter(|(_, node)| node.input == value || matches!(node.layer, Layer::Add { other } if other == value))
            .map(|(n, _)| n)
            .collect()
    }

    /// The convolution nodes (indices), in order.
    pub fn conv_nodes(&self) -> Vec<usize> {
        (0..self.nodes.len()).filter(|&n| matches!(self.nodes[n].layer, Layer::Conv2d(_))).collect()
    }
}

fn invalid(node: &str, reason: impl Into<String>) -> ModelError {
    ModelError::InvalidLayer { node: node.to_string(), reason: reason.into() }
}

fn expect(node: &Node, expected: [usize; 3], found: [usize; 3]) -> Result<(), ModelError> {
    let ok = expected.iter().zip(found).all(|(&e, f)| e == 0 || e == f);
    ok.then_some(()).ok_or(ModelError::InputShape { node: node.name.clone(), expected, found })
}

fn check_len(node: &str, what: &str, len: usize, expected: usize) -> Result<(), ModelError> {
    (len == expected)
        .then_some(())
        .ok_or_else(|| invalid(node, format!("{what} has {len} values, expected {expected}")))
}

fn layer_output_shape(name: &str, layer: &Layer, input: [usize; 3]) -> Result<[usize; 3], ModelError> {
    let node = |expected: [usize; 3]| {
        let ok = expected.iter().zip(input).all(|(&e, f)| e == 0 || e == f);
        ok.then_some(()).ok_or(ModelError::InputShape { node: name.to_string(), expected, found: input })
    };
    let [c, h, w] = input;
    Ok(match layer {
        Layer::Conv2d(conv) => {
            if conv.kernel == 0 || conv.stride == 0 || conv.groups == 0 || conv.out_channels == 0 {
                return Err(invalid(name, "kernel, stride, groups and channels must be positive"));
            }
            if conv.in_channels % conv.groups != 0 || conv.out_channels % conv.groups != 0 {
                return Err(invalid(name, "groups must divide both channel counts"));
            }
            node([conv.in_channels, 0, 0])?;
            let expected: usize = conv.weight_shape().iter().product();
            check_len(name, "weight", conv.weight.len(), expected)?;
            if let Some(bias) = &conv.bias {
                check_len(name, "bias", bias.len(), conv.out_channels)?;
            }
            match conv.out_shape(h, w) {
                Some([oh, ow]) if conv.padding_sides().iter().all(|&p| p < conv.kernel) => [conv.out_channels, oh, ow],
                _ => {
                    return Err(invalid(name, "kernel larger than the padded input, or padding ≥ kernel"));
                }
            }
        }
        Layer::BatchNorm(bn) => {
            node([bn.channels, 0, 0])?;
            for (what, v) in [("gamma", &bn.gamma), ("beta", &bn.beta), ("mean", &bn.mean), ("var", &bn.var)] {
                check_len(name, what, v.len(), bn.channels)?;
            }
            if bn.var.iter().any(|&v| v + bn.eps <= 0.0) {
                return Err(invalid(name, "variance + eps must be positive"));
            }
            input
        }
        Layer::Activation(act) => {
            if act.channels != 1 {
                node([act.channels, 0, 0])?;
            }
            for (what, v) in [("a", &act.a), ("b", &act.b), ("c", &act.c)] {
                check_len(name, what, v.len(), act.channels)?;
            }
            input
        }
        Layer::Relu(_) => input,
        Layer::AvgPool2 => {
            if h < 2 || w < 2 {
                return Err(invalid(name, "average pooling needs at least 2x2"));
            }
            [c, h / 2, w / 2]
        }
        Layer::AvgPool(pool) => {
            if pool.kernel == 0 || pool.stride == 0 {
                return Err(invalid(name, "pooling kernel and stride must be positive"));
            }
            match pool.out_shape(h, w) {
                Some([oh, ow]) if pool.pads.iter().all(|&p| p < pool.kernel) => [c, oh, ow],
                _ => return Err(invalid(name, "window larger than the padded input, or padding ≥ window")),
            }
        }
        Layer::GlobalAvgPool => [c, 1, 1],
        Layer::Flatten => [c * h * w, 1, 1],
        Layer::Linear(fc) => {
            node([fc.in_features, 1, 1])?;
            if fc.out_features == 0 {
                return Err(invalid(name, "a dense layer needs outputs"));
            }
            check_len(name, "weight", fc.weight.len(), fc.in_features * fc.out_features)?;
            if let Some(bias) = &fc.bias {
                check_len(name, "bias", bias.len(), fc.out_features)?;
            }
            [fc.out_features, 1, 1]
        }
        Layer::Add { .. } => input,
    })
}
