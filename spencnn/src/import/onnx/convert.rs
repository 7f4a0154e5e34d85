//! The graph walk: values of the ONNX graph, lazily materialised layers, and the model built
//! from them.
//!
//! Every ONNX value is a constant, a (symbolic) shape, or a *feature*: a per-channel polynomial
//! of one model value, seen by ONNX either as an image `[N, C, H, W]` or flattened `[N, F]`.
//! Structural operations (convolution, pooling, dense layers, batch norm, residual adds) emit
//! model layers at once; element-wise arithmetic only updates the polynomial, which becomes a
//! layer (an activation, or client-side preprocessing when it is affine on the graph input) when
//! a structural operation or the graph output consumes it.

use std::collections::{HashMap, HashSet};

use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::tensor_shape_proto::dimension::Value as DimValue;
use onnx_protobuf::type_proto::Value as TypeValue;
use onnx_protobuf::{GraphProto, ModelProto, NodeProto, ValueInfoProto};
use protobuf::Enum;

use super::error::OnnxError;
use super::poly::ChannelPoly;
use super::proto::{node_name, read_tensor};
use super::shapes::Dims;
use super::tensor::Tensor;
use super::{ImportOptions, ImportedModel, InputTransform, OnnxLimits};
use crate::model::{Layer, Model, Node, PolyActivation};

/// How ONNX sees a feature.
#[derive(Clone, Debug, PartialEq)]
pub(crate) enum View {
    /// `[N, C, H, W]`, the model value's own shape.
    Spatial,
    /// `[N, C·H·W]`; `flatten` names the pending `Flatten` layer when the model value is still
    /// a map (`None` when it is already flat, e.g. a dense layer's output).
    Flat { flatten: Option<String> },
}

/// A polynomial of a model value.
#[derive(Clone, Debug)]
pub(crate) struct Feature {
    /// Model value index.
    pub base: usize,
    /// The per-channel polynomial of the base (channels of the base's `C × H × W` map).
    pub poly: ChannelPoly,
    pub view: View,
    /// Name of the layer the polynomial becomes (the node that last changed it).
    pub label: String,
    /// Operator type of that node.
    pub label_op: String,
}

impl Feature {
    pub fn of(base: usize, view: View, label: &str) -> Self {
        Self { base, poly: ChannelPoly::identity(), view, label: label.to_string(), label_op: String::new() }
    }
}

/// One value of the ONNX graph.
#[derive(Clone, Debug)]
pub(crate) enum Value {
    Const(Tensor),
    Dims(Dims),
    Feature(Feature),
}

/// The importer's state while walking the graph.
pub(crate) struct Importer<'l> {
    pub limits: &'l OnnxLimits,
    pub options: &'l ImportOptions,
    pub model: Model,
    pub shapes: Vec<[usize; 3]>,
    pub values: HashMap<String, Value>,
    /// Readers of every value (node inputs and graph outputs).
    pub uses: HashMap<String, usize>,
    pub graph_outputs: HashSet<String>,
    /// The ONNX value that alone holds a model value produced by a linear layer (bias folding).
    pub owners: HashMap<usize, String>,
    /// Constants taken unchanged from an initializer: value name → initializer name.
    pub initializer_of: HashMap<String, String>,
    materialized: HashMap<String, usize>,
    input_transform: Option<InputTransform>,
    raw_input_used: bool,
    names: HashSet<String>,
    pub initializer_names: Vec<(String, String)>,
    pub notices: Vec<String>,
}

