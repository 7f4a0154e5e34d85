//! Decoding ONNX protobuf bytes (through `onnx-protobuf`) and reading tensors and attributes
//! out of the messages, with every size checked before allocation.
//!
//! **Stack use.** The `protobuf` runtime that `onnx-protobuf` is generated for limits message
//! nesting to 100 levels, but skips unknown *group* fields recursively without a limit (each
//! nesting level costs two input bytes). A hostile file could therefore exhaust a fixed stack.
//! We parse on a dedicated thread whose stack grows with the input: measured at about 42 bytes
//! of stack per input byte in the worst case, we reserve [`STACK_BYTES_PER_INPUT_BYTE`] (more
//! than twice that) plus a base. Only the pages a file actually needs are ever touched, and the
//! file size itself is capped by [`super::OnnxLimits::max_file_bytes`].

use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::{DataLocation, DataType};
use onnx_protobuf::{AttributeProto, Message, ModelProto, NodeProto, TensorProto};
use protobuf::Enum;

use super::OnnxLimits;
use super::error::OnnxError;
use super::tensor::{Tensor, TensorKind};

/// Stack reserved per input byte for the parser thread (see the module documentation).
pub(crate) const STACK_BYTES_PER_INPUT_BYTE: usize = 96;
/// Stack reserved for the parser thread beyond the per-byte part.
const BASE_STACK_BYTES: usize = 8 << 20;

/// Decodes a `ModelProto`, refusing inputs over the file limit.
pub(crate) fn parse_model(bytes: &[u8], limits: &OnnxLimits) -> Result<ModelProto, OnnxError> {
    if bytes.len() as u64 > limits.max_file_bytes {
        return Err(OnnxError::FileTooLarge { size: bytes.len() as u64, limit: limits.max_file_bytes });
    }
    let stack = BASE_STACK_BYTES.saturating_add(bytes.len().saturating_mul(STACK_BYTES_PER_INPUT_BYTE));
    std::thread::scope(|scope| {
        let parser = std::thread::Builder::new()
            .name("onnx-parse".into())
            .stack_size(stack)
            .spawn_scoped(scope, || ModelProto::parse_from_bytes(bytes))
            .map_err(|e| OnnxError::Malformed { reason: format!("cannot start the parser thread: {e}") })?;
        match parser.join() {
            Ok(result) => result.map_err(|e| OnnxError::Malformed { reason: e.to_string() }),
            Err(_) => Err(OnnxError::Malformed { reason: "the protobuf decoder failed".into() }),
        }
    })
}

/// Serialises a `ModelProto`.
pub(crate) fn write_model(model: &ModelProto) -> Result<Vec<u8>, OnnxError> {
    model.write_to_bytes().map_err(|e| OnnxError::Malformed { reason: format!("cannot encode the model: {e}") })
}

/// The element count of `dims`, refused if negative or above the limit (before allocation).
fn element_count(name: &str, dims: &[i64], limits: &OnnxLimits) -> Result<usize, OnnxError> {
    let mut count: u64 = 1;
    for &d in dims {
        let d = u64::try_from(d).map_err(|_| OnnxError::tensor(name, format!("negative dimension {d}")))?;
        count = count.saturating_mul(d);
    }
    if count > limits.max_tensor_elements {
        return Err(OnnxError::TensorTooLarge {
            name: name.to_string(),
            elements: count,
            limit: limits.max_tensor_elements,
        });
    }
    Ok(count as usize)
}

fn check_len(name: &str, found: usize, expected: usize) -> Result<(), OnnxError> {
    if found == expected {
        Ok(())
    } else {
        Err(OnnxError::tensor(name, format!("holds {found} values, its dimensions need {expected}")))
    }
}

