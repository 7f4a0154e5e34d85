//! Structural operators (convolution, dense layers, pooling, batch norm, flattening, softmax),
//! the operator dispatch, and the refusals with what to use instead.

use onnx_protobuf::NodeProto;

use super::convert::{Feature, Importer, Value, View};
use super::error::OnnxError;
use super::proto::{Attributes, node_name};
use super::shapes::{Dim, reshape_target};
use crate::model::{AvgPool, BatchNorm, Conv2d, Layer, Linear};

const POLYNOMIAL_HINT: &str = "HE evaluates only polynomials: replace it with a trained polynomial activation \
                               a*x**2 + b*x + c (coefficients scalar or per channel)";

const RELU_HINT: &str = "HE evaluates only polynomials: opt in to the ReLU approximation (CLI: --relu approx with \
                         --relu-interval A,B or --relu-calibrate IMAGES; library: ImportOptions::relu), or replace it \
                         with a trained polynomial activation a*x**2 + b*x + c";

/// What to use instead of an operator the engine does not evaluate.
fn refusal_hint(op: &str) -> &'static str {
    match op {
        "Relu" => RELU_HINT,
        "LeakyRelu" | "PRelu" | "Elu" | "Selu" | "Celu" | "Gelu" | "Sigmoid" | "HardSigmoid" | "Tanh"
        | "Softplus" | "Softsign" | "HardSwish" | "Mish" | "ThresholdedRelu" | "Erf" | "Clip" | "Max" | "Min"
        | "Sign" | "Round" => POLYNOMIAL_HINT,
        "MaxPool" | "GlobalMaxPool" | "LpPool" | "GlobalLpPool" | "MaxRoiPool" | "MaxUnpool" => {
            "max pooling compares values, which HE cannot do: use AveragePool (or GlobalAveragePool)"
        }
        "Softmax" | "LogSoftmax" => {
            "only a final Softmax (whose output is the graph output) can be dropped, since argmax is unchanged"
        }
        "LayerNormalization" | "InstanceNormalization" | "GroupNormalization" | "LpNormalization" | "LRN" => {
            "normalising by a data-dependent deviation needs a division: use BatchNormalization (folded at inference)"
        }
        "Pad" => "use the pads attribute of the Conv or AveragePool that follows",
        "ConvTranspose" | "Resize" | "Upsample" | "DepthToSpace" | "SpaceToDepth" => {
            "maps may only keep or shrink their size: use Conv with strides or AveragePool"
        }
        "Transpose" | "Split" | "Tile" | "Expand" | "Where" => {
            "reordering or duplicating feature maps is not supported (it is fine on constants)"
        }
        "If" | "Loop" | "Scan" => "control flow depends on data, which HE cannot inspect",
        _ => "not an operator the encrypted engine evaluates; docs/onnx.md lists the supported ones",
    }
}

/// Square kernel, equal strides, unit dilations, and the `[top, left, bottom, right]` pads of a
/// `Conv` or `AveragePool` on an `height × width` map.
struct Window {
    kernel: usize,
    stride: usize,
    pads: [usize; 4],
}