/// Converts a decoded ONNX model.
pub(crate) fn convert(
    proto: &ModelProto,
    limits: &OnnxLimits,
    options: &ImportOptions,
) -> Result<ImportedModel, OnnxError> {
    let graph = proto.graph.as_ref().ok_or_else(|| OnnxError::graph("the file has no graph"))?;
    let opset = proto.opset_import.iter().find(|o| o.domain.is_empty() || o.domain == "ai.onnx").map(|o| o.version);
    if opset.is_some_and(|v| v < 7) {
        return Err(OnnxError::graph(format!(
            "opset {} predates NumPy broadcasting (opset 7); re-export with a newer opset",
            opset.unwrap_or_default()
        )));
    }
    if graph.node.len() > limits.max_nodes {
        return Err(OnnxError::TooManyNodes { nodes: graph.node.len(), limit: limits.max_nodes });
    }
    let name = if graph.name.is_empty() { "onnx".to_string() } else { graph.name.clone() };
    let mut importer = Importer {
        limits,
        options,
        model: Model { name, input_shape: [1, 1, 1], nodes: Vec::new() },
        shapes: Vec::new(),
        values: HashMap::new(),
        uses: HashMap::new(),
        graph_outputs: graph.output.iter().map(|o| o.name.clone()).collect(),
        owners: HashMap::new(),
        initializer_of: HashMap::new(),
        materialized: HashMap::new(),
        input_transform: None,
        raw_input_used: false,
        names: HashSet::new(),
        initializer_names: Vec::new(),
        notices: Vec::new(),
    };
    importer.read_initializers(graph)?;
    importer.read_input(graph)?;
    for node in &graph.node {
        for input in node.input.iter().filter(|i| !i.is_empty()) {
            *importer.uses.entry(input.clone()).or_default() += 1;
        }
    }
    for output in &graph.output {
        *importer.uses.entry(output.name.clone()).or_default() += 1;
    }
    for node in &graph.node {
        importer.lower(node)?;
    }
    importer.finish(graph)
}