fn from_raw<const W: usize>(
    name: &str,
    raw: &[u8],
    count: usize,
    f: impl Fn([u8; W]) -> f64,
) -> Result<Vec<f64>, OnnxError> {
    if !raw.len().is_multiple_of(W) {
        return Err(OnnxError::tensor(name, format!("raw data of {} bytes is not a multiple of {W}", raw.len())));
    }
    check_len(name, raw.len() / W, count)?;
    Ok(raw.chunks_exact(W).map(|c| f(c.try_into().unwrap_or([0; W]))).collect())
}

/// Reads a float, double or integer tensor as `f64` values (integers must be exact in `f64`).
pub(crate) fn read_tensor(t: &TensorProto, limits: &OnnxLimits) -> Result<Tensor, OnnxError> {
    let name = t.name.as_str();
    if t.data_location.enum_value() != Ok(DataLocation::DEFAULT) || !t.external_data.is_empty() {
        return Err(OnnxError::tensor(
            name,
            "its data is stored outside the file; save the model with all tensors inside",
        ));
    }
    if t.segment.is_some() {
        return Err(OnnxError::tensor(name, "segmented tensors are not supported"));
    }
    let count = element_count(name, &t.dims, limits)?;
    let raw = !t.raw_data.is_empty();
    let dtype = DataType::from_i32(t.data_type);
    let (data, kind) = match dtype {
        Some(DataType::FLOAT) if raw => {
            (from_raw::<4>(name, &t.raw_data, count, |b| f32::from_le_bytes(b) as f64)?, TensorKind::Float)
        }
        Some(DataType::FLOAT) => {
            check_len(name, t.float_data.len(), count)?;
            (t.float_data.iter().map(|&v| v as f64).collect(), TensorKind::Float)
        }
        Some(DataType::DOUBLE) if raw => {
            (from_raw::<8>(name, &t.raw_data, count, f64::from_le_bytes)?, TensorKind::Float)
        }
        Some(DataType::DOUBLE) => {
            check_len(name, t.double_data.len(), count)?;
            (t.double_data.clone(), TensorKind::Float)
        }
        Some(DataType::INT64) if raw => {
            (from_raw::<8>(name, &t.raw_data, count, |b| i64::from_le_bytes(b) as f64)?, TensorKind::Int)
        }
        Some(DataType::INT64) => {
            check_len(name, t.int64_data.len(), count)?;
            (t.int64_data.iter().map(|&v| v as f64).collect(), TensorKind::Int)
        }
        Some(DataType::INT32) if raw => {
            (from_raw::<4>(name, &t.raw_data, count, |b| i32::from_le_bytes(b) as f64)?, TensorKind::Int)
        }
        Some(DataType::INT32) => {
            check_len(name, t.int32_data.len(), count)?;
            (t.int32_data.iter().map(|&v| v as f64).collect(), TensorKind::Int)
        }
        other => {
            let found = other.map_or_else(|| format!("data type {}", t.data_type), |d| format!("{d:?}"));
            return Err(OnnxError::tensor(
                name,
                format!("element type {found} is not supported; export in float32 or float64"),
            ));
        }
    };
    if kind == TensorKind::Int && data.iter().any(|v| v.abs() > (1u64 << 53) as f64) {
        return Err(OnnxError::tensor(name, "an integer is too large"));
    }
    if data.iter().any(|v| !v.is_finite()) {
        return Err(OnnxError::tensor(name, "holds a non-finite value"));
    }
    let dims = t.dims.iter().map(|&d| d as usize).collect();
    Ok(Tensor { dims, data, kind })
}

/// A float attribute read as the decimal number its author wrote: the shortest decimal that
/// rounds to the stored `f32` (so `epsilon = 1e-5` is `1e-5`, not `1e-5` rounded to `f32`).
pub(crate) fn decimal_f32(v: f32) -> f64 {
    v.to_string().parse().unwrap_or(v as f64)
}

/// Typed access to a node's attributes.
pub(crate) struct Attributes<'a> {
    node: &'a NodeProto,
}

impl<'a> Attributes<'a> {
    pub fn of(node: &'a NodeProto) -> Self {
        Self { node }
    }