impl Importer<'_> {
    fn unsupported_attribute(node: &NodeProto, attribute: &str, value: String, hint: &str) -> OnnxError {
        OnnxError::UnsupportedAttribute {
            node: node_name(node).to_string(),
            op_type: node.op_type.clone(),
            attribute: attribute.to_string(),
            value,
            hint: hint.to_string(),
        }
    }

    /// Lowers one node.
    pub(crate) fn lower(&mut self, node: &NodeProto) -> Result<(), OnnxError> {
        if !(node.domain.is_empty() || node.domain == "ai.onnx") {
            return Err(OnnxError::UnsupportedOp {
                node: node_name(node).to_string(),
                op_type: format!("{}::{}", node.domain, node.op_type),
                hint: "operators outside the standard ONNX domain are not supported".into(),
            });
        }
        for input in node.input.iter().filter(|i| !i.is_empty()) {
            self.value(node, input)?;
        }
        let out = match node.op_type.as_str() {
            "Identity" => vec![self.required(node, 0)?.clone()],
            "Dropout" => {
                self.notices.push(format!("Dropout {} dropped (inference)", node_name(node)));
                vec![self.required(node, 0)?.clone()]
            }
            "Constant" => vec![Value::Const(Attributes::of(node).constant(self.limits)?)],
            "Shape" | "Gather" | "Unsqueeze" | "Squeeze" | "Concat" | "Slice" | "Cast" => self.lower_shape_op(node)?,
            "Add" | "Sub" | "Mul" | "Div" | "Pow" => self.lower_binary(node)?,
            "Neg" | "Sqrt" | "Reciprocal" | "Exp" | "Log" | "Abs" => self.lower_unary(node)?,
            "Conv" => self.lower_conv(node)?,
            "Gemm" | "MatMul" => self.lower_dense(node)?,
            "AveragePool" | "GlobalAveragePool" | "ReduceMean" => self.lower_pool(node)?,
            "BatchNormalization" => self.lower_batch_norm(node)?,
            "Flatten" | "Reshape" => self.lower_reshape(node)?,
            "Softmax" | "LogSoftmax" => self.lower_softmax(node)?,
            "Relu" if self.options.relu.is_some() => self.lower_relu(node)?,
            op => {
                return Err(OnnxError::UnsupportedOp {
                    node: node_name(node).to_string(),
                    op_type: op.to_string(),
                    hint: refusal_hint(op).to_string(),
                });
            }
        };
        self.bind(node, out)
    }

    /// The feature at input 0 (refused if it is a constant or shape).
    pub(crate) fn feature(&self, node: &NodeProto) -> Result<Feature, OnnxError> {
        match self.required(node, 0)? {
            Value::Feature(f) => Ok(f.clone()),
            _ => Err(OnnxError::pattern(
                node_name(node),
                &node.op_type,
                "its input is a constant; only constant arithmetic is folded (Add, Sub, Mul, Div, Pow, MatMul, Gemm, reshapes)",
            )),
        }
    }

    fn spatial_feature(&self, node: &NodeProto) -> Result<Feature, OnnxError> {
        let f = self.feature(node)?;
        if f.view != View::Spatial {
            return Err(OnnxError::pattern(
                node_name(node),
                &node.op_type,
                "expects an image map [N, C, H, W], got a flattened one",
            ));
        }
        Ok(f)
    }

    fn output_name(node: &NodeProto) -> String {
        node.output.first().cloned().unwrap_or_default()
    }

    /// Reads kernel, strides, pads, dilations and auto_pad for a map of `height × width`.
    fn window(
        &self,
        node: &NodeProto,
        kernel: Option<[usize; 2]>,
        height: usize,
        width: usize,
    ) -> Result<Window, OnnxError> {
        let attrs = Attributes::of(node);
        let ints2 = |name: &str, default: usize| -> Result<[usize; 2], OnnxError> {
            match attrs.ints(name)? {
                None => Ok([default; 2]),
                Some(v) => match v[..] {
                    [a, b] if a > 0 && b > 0 => Ok([a as usize, b as usize]),
                    _ => Err(Self::unsupported_attribute(
                        node,
                        name,
                        format!("{v:?}"),
                        "expects two positive values (2-D)",
                    )),
                },
            }
        };
        let kernel = match (attrs.has("kernel_shape"), kernel) {
            (true, _) | (false, None) => ints2("kernel_shape", 0)?,
            (false, Some(k)) => k,
        };
        if kernel[0] != kernel[1] || kernel[0] == 0 {
            return Err(Self::unsupported_attribute(node, "kernel_shape", format!("{kernel:?}"), "use square kernels"));
        }
        let strides = ints2("strides", 1)?;
        if strides[0] != strides[1] {
            return Err(Self::unsupported_attribute(
                node,
                "strides",
                format!("{strides:?}"),
                "use equal strides on both axes",
            ));
        }
        let dilations = ints2("dilations", 1)?;
        if dilations != [1, 1] {
            return Err(Self::unsupported_attribute(
                node,
                "dilations",
                format!("{dilations:?}"),
                "use dilation 1 (a larger dense kernel instead)",
            ));
        }
        let (k, s) = (kernel[0], strides[0]);
        let auto_pad = attrs.string("auto_pad")?.unwrap_or_else(|| "NOTSET".into());
        let pads = match auto_pad.as_str() {
            "NOTSET" => match attrs.ints("pads")? {
                None => [0; 4],
                Some(p) if p.len() == 4 && p.iter().all(|&v| (0..k as i64).contains(&v)) => {
                    [p[0] as usize, p[1] as usize, p[2] as usize, p[3] as usize]
                }
                Some(p) => {
                    return Err(Self::unsupported_attribute(
                        node,
                        "pads",
                        format!("{p:?}"),
                        "expects four values in [0, kernel)",
                    ));
                }
            },
            "VALID" => [0; 4],
            "SAME_UPPER" | "SAME_LOWER" => {
                let total = |n: usize| ((n.div_ceil(s) - 1) * s + k).saturating_sub(n);
                let (ty, tx) = (total(height), total(width));
                let upper = auto_pad == "SAME_UPPER";
                let split = |t: usize| if upper { (t / 2, t - t / 2) } else { (t - t / 2, t / 2) };
                let ((top, bottom), (left, right)) = (split(ty), split(tx));
                [top, left, bottom, right]
            }
            other => {
                return Err(Self::unsupported_attribute(node, "auto_pad", other.into(), "use NOTSET, VALID or SAME_*"));
            }
        };
        Ok(Window { kernel: k, stride: s, pads })
    }

    fn lower_conv(&mut self, node: &NodeProto) -> Result<Vec<Value>, OnnxError> {
        let f = self.spatial_feature(node)?;
        let [c, h, w] = self.shape(f.base);
        let weight = self.constant(node, 1, "weight")?;
        let bias = match self.input(node, 2)? {
            Some(_) => Some(self.constant(node, 2, "bias")?),
            None => None,
        };
        let groups = Attributes::of(node).int("group", 1)?;
        let pattern = |reason: String| OnnxError::pattern(node_name(node), "Conv", reason);
        let &[out, group_in, kh, kw] = weight.dims.as_slice() else {
            return Err(pattern(format!(
                "weight of shape {:?}; expected [C_out, C_in/group, k, k] (2-D convolution)",
                weight.dims
            )));
        };
        let groups =
            usize::try_from(groups).ok().filter(|&g| g > 0).ok_or_else(|| pattern(format!("group = {groups}")))?;
        if group_in * groups != c || out % groups != 0 {
            return Err(pattern(format!(
                "weight {:?} with group {groups} does not match {c} input channels",
                weight.dims
            )));
        }
        let win = self.window(node, Some([kh, kw]), h, w)?;
        if [kh, kw] != [win.kernel; 2] {
            return Err(pattern(format!("kernel_shape {} does not match the weight {:?}", win.kernel, weight.dims)));
        }
        if let Some(b) = &bias
            && b.len() != out
        {
            return Err(pattern(format!("bias has {} values for {out} outputs", b.len())));
        }
        let input = self.materialize(node, &node.input[0])?;
        let symmetric = win.pads.iter().all(|&p| p == win.pads[0]);
        let mut conv = Conv2d::new(c, out, win.kernel, win.stride, if symmetric { win.pads[0] } else { 0 }, groups);
        conv.pads = (!symmetric).then_some(win.pads);
        conv.weight = weight.data;
        conv.bias = bias.map(|b| b.data);
        let v = self.push(node_name(node), Layer::Conv2d(conv), input)?;
        self.record_source(&node.input[1], "weight");
        if node.input.len() > 2 && !node.input[2].is_empty() {
            self.record_source(&node.input[2].clone(), "bias");
        }
        self.owners.insert(v, Self::output_name(node));
        Ok(vec![Value::Feature(Feature::of(v, View::Spatial, node_name(node)))])
    }

    /// `Gemm` and `MatMul`: the feature on the left, the weights a constant on the right.
    fn lower_dense(&mut self, node: &NodeProto) -> Result<Vec<Value>, OnnxError> {
        let attrs = Attributes::of(node);
        let gemm = node.op_type == "Gemm";
        let (alpha, beta) = if gemm { (attrs.float("alpha", 1.0)?, attrs.float("beta", 1.0)?) } else { (1.0, 1.0) };
        let (trans_a, trans_b) = if gemm { (attrs.int("transA", 0)?, attrs.int("transB", 0)?) } else { (0, 0) };
        let pattern = |reason: &str| OnnxError::pattern(node_name(node), &node.op_type, reason);
        let bias = match self.input(node, 2)? {
            Some(_) if gemm => Some(self.constant(node, 2, "bias C")?),
            _ => None,
        };
        match (self.required(node, 0)?.clone(), self.required(node, 1)?.clone()) {
            (Value::Const(a), Value::Const(b)) => {
                let a = if trans_a != 0 { a.transposed() } else { Some(a) };
                let b = if trans_b != 0 { b.transposed() } else { Some(b) };
                let mut y = a
                    .zip(b)
                    .and_then(|(a, b)| a.matmul(&b))
                    .ok_or_else(|| pattern("constant operands of rank 2 only"))?;
                y = y.map(|v| alpha * v);
                if let Some(c) = bias {
                    y = y
                        .broadcast(&c.map(|v| beta * v), self.limits.max_tensor_elements, |p, q| p + q)
                        .ok_or_else(|| pattern("C does not broadcast"))?;
                }
                Ok(vec![Value::Const(y)])
            }
            (Value::Feature(f), Value::Const(b)) => {
                if trans_a != 0 {
                    return Err(pattern("transA = 1 on the input; export Gemm(input, weight) with transA = 0"));
                }
                if f.view == View::Spatial {
                    return Err(pattern("the input is an image map; flatten it first (Flatten or Reshape to [N, -1])"));
                }
                let [c, h, w] = self.shape(f.base);
                let features = c * h * w;
                let b = if trans_b != 0 { b.transposed() } else { Some(b) };
                let weight = b.and_then(|t| t.transposed()).filter(|t| t.dims.len() == 2 && t.dims[1] == features).ok_or_else(|| {
                    pattern(&format!("the weight does not map {features} features (expected [{features}, out], or [out, {features}] with transB = 1)"))
                })?;
                let outputs = weight.dims[0];
                let bias = match bias {
                    None => None,
                    Some(c)
                        if c.len() == 1 || c.len() == outputs && c.dims.iter().filter(|&&d| d != 1).count() <= 1 =>
                    {
                        Some((0..outputs).map(|o| beta * c.data[if c.len() == 1 { 0 } else { o }]).collect())
                    }
                    Some(c) => return Err(pattern(&format!("bias C of shape {:?} for {outputs} outputs", c.dims))),
                };
                let input = self.materialize(node, &node.input[0])?;
                let fc = Linear {
                    in_features: features,
                    out_features: outputs,
                    weight: weight.map(|v| alpha * v).data,
                    bias,
                };
                let v = self.push(node_name(node), Layer::Linear(fc), input)?;
                if alpha == 1.0 && (trans_b != 0) {
                    self.record_source(&node.input[1], "weight");
                }
                if beta == 1.0 && node.input.get(2).is_some_and(|c| !c.is_empty()) {
                    self.record_source(&node.input[2].clone(), "bias");
                }
                self.owners.insert(v, Self::output_name(node));
                Ok(vec![Value::Feature(Feature::of(v, View::Flat { flatten: None }, node_name(node)))])
            }
            _ => Err(pattern("expects the input on the left and a constant weight on the right")),
        }
    }

    fn lower_pool(&mut self, node: &NodeProto) -> Result<Vec<Value>, OnnxError> {
        let f = self.spatial_feature(node)?;
        let [_, h, w] = self.shape(f.base);
        let attrs = Attributes::of(node);
        let (layer, view) = match node.op_type.as_str() {
            "GlobalAveragePool" => (Layer::GlobalAvgPool, View::Spatial),
            "ReduceMean" => {
                let axes = match attrs.ints("axes")? {
                    Some(a) => Some(a),
                    None => match self.input(node, 1)? {
                        Some(_) => self.constant(node, 1, "axes")?.as_ints(),
                        None => None,
                    },
                };
                let mut axes: Vec<i64> =
                    axes.unwrap_or_default().iter().map(|&a| if a < 0 { a + 4 } else { a }).collect();
                axes.sort_unstable();
                if axes != [2, 3] {
                    return Err(Self::unsupported_attribute(
                        node,
                        "axes",
                        format!("{axes:?}"),
                        "only the mean over both spatial axes (2, 3) is a global pooling",
                    ));
                }
                let keep = attrs.int("keepdims", 1)? != 0;
                (Layer::GlobalAvgPool, if keep { View::Spatial } else { View::Flat { flatten: None } })
            }
            _ => {
                let win = self.window(node, None, h, w)?;
                let count_include_pad = attrs.int("count_include_pad", 0)? != 0;
                let pool = AvgPool { kernel: win.kernel, stride: win.stride, pads: win.pads, count_include_pad };
                let floor = pool.out_shape(h, w).ok_or_else(|| {
                    OnnxError::pattern(node_name(node), "AveragePool", "the window is larger than the padded map")
                })?;
                if attrs.int("ceil_mode", 0)? != 0 {
                    let [t, l, b, r] = win.pads;
                    let ceil = |n: usize, p: usize| (n + p - win.kernel).div_ceil(win.stride) + 1;
                    if [ceil(h, t + b), ceil(w, l + r)] != floor {
                        return Err(Self::unsupported_attribute(
                            node,
                            "ceil_mode",
                            "1".into(),
                            "use ceil_mode = 0 (or sizes where both agree)",
                        ));
                    }
                }
                let layer = if win.kernel == 2 && win.stride == 2 && !pool.is_padded() {
                    Layer::AvgPool2
                } else if !pool.is_padded() && win.kernel == h && win.kernel == w {
                    Layer::GlobalAvgPool
                } else {
                    Layer::AvgPool(pool)
                };
                (layer, View::Spatial)
            }
        };
        let input = self.materialize(node, &node.input[0])?;
        let v = self.push(node_name(node), layer, input)?;
        Ok(vec![Value::Feature(Feature::of(v, view, node_name(node)))])
    }

    fn lower_batch_norm(&mut self, node: &NodeProto) -> Result<Vec<Value>, OnnxError> {
        let f = self.feature(node)?;
        let attrs = Attributes::of(node);
        if attrs.int("training_mode", 0)? != 0 {
            return Err(Self::unsupported_attribute(
                node,
                "training_mode",
                "1".into(),
                "export the model in evaluation mode",
            ));
        }
        if matches!(f.view, View::Flat { flatten: Some(_) }) {
            return Err(OnnxError::pattern(
                node_name(node),
                "BatchNormalization",
                "batch norm after flattening a map: normalise before flattening",
            ));
        }
        let channels = self.shape(f.base)[0];
        let mut params = Vec::new();
        for (i, what) in [(1, "scale"), (2, "B"), (3, "mean"), (4, "var")] {
            let t = self.constant(node, i, what)?;
            if t.len() != channels {
                return Err(OnnxError::pattern(
                    node_name(node),
                    "BatchNormalization",
                    format!("{what} has {} values for {channels} channels", t.len()),
                ));
            }
            params.push(t.data);
        }
        let [gamma, beta, mean, var]: [Vec<f64>; 4] = params.try_into().unwrap_or_default();
        let bn = BatchNorm { channels, gamma, beta, mean, var, eps: attrs.float("epsilon", 1e-5)? };
        let input = self.materialize(node, &node.input[0])?;
        let v = self.push(node_name(node), Layer::BatchNorm(bn), input)?;
        for (i, tensor) in [(1, "weight"), (2, "bias"), (3, "running_mean"), (4, "running_var")] {
            self.record_source(&node.input[i].clone(), tensor);
        }
        Ok(vec![Value::Feature(Feature::of(v, f.view, node_name(node)))])
    }

    fn lower_reshape(&mut self, node: &NodeProto) -> Result<Vec<Value>, OnnxError> {
        let f = match self.required(node, 0)?.clone() {
            Value::Const(t) => return Ok(vec![Value::Const(self.reshape_constant(node, &t)?)]),
            Value::Dims(_) => {
                return Err(OnnxError::pattern(node_name(node), &node.op_type, "reshaping a shape is not supported"));
            }
            Value::Feature(f) => f,
        };
        let [c, h, w] = self.shape(f.base);
        let flat = |f: &Feature| {
            let view = match &f.view {
                View::Spatial => View::Flat { flatten: Some(node_name(node).to_string()) },
                view => view.clone(),
            };
            Value::Feature(Feature { view, ..f.clone() })
        };
        if node.op_type == "Flatten" {
            let axis = Attributes::of(node).int("axis", 1)?;
            let rank = if f.view == View::Spatial { 4 } else { 2 };
            if axis != 1 && axis != 1 - rank {
                return Err(Self::unsupported_attribute(
                    node,
                    "axis",
                    axis.to_string(),
                    "flatten everything but the batch (axis = 1)",
                ));
            }
            return Ok(vec![flat(&f)]);
        }
        let target = self.input(node, 1)?.and_then(reshape_target).ok_or_else(|| {
            OnnxError::pattern(
                node_name(node),
                "Reshape",
                "the target shape must be constant (or computed from shapes)",
            )
        })?;
        let batch = |d: &Dim| matches!(d, Dim::Batch | Dim::Known(0 | 1));
        let features = (c * h * w) as i64;
        let same_map = target.len() == 4
            && f.view == View::Spatial
            && batch(&target[0])
            && target[1..] == [Dim::Known(c as i64), Dim::Known(h as i64), Dim::Known(w as i64)];
        let to_flat = target.len() == 2
            && (batch(&target[0]) && matches!(target[1], Dim::Known(-1))
                || target[1] == Dim::Known(features) && (batch(&target[0]) || target[0] == Dim::Known(-1)));
        if same_map {
            Ok(vec![Value::Feature(f)])
        } else if to_flat {
            Ok(vec![flat(&f)])
        } else {
            Err(OnnxError::pattern(
                node_name(node),
                "Reshape",
                format!("target {target:?}: only flattening to [N, -1] is supported"),
            ))
        }
    }

    fn lower_softmax(&mut self, node: &NodeProto) -> Result<Vec<Value>, OnnxError> {
        let f = self.feature(node)?;
        let output = Self::output_name(node);
        let axis = Attributes::of(node).int("axis", -1)?;
        let last_axis = match f.view {
            View::Spatial => axis == 1 && self.shape(f.base)[1] * self.shape(f.base)[2] == 1,
            View::Flat { .. } => axis == 1 || axis == -1,
        };
        if !(self.graph_outputs.contains(&output) && self.uses.get(&output) == Some(&1) && last_axis) {
            return Err(OnnxError::UnsupportedOp {
                node: node_name(node).to_string(),
                op_type: node.op_type.clone(),
                hint: refusal_hint("Softmax").into(),
            });
        }
        self.notices.push(format!(
            "final {} {} dropped: the class (argmax) is unchanged; the outputs are logits",
            node.op_type,
            node_name(node)
        ));
        Ok(vec![Value::Feature(f)])
    }
}