impl Importer<'_> {
    fn read_initializers(&mut self, graph: &GraphProto) -> Result<(), OnnxError> {
        if !graph.sparse_initializer.is_empty() {
            return Err(OnnxError::graph("sparse initializers are not supported; store dense tensors"));
        }
        for t in &graph.initializer {
            let tensor = read_tensor(t, self.limits)?;
            self.values.insert(t.name.clone(), Value::Const(tensor));
            self.initializer_of.insert(t.name.clone(), t.name.clone());
        }
        Ok(())
    }

    fn read_input(&mut self, graph: &GraphProto) -> Result<(), OnnxError> {
        let inputs: Vec<&ValueInfoProto> = graph.input.iter().filter(|i| !self.values.contains_key(&i.name)).collect();
        let [input] = inputs.as_slice() else {
            let names: Vec<&str> = inputs.iter().map(|i| i.name.as_str()).collect();
            return Err(OnnxError::graph(format!("expected one image input, found {}: {names:?}", inputs.len())));
        };
        let bad = |reason: &str| OnnxError::Input { name: input.name.clone(), reason: reason.to_string() };
        let Some(TypeValue::TensorType(t)) = input.type_.as_ref().and_then(|t| t.value.as_ref()) else {
            return Err(bad("not a tensor"));
        };
        match DataType::from_i32(t.elem_type) {
            Some(DataType::FLOAT | DataType::DOUBLE) => {}
            _ => return Err(bad("the element type is not float32 or float64")),
        }
        let dims = t.shape.as_ref().map(|s| s.dim.as_slice()).unwrap_or_default();
        let [batch, rest @ ..] = dims else {
            return Err(bad("no shape; expected [N, C, H, W]"));
        };
        match &batch.value {
            Some(DimValue::DimValue(n)) if *n > 1 => {
                return Err(bad("a batch of several images; export with batch size 1 or a symbolic batch"));
            }
            _ => {}
        }
        let known: Option<Vec<usize>> = rest
            .iter()
            .map(|d| match d.value {
                Some(DimValue::DimValue(v)) if v > 0 && v <= 1 << 16 => Some(v as usize),
                _ => None,
            })
            .collect();
        let shape = match known.as_deref() {
            Some(&[c, h, w]) => [c, h, w],
            _ => return Err(bad("expected [N, C, H, W] with known C, H and W")),
        };
        self.model.input_shape = shape;
        self.shapes = vec![shape];
        self.values.insert(input.name.clone(), Value::Feature(Feature::of(0, View::Spatial, &input.name)));
        Ok(())
    }

    /// The value `name` (an error if no earlier node produced it).
    pub fn value(&self, node: &NodeProto, name: &str) -> Result<&Value, OnnxError> {
        self.values.get(name).ok_or_else(|| {
            OnnxError::graph(format!("node {} reads {name}, which is not produced before it", node_name(node)))
        })
    }

    /// Input `i` of `node` (`None` if absent or empty).
    pub fn input(&self, node: &NodeProto, i: usize) -> Result<Option<&Value>, OnnxError> {
        match node.input.get(i) {
            Some(name) if !name.is_empty() => self.value(node, name).map(Some),
            _ => Ok(None),
        }
    }

    /// Input `i` of `node`, required.
    pub fn required(&self, node: &NodeProto, i: usize) -> Result<&Value, OnnxError> {
        self.input(node, i)?
            .ok_or_else(|| OnnxError::pattern(node_name(node), &node.op_type, format!("input {i} is missing")))
    }

    /// Input `i` of `node` as a constant.
    pub fn constant(&self, node: &NodeProto, i: usize, what: &str) -> Result<Tensor, OnnxError> {
        match self.required(node, i)? {
            Value::Const(t) => Ok(t.clone()),
            Value::Dims(d) => d.to_const().ok_or_else(|| {
                OnnxError::pattern(node_name(node), &node.op_type, format!("the {what} depends on the batch size"))
            }),
            Value::Feature(_) => Err(OnnxError::pattern(
                node_name(node),
                &node.op_type,
                format!(
                    "the {what} must be a constant (an initializer or constant arithmetic), not computed from the input"
                ),
            )),
        }
    }

    /// The `[C, H, W]` of model value `v`.
    pub fn shape(&self, v: usize) -> [usize; 3] {
        self.shapes[v]
    }

    /// Appends a layer; returns its model value.
    pub fn push(&mut self, hint: &str, layer: Layer, input: usize) -> Result<usize, OnnxError> {
        let base = if hint.is_empty() { "node" } else { hint };
        let mut name = base.to_string();
        let mut k = 1;
        while self.names.contains(&name) {
            name = format!("{base}_{k}");
            k += 1;
        }
        self.names.insert(name.clone());
        self.model.nodes.push(Node { name, layer, input });
        self.shapes = self.model.shapes()?;
        Ok(self.model.nodes.len())
    }

    /// The model tensor `tensor` of the last layer comes unchanged from the constant `value`.
    pub fn record_source(&mut self, value: &str, tensor: &str) {
        if let Some(init) = self.initializer_of.get(value) {
            let node = &self.model.nodes.last().expect("a layer was pushed").name;
            self.initializer_names.push((format!("{node}.{tensor}"), init.clone()));
        }
    }

    /// The model value holding ONNX value `name` (a feature), emitting the layers its
    /// polynomial and view need; cached per ONNX value.
    pub fn materialize(&mut self, node: &NodeProto, name: &str) -> Result<usize, OnnxError> {
        if let Some(&v) = self.materialized.get(name) {
            return Ok(v);
        }
        let feature = match self.value(node, name)? {
            Value::Feature(f) => f.clone(),
            _ => {
                return Err(OnnxError::pattern(
                    node_name(node),
                    &node.op_type,
                    format!("{name} is a constant where the engine expects a value computed from the input"),
                ));
            }
        };
        let v = self.materialize_feature(node, &feature)?;
        self.materialized.insert(name.to_string(), v);
        Ok(v)
    }

    fn materialize_feature(&mut self, node: &NodeProto, f: &Feature) -> Result<usize, OnnxError> {
        let (mut base, poly) = if f.base == 0 { self.on_input(f)? } else { (f.base, f.poly.clone()) };
        if !poly.is_identity() {
            base = self.push_polynomial(node, f, base, &poly)?;
        }
        if let View::Flat { flatten: Some(name) } = &f.view {
            base = self.push(name, Layer::Flatten, base)?;
        }
        Ok(base)
    }

    /// A polynomial of the graph input: the first affine one becomes client-side preprocessing
    /// (unless the raw input is also used); later ones are re-expressed in the preprocessed
    /// input.
    fn on_input(&mut self, f: &Feature) -> Result<(usize, ChannelPoly), OnnxError> {
        let pattern = |e| OnnxError::pattern(&f.label, "(input)", format!("preprocessing coefficients: {e:?}"));
        if let Some(t) = &self.input_transform {
            let inv: Vec<f64> = t.scale.iter().map(|s| 1.0 / s).collect();
            let shift: Vec<f64> = t.scale.iter().zip(&t.shift).map(|(s, o)| -o / s).collect();
            let poly = f.poly.compose_affine(&inv, &shift).map_err(pattern)?;
            return Ok((0, poly));
        }
        if f.poly.is_identity() {
            self.raw_input_used = true;
            return Ok((0, f.poly.clone()));
        }
        let channels = f.poly.channels();
        let scale: Vec<f64> = (0..channels).map(|c| f.poly.coeff(1, c)).collect();
        if !self.raw_input_used && f.poly.degree() <= 1 && scale.iter().all(|&s| s != 0.0) {
            let shift = (0..channels).map(|c| f.poly.coeff(0, c)).collect();
            let transform = InputTransform { scale, shift };
            self.notices.push(format!(
                "element-wise arithmetic on the input (ending at {}) is client-side preprocessing: \
                 x -> {:?} * x + {:?} per channel, applied to the image before encryption",
                f.label, transform.scale, transform.shift
            ));
            self.input_transform = Some(transform);
            return Ok((0, ChannelPoly::identity()));
        }
        self.raw_input_used = true;
        Ok((0, f.poly.clone()))
    }

    fn push_polynomial(
        &mut self,
        node: &NodeProto,
        f: &Feature,
        base: usize,
        poly: &ChannelPoly,
    ) -> Result<usize, OnnxError> {
        let op = if f.label_op.is_empty() { &node.op_type } else { &f.label_op };
        let refuse = |reason: String| OnnxError::pattern(&f.label, op, reason);
        match poly.degree() {
            0 => {
                return Err(refuse(
                    "the expression does not depend on the input (a constant where a feature map is expected)".into(),
                ));
            }
            d if d > 2 => {
                return Err(refuse(format!(
                    "a polynomial activation of degree {d}; the engine evaluates degree 2 (a*x**2 + b*x + c): \
                     retrain with a quadratic activation"
                )));
            }
            _ => {}
        }
        let [c, _, _] = self.shape(base);
        let channels = poly.channels();
        if channels != 1 && channels != c {
            return Err(refuse(format!("coefficients for {channels} channels on a map of {c}")));
        }
        let coeff = |k| (0..channels).map(|ch| poly.coeff(k, ch)).collect();
        let act = PolyActivation { channels, a: coeff(2), b: coeff(1), c: coeff(0) };
        self.push(&f.label, Layer::Activation(act), base)
    }

    /// Binds the outputs of `node`; extra outputs must be unused.
    pub fn bind(&mut self, node: &NodeProto, values: Vec<Value>) -> Result<(), OnnxError> {
        for (i, name) in node.output.iter().enumerate() {
            if name.is_empty() {
                continue;
            }
            match values.get(i) {
                Some(v) => {
                    self.values.insert(name.clone(), v.clone());
                }
                None if self.uses.get(name).copied().unwrap_or(0) == 0 => {}
                None => {
                    return Err(OnnxError::pattern(
                        node_name(node),
                        &node.op_type,
                        format!("output {i} ({name}) is used, but only the main output is supported"),
                    ));
                }
            }
        }
        Ok(())
    }

    fn finish(mut self, graph: &GraphProto) -> Result<ImportedModel, OnnxError> {
        let [output] = graph.output.as_slice() else {
            return Err(OnnxError::graph(format!("expected one output, found {}", graph.output.len())));
        };
        let anchor = NodeProto { name: output.name.clone(), op_type: "(output)".into(), ..NodeProto::default() };
        let v = self.materialize(&anchor, &output.name)?;
        if v == 0 || v != self.model.nodes.len() {
            return Err(OnnxError::graph(format!(
                "the output {} is not computed by the last layer (unused branches, or no layer at all)",
                output.name
            )));
        }
        self.model.shapes()?;
        Ok(ImportedModel {
            model: self.model,
            input_transform: self.input_transform,
            initializer_names: self.initializer_names,
            notices: self.notices,
        })
    }
}