    fn find(&self, name: &str) -> Option<&'a AttributeProto> {
        self.node.attribute.iter().find(|a| a.name == name)
    }

    fn kind(a: &AttributeProto) -> Option<AttributeType> {
        a.type_.enum_value().ok()
    }

    fn wrong(&self, name: &str, expected: &str) -> OnnxError {
        OnnxError::pattern(node_name(self.node), &self.node.op_type, format!("attribute {name} is not {expected}"))
    }

    /// Whether the attribute is present.
    pub fn has(&self, name: &str) -> bool {
        self.find(name).is_some()
    }

    pub fn int(&self, name: &str, default: i64) -> Result<i64, OnnxError> {
        match self.find(name) {
            None => Ok(default),
            Some(a) if Self::kind(a) == Some(AttributeType::INT) => Ok(a.i),
            Some(_) => Err(self.wrong(name, "an integer")),
        }
    }

    pub fn float(&self, name: &str, default: f64) -> Result<f64, OnnxError> {
        match self.find(name) {
            None => Ok(default),
            Some(a) if Self::kind(a) == Some(AttributeType::FLOAT) => Ok(decimal_f32(a.f)),
            Some(_) => Err(self.wrong(name, "a float")),
        }
    }

    pub fn ints(&self, name: &str) -> Result<Option<Vec<i64>>, OnnxError> {
        match self.find(name) {
            None => Ok(None),
            Some(a) if Self::kind(a) == Some(AttributeType::INTS) => Ok(Some(a.ints.clone())),
            Some(_) => Err(self.wrong(name, "a list of integers")),
        }
    }

    pub fn string(&self, name: &str) -> Result<Option<String>, OnnxError> {
        match self.find(name) {
            None => Ok(None),
            Some(a) if Self::kind(a) == Some(AttributeType::STRING) => {
                Ok(Some(String::from_utf8_lossy(&a.s).into_owned()))
            }
            Some(_) => Err(self.wrong(name, "a string")),
        }
    }

    /// The value of a `Constant` node, in any of its attribute forms.
    pub fn constant(&self, limits: &OnnxLimits) -> Result<Tensor, OnnxError> {
        let a = self.node.attribute.first().filter(|_| self.node.attribute.len() == 1).ok_or_else(|| {
            OnnxError::pattern(node_name(self.node), "Constant", "expects exactly one value attribute")
        })?;
        let float = |values: Vec<f64>, dims: Vec<usize>| Tensor { dims, data: values, kind: TensorKind::Float };
        let int = |values: Vec<f64>, dims: Vec<usize>| Tensor { dims, data: values, kind: TensorKind::Int };
        match (a.name.as_str(), Self::kind(a)) {
            ("value", Some(AttributeType::TENSOR)) => match a.t.as_ref() {
                Some(t) => read_tensor(t, limits),
                None => Err(self.wrong("value", "a tensor")),
            },
            ("value_float", Some(AttributeType::FLOAT)) => Ok(float(vec![decimal_f32(a.f)], vec![])),
            ("value_floats", Some(AttributeType::FLOATS)) => {
                Ok(float(a.floats.iter().map(|&v| decimal_f32(v)).collect(), vec![a.floats.len()]))
            }
            ("value_int", Some(AttributeType::INT)) => Ok(int(vec![a.i as f64], vec![])),
            ("value_ints", Some(AttributeType::INTS)) => {
                Ok(int(a.ints.iter().map(|&v| v as f64).collect(), vec![a.ints.len()]))
            }
            (other, _) => Err(OnnxError::UnsupportedAttribute {
                node: node_name(self.node).to_string(),
                op_type: "Constant".into(),
                attribute: other.to_string(),
                value: "(any)".into(),
                hint: "use a float or integer tensor value".into(),
            }),
        }
    }
}

/// The node's name, or its first output when unnamed.
pub(crate) fn node_name(node: &NodeProto) -> &str {
    if !node.name.is_empty() { &node.name } else { node.output.first().map_or("(unnamed)", |s| s.as_str()) }
}
