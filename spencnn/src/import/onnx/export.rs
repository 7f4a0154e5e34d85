//! Writing a [`Model`] as ONNX (opset 13): the zoo networks for other tools, and the inverse of
//! the importer (importing an export gives back the same model).
//!
//! Node names are the model's, initializers are named like the safetensors tensors
//! (`conv1.weight`, `act1.a`, ...). Activations are written as `a*(x*x) + b*x + c` with
//! coefficients of shape `[1, C, 1, 1]` (maps) or `[C]` (flat features). The whole graph uses
//! float32 when every parameter is exactly a float32, float64 otherwise (ONNX requires one type
//! per operator).

use onnx_protobuf::attribute_proto::AttributeType;
use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::{Dimension, dimension::Value as DimValue};
use onnx_protobuf::type_proto::{Tensor as TensorType, Value as TypeValue};
use onnx_protobuf::{
    AttributeProto, GraphProto, ModelProto, NodeProto, OperatorSetIdProto, TensorProto, TensorShapeProto, TypeProto,
    ValueInfoProto,
};
use protobuf::{EnumOrUnknown, MessageField};

use super::error::OnnxError;
use super::proto::write_model;
use crate::model::{Layer, Model};

/// The opset the exporter writes.
const OPSET: i64 = 13;

struct Writer {
    graph: GraphProto,
    dtype: DataType,
}

fn attr_ints(name: &str, values: &[usize]) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        type_: EnumOrUnknown::new(AttributeType::INTS),
        ints: values.iter().map(|&v| v as i64).collect(),
        ..AttributeProto::default()
    }
}

fn attr_int(name: &str, value: i64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        type_: EnumOrUnknown::new(AttributeType::INT),
        i: value,
        ..AttributeProto::default()
    }
}

fn attr_float(name: &str, value: f64) -> AttributeProto {
    AttributeProto {
        name: name.into(),
        type_: EnumOrUnknown::new(AttributeType::FLOAT),
        f: value as f32,
        ..AttributeProto::default()
    }
}

/// A tensor value-info of element type `dtype` and dimensions `dims` (`None` = the symbolic
/// batch `N`).
pub(crate) fn value_info(name: &str, dtype: DataType, dims: &[Option<usize>]) -> ValueInfoProto {
    let dim = dims
        .iter()
        .map(|d| Dimension {
            value: Some(match d {
                Some(v) => DimValue::DimValue(*v as i64),
                None => DimValue::DimParam("N".into()),
            }),
            ..Dimension::default()
        })
        .collect();
    let tensor = TensorType {
        elem_type: dtype as i32,
        shape: MessageField::some(TensorShapeProto { dim, ..TensorShapeProto::default() }),
        ..TensorType::default()
    };
    ValueInfoProto {
        name: name.into(),
        type_: MessageField::some(TypeProto { value: Some(TypeValue::TensorType(tensor)), ..TypeProto::default() }),
        ..ValueInfoProto::default()
    }
}

/// A dense tensor in `dtype` (values rounded to float32 for `FLOAT`), little-endian raw data.
pub(crate) fn tensor_proto(name: &str, dims: &[usize], values: &[f64], dtype: DataType) -> TensorProto {
    let raw_data = match dtype {
        DataType::FLOAT => values.iter().flat_map(|&v| (v as f32).to_le_bytes()).collect(),
        _ => values.iter().flat_map(|&v| v.to_le_bytes()).collect(),
    };
    TensorProto {
        name: name.into(),
        dims: dims.iter().map(|&d| d as i64).collect(),
        data_type: dtype as i32,
        raw_data,
        ..TensorProto::default()
    }
}

impl Writer {
    fn init(&mut self, name: &str, dims: &[usize], values: &[f64]) -> String {
        self.graph.initializer.push(tensor_proto(name, dims, values, self.dtype));
        name.to_string()
    }

    fn node(&mut self, name: &str, op: &str, inputs: &[&str], output: &str, attribute: Vec<AttributeProto>) {
        self.graph.node.push(NodeProto {
            name: name.into(),
            op_type: op.into(),
            input: inputs.iter().map(|s| s.to_string()).collect(),
            output: vec![output.into()],
            attribute,
            ..NodeProto::default()
        });
    }
}

/// Whether every parameter of `model` is exactly a float32.
fn fits_f32(model: &Model) -> bool {
    let exact = |v: &[f64]| v.iter().all(|&x| (x as f32) as f64 == x);
    let optional = |v: &Option<Vec<f64>>| v.as_deref().is_none_or(exact);
    model.nodes.iter().all(|node| match &node.layer {
        Layer::Conv2d(conv) => exact(&conv.weight) && optional(&conv.bias),
        Layer::BatchNorm(bn) => [&bn.gamma, &bn.beta, &bn.mean, &bn.var].iter().all(|v| exact(v)),
        Layer::Activation(act) => exact(&act.a) && exact(&act.b) && exact(&act.c),
        Layer::Linear(fc) => exact(&fc.weight) && optional(&fc.bias),
        Layer::AvgPool2
        | Layer::AvgPool(_)
        | Layer::GlobalAvgPool
        | Layer::Flatten
        | Layer::Add { .. }
        | Layer::Relu(_) => true,
    })
}

