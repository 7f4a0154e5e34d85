//! Element-wise operations: constant folding, polynomial recognition on feature maps, bias
//! folding after linear layers, and residual additions of two maps.

use onnx_protobuf::NodeProto;

use super::convert::{Feature, Importer, Value, View};
use super::error::OnnxError;
use super::poly::{ChannelPoly, MAX_TRACKED_DEGREE, PolyError};
use super::proto::node_name;
use super::tensor::Tensor;
use crate::model::Layer;

impl Importer<'_> {
    fn poly_error(&self, node: &NodeProto, e: PolyError) -> OnnxError {
        let reason = match e {
            PolyError::Degree(d) => format!(
                "the expression reaches degree {d} (more than {MAX_TRACKED_DEGREE}); the engine evaluates \
                 polynomial activations of degree 2: use a*x**2 + b*x + c"
            ),
            PolyError::Channels(a, b) => format!("coefficients for {a} and for {b} channels do not combine"),
        };
        OnnxError::pattern(node_name(node), &node.op_type, reason)
    }

    /// The per-channel values of constant `c` broadcast against feature `f` (length 1 for a
    /// scalar), refused if it varies along the batch or a spatial axis.
    fn channel_coeffs(&self, node: &NodeProto, f: &Feature, c: &Tensor) -> Result<Vec<f64>, OnnxError> {
        let [ch, h, w] = self.shape(f.base);
        let (dims, channel_axis) = match f.view {
            View::Spatial => (vec![1, ch, h, w], 1),
            View::Flat { .. } => (vec![1, ch * h * w], 1),
        };
        let refuse = |why: &str| {
            OnnxError::pattern(
                node_name(node),
                &node.op_type,
                format!(
                    "constant of shape {:?} on a map of shape {dims:?}: {why}; use a scalar or per-channel constant ([C], [1, C, 1, 1])",
                    c.dims
                ),
            )
        };
        if c.dims.len() > dims.len() {
            return Err(refuse("it has more dimensions than the map"));
        }
        let offset = dims.len() - c.dims.len();
        let mut per_channel = false;
        for (i, &d) in c.dims.iter().enumerate() {
            match d {
                1 => {}
                d if i + offset == channel_axis && d == dims[channel_axis] => per_channel = true,
                _ => return Err(refuse("it varies along the batch or the pixels")),
            }
        }
        if !per_channel {
            return Ok(vec![c.data.first().copied().unwrap_or(0.0)]);
        }
        match f.view {
            View::Flat { .. } if h * w > 1 => {
                // One value per flattened feature: it must be constant on each channel's pixels.
                let blocks: Vec<&[f64]> = c.data.chunks(h * w).collect();
                if blocks.iter().any(|b| b.iter().any(|&v| v != b[0])) {
                    return Err(refuse(
                        "after flattening a map, per-feature constants must be equal over each channel's pixels",
                    ));
                }
                Ok(blocks.iter().map(|b| b[0]).collect())
            }
            _ => Ok(c.data.clone()),
        }
    }

    fn with_poly(f: &Feature, poly: ChannelPoly, node: &NodeProto) -> Value {
        Value::Feature(Feature {
            base: f.base,
            poly,
            view: f.view.clone(),
            label: node_name(node).to_string(),
            label_op: node.op_type.clone(),
        })
    }

    pub(crate) fn lower_binary(&mut self, node: &NodeProto) -> Result<Vec<Value>, OnnxError> {
        let (a, b) = (self.required(node, 0)?.clone(), self.required(node, 1)?.clone());
        let op = node.op_type.as_str();
        let out = match (&a, &b) {
            (Value::Const(x), Value::Const(y)) => Value::Const(self.fold_binary(node, x, y)?),
            (Value::Dims(_), _) | (_, Value::Dims(_)) => {
                return Err(OnnxError::pattern(node_name(node), op, "arithmetic on shapes is not supported"));
            }
            (Value::Feature(f), Value::Const(c)) => {
                let k = self.channel_coeffs(node, f, c)?;
                let neg: Vec<f64> = k.iter().map(|v| -v).collect();
                let inv: Vec<f64> = k.iter().map(|v| 1.0 / v).collect();
                if op == "Add" || op == "Sub" {
                    let shift = if op == "Add" { &k } else { &neg };
                    if let Some(v) = self.fold_into_bias(node, f, shift)? {
                        return Ok(vec![v]);
                    }
                }
                let poly = match op {
                    "Add" => f.poly.add_constant(&k),
                    "Sub" => f.poly.add_constant(&neg),
                    "Mul" => f.poly.scale(&k),
                    "Div" if k.iter().all(|&v| v != 0.0) => f.poly.scale(&inv),
                    "Div" => return Err(OnnxError::pattern(node_name(node), op, "division by zero")),
                    _ => {
                        let e = c.data.first().copied().filter(|_| c.len() == 1);
                        match e {
                            Some(e) if e >= 0.0 && e.fract() == 0.0 && e <= MAX_TRACKED_DEGREE as f64 => {
                                f.poly.pow(e as usize)
                            }
                            _ => {
                                return Err(OnnxError::pattern(
                                    node_name(node),
                                    op,
                                    "the exponent must be a scalar integer constant (e.g. x**2)",
                                ));
                            }
                        }
                    }
                }
                .map_err(|e| self.poly_error(node, e))?;
                Self::with_poly(f, poly, node)
            }
            (Value::Const(c), Value::Feature(f)) => {
                let k = self.channel_coeffs(node, f, c)?;
                let poly = match op {
                    "Add" => f.poly.add_constant(&k),
                    "Mul" => f.poly.scale(&k),
                    "Sub" => f.poly.scale(&[-1.0]).and_then(|p| p.add_constant(&k)),
                    _ => {
                        return Err(OnnxError::pattern(
                            node_name(node),
                            op,
                            "a constant divided by or raised to a feature map is not a polynomial",
                        ));
                    }
                }
                .map_err(|e| self.poly_error(node, e))?;
                Self::with_poly(f, poly, node)
            }
            (Value::Feature(f), Value::Feature(g)) if f.base == g.base && f.view == g.view => {
                let poly = match op {
                    "Add" => f.poly.add(&g.poly),
                    "Sub" => g.poly.scale(&[-1.0]).and_then(|n| f.poly.add(&n)),
                    "Mul" => f.poly.mul(&g.poly),
                    _ => {
                        return Err(OnnxError::pattern(
                            node_name(node),
                            op,
                            "division or power between feature maps is not a polynomial",
                        ));
                    }
                }
                .map_err(|e| self.poly_error(node, e))?;
                Self::with_poly(f, poly, node)
            }
            (Value::Feature(_), Value::Feature(g)) if op == "Add" || op == "Sub" => {
                let negated = if op == "Sub" {
                    let mut negated = g.clone();
                    negated.poly = g.poly.scale(&[-1.0]).map_err(|e| self.poly_error(node, e))?;
                    negated.label = format!("{}.negate", node_name(node));
                    negated.label_op = node.op_type.clone();
                    Some(negated)
                } else {
                    None
                };
                self.residual_add(node, g, negated)?
            }
            _ => {
                return Err(OnnxError::pattern(
                    node_name(node),
                    op,
                    "a product or quotient of two different feature maps is not supported; activations must be \
                     polynomials of one map",
                ));
            }
        };
        Ok(vec![out])
    }

    fn fold_binary(&self, node: &NodeProto, x: &Tensor, y: &Tensor) -> Result<Tensor, OnnxError> {
        let f: fn(f64, f64) -> f64 = match node.op_type.as_str() {
            "Add" => |a, b| a + b,
            "Sub" => |a, b| a - b,
            "Mul" => |a, b| a * b,
            "Div" => |a, b| a / b,
            _ => f64::powf,
        };
        let out = x.broadcast(y, self.limits.max_tensor_elements, f).ok_or_else(|| {
            OnnxError::pattern(
                node_name(node),
                &node.op_type,
                format!("constants of shapes {:?} and {:?} do not broadcast (or are too large)", x.dims, y.dims),
            )
        })?;
        if out.data.iter().any(|v| !v.is_finite()) {
            return Err(OnnxError::pattern(
                node_name(node),
                &node.op_type,
                "constant arithmetic gives a non-finite value",
            ));
        }
        Ok(out)
    }

    /// Adds `shift` to the bias of the linear layer whose output `f` is, when nothing else reads
    /// that output (the exported form of `MatMul` + `Add`, or a bias added after a convolution).
    fn fold_into_bias(&mut self, node: &NodeProto, f: &Feature, shift: &[f64]) -> Result<Option<Value>, OnnxError> {
        let input = &node.input[0];
        let alone = self.uses.get(input) == Some(&1) && !self.graph_outputs.contains(input);
        if !f.poly.is_identity() || !alone || self.owners.get(&f.base) != Some(input) {
            return Ok(None);
        }
        let layer = &mut self.model.nodes[f.base - 1].layer;
        let bias = match layer {
            Layer::Conv2d(conv) => conv.bias.get_or_insert_with(|| vec![0.0; conv.out_channels]),
            Layer::Linear(fc) => fc.bias.get_or_insert_with(|| vec![0.0; fc.out_features]),
            _ => return Ok(None),
        };
        let was_zero = bias.iter().all(|&b| b == 0.0);
        for (o, b) in bias.iter_mut().enumerate() {
            *b += if shift.len() == 1 { shift[0] } else { shift[o] };
        }
        let layer_name = self.model.nodes[f.base - 1].name.clone();
        let tensor = format!("{layer_name}.bias");
        self.initializer_names.retain(|(t, _)| *t != tensor);
        if was_zero && node.op_type == "Add" {
            self.record_source(&node.input[1], "bias");
        }
        let output = node.output.first().cloned().unwrap_or_default();
        self.owners.insert(f.base, output);
        Ok(Some(Value::Feature(f.clone())))
    }

    /// `f + g` (or `f − g` with `negated` = `−g`) of two different model values: a residual
    /// addition layer.
    fn residual_add(&mut self, node: &NodeProto, g: &Feature, negated: Option<Feature>) -> Result<Value, OnnxError> {
        let spatial = |v: Option<&Value>| matches!(v, Some(Value::Feature(Feature { view: View::Spatial, .. })));
        let a_spatial = spatial(self.values.get(&node.input[0]));
        if a_spatial != (g.view == View::Spatial) {
            return Err(OnnxError::pattern(node_name(node), &node.op_type, "adds an image map and a flattened one"));
        }
        let a = self.materialize(node, &node.input[0].clone())?;
        let b = match negated {
            None => self.materialize(node, &node.input[1].clone())?,
            Some(negated) => {
                let key = format!("{}#negated", node.input[1]);
                self.values.insert(key.clone(), Value::Feature(negated));
                self.materialize(node, &key)?
            }
        };
        if self.shape(a) != self.shape(b) {
            return Err(OnnxError::pattern(
                node_name(node),
                &node.op_type,
                format!("adds maps of shapes {:?} and {:?}", self.shape(a), self.shape(b)),
            ));
        }
        let v = self.push(node_name(node), Layer::Add { other: b }, a)?;
        let view = if a_spatial { View::Spatial } else { View::Flat { flatten: None } };
        Ok(Value::Feature(Feature::of(v, view, node_name(node))))
    }

    /// `Neg` on anything; other unary operations on constants only.
    pub(crate) fn lower_unary(&mut self, node: &NodeProto) -> Result<Vec<Value>, OnnxError> {
        let op = node.op_type.as_str();
        let out = match self.required(node, 0)?.clone() {
            Value::Feature(f) if op == "Neg" => {
                let poly = f.poly.scale(&[-1.0]).map_err(|e| self.poly_error(node, e))?;
                Self::with_poly(&f, poly, node)
            }
            Value::Const(t) => {
                let f: fn(f64) -> f64 = match op {
                    "Neg" => |v| -v,
                    "Sqrt" => f64::sqrt,
                    "Reciprocal" => |v| 1.0 / v,
                    "Exp" => f64::exp,
                    "Log" => f64::ln,
                    _ => f64::abs,
                };
                let out = t.map(f);
                if out.data.iter().any(|v| !v.is_finite()) {
                    return Err(OnnxError::pattern(
                        node_name(node),
                        op,
                        "constant arithmetic gives a non-finite value",
                    ));
                }
                Value::Const(out)
            }
            _ => {
                return Err(OnnxError::UnsupportedOp {
                    node: node_name(node).to_string(),
                    op_type: op.to_string(),
                    hint:
                        "HE evaluates only polynomials of the input: replace it with a trained polynomial activation \
                           a*x**2 + b*x + c"
                            .into(),
                });
            }
        };
        Ok(vec![out])
    }
}