/// Serialises `model` as an ONNX file (opset 13, input `input` of shape `[N, C, H, W]`, output
/// `output`).
///
/// # Errors
/// [`OnnxError::Model`] if the model is invalid.
pub fn export_onnx(model: &Model) -> Result<Vec<u8>, OnnxError> {
    let shapes = model.shapes()?;
    let dtype = if fits_f32(model) { DataType::FLOAT } else { DataType::DOUBLE };
    let mut w = Writer { graph: GraphProto { name: model.name.clone(), ..GraphProto::default() }, dtype };
    let [c, h, wd] = model.input_shape;
    w.graph.input.push(value_info("input", dtype, &[None, Some(c), Some(h), Some(wd)]));
    let mut names = vec!["input".to_string()];
    let mut flat = vec![false];
    for node in &model.nodes {
        let name = node.name.as_str();
        let x = names[node.input].clone();
        let mut is_flat = flat[node.input];
        match &node.layer {
            Layer::Conv2d(conv) => {
                let mut inputs = vec![x, w.init(&format!("{name}.weight"), &conv.weight_shape(), &conv.weight)];
                if let Some(b) = &conv.bias {
                    inputs.push(w.init(&format!("{name}.bias"), &[conv.out_channels], b));
                }
                let attrs = vec![
                    attr_ints("kernel_shape", &[conv.kernel, conv.kernel]),
                    attr_ints("strides", &[conv.stride, conv.stride]),
                    attr_ints("pads", &conv.padding_sides()),
                    attr_int("group", conv.groups as i64),
                ];
                let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
                w.node(name, "Conv", &refs, name, attrs);
            }
            Layer::BatchNorm(bn) => {
                let ch = [bn.channels];
                let inputs = [
                    x,
                    w.init(&format!("{name}.weight"), &ch, &bn.gamma),
                    w.init(&format!("{name}.bias"), &ch, &bn.beta),
                    w.init(&format!("{name}.running_mean"), &ch, &bn.mean),
                    w.init(&format!("{name}.running_var"), &ch, &bn.var),
                ];
                let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
                w.node(name, "BatchNormalization", &refs, name, vec![attr_float("epsilon", bn.eps)]);
            }
            Layer::Activation(act) => {
                let dims: Vec<usize> = match (act.channels, is_flat) {
                    (1, _) => vec![1],
                    (c, true) => vec![c],
                    (c, false) => vec![1, c, 1, 1],
                };
                let (a, b, k) = (
                    w.init(&format!("{name}.a"), &dims, &act.a),
                    w.init(&format!("{name}.b"), &dims, &act.b),
                    w.init(&format!("{name}.c"), &dims, &act.c),
                );
                let part = |p: &str| format!("{name}/{p}");
                w.node(&part("square"), "Mul", &[&x, &x], &part("square"), vec![]);
                w.node(&part("quadratic"), "Mul", &[&a, &part("square")], &part("quadratic"), vec![]);
                w.node(&part("linear"), "Mul", &[&b, &x], &part("linear"), vec![]);
                w.node(&part("sum"), "Add", &[&part("quadratic"), &part("linear")], &part("sum"), vec![]);
                w.node(name, "Add", &[&part("sum"), &k], name, vec![]);
            }
            // The exact operator: the approximation's interval and precision are import options.
            Layer::Relu(_) => w.node(name, "Relu", &[&x], name, vec![]),
            Layer::AvgPool2 => {
                let attrs = vec![attr_ints("kernel_shape", &[2, 2]), attr_ints("strides", &[2, 2])];
                w.node(name, "AveragePool", &[&x], name, attrs);
            }
            Layer::AvgPool(pool) => {
                let attrs = vec![
                    attr_ints("kernel_shape", &[pool.kernel, pool.kernel]),
                    attr_ints("strides", &[pool.stride, pool.stride]),
                    attr_ints("pads", &pool.pads),
                    attr_int("count_include_pad", pool.count_include_pad as i64),
                ];
                w.node(name, "AveragePool", &[&x], name, attrs);
            }
            Layer::GlobalAvgPool => w.node(name, "GlobalAveragePool", &[&x], name, vec![]),
            Layer::Flatten => {
                w.node(name, "Flatten", &[&x], name, vec![attr_int("axis", 1)]);
                is_flat = true;
            }
            Layer::Linear(fc) => {
                let mut input = x;
                if !is_flat {
                    let flatten = format!("{name}/flatten");
                    w.node(&flatten, "Flatten", &[&input], &flatten, vec![attr_int("axis", 1)]);
                    input = flatten;
                }
                let mut inputs =
                    vec![input, w.init(&format!("{name}.weight"), &[fc.out_features, fc.in_features], &fc.weight)];
                if let Some(b) = &fc.bias {
                    inputs.push(w.init(&format!("{name}.bias"), &[fc.out_features], b));
                }
                let refs: Vec<&str> = inputs.iter().map(String::as_str).collect();
                w.node(name, "Gemm", &refs, name, vec![attr_int("transB", 1)]);
                is_flat = true;
            }
            Layer::Add { other } => {
                let y = names[*other].clone();
                w.node(name, "Add", &[&x, &y], name, vec![]);
            }
        }
        names.push(name.to_string());
        flat.push(is_flat);
    }
    let last = model.nodes.len();
    let [c, h, wd] = shapes[last];
    let dims: Vec<Option<usize>> =
        if flat[last] { vec![None, Some(c * h * wd)] } else { vec![None, Some(c), Some(h), Some(wd)] };
    w.graph.output.push(value_info(&names[last], dtype, &dims));
    let proto = ModelProto {
        ir_version: 7,
        producer_name: "spencnn".into(),
        producer_version: env!("CARGO_PKG_VERSION").into(),
        opset_import: vec![OperatorSetIdProto {
            domain: String::new(),
            version: OPSET,
            ..OperatorSetIdProto::default()
        }],
        graph: MessageField::some(w.graph),
        ..ModelProto::default()
    };
    write_model(&proto)
}
