//! Shape computations (`Shape`, `Gather`, `Unsqueeze`, `Squeeze`, `Concat`, `Slice`, `Cast`,
//! constant `Reshape`/`Flatten`) on constants and on symbolic shapes whose batch size is unknown,
//! as exporters write `x.view(x.size(0), -1)`.

use onnx_protobuf::NodeProto;

use super::convert::{Importer, Value, View};
use super::error::OnnxError;
use super::proto::{Attributes, node_name};
use super::tensor::{Tensor, TensorKind, normalize_axis};

/// One entry of a symbolic shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Dim {
    Known(i64),
    /// The batch size (symbolic or 1).
    Batch,
}

/// An integer vector (or scalar) that may hold the batch size.
#[derive(Clone, Debug, PartialEq)]
pub(crate) struct Dims {
    pub values: Vec<Dim>,
    /// Rank 0 (one value).
    pub scalar: bool,
}

impl Dims {
    /// The constant, if no entry is the batch size.
    pub fn to_const(&self) -> Option<Tensor> {
        let ints: Option<Vec<i64>> =
            self.values.iter().map(|d| if let Dim::Known(v) = d { Some(*v) } else { None }).collect();
        let mut t = Tensor::ints(&ints?);
        if self.scalar {
            t.dims.clear();
        }
        Some(t)
    }

    fn from_const(t: &Tensor) -> Option<Dims> {
        (t.kind == TensorKind::Int && t.dims.len() <= 1).then(|| Dims {
            values: t.as_ints().unwrap_or_default().into_iter().map(Dim::Known).collect(),
            scalar: t.dims.is_empty(),
        })
    }

    /// A constant when possible, else the symbolic value.
    fn into_value(self) -> Value {
        match self.to_const() {
            Some(t) => Value::Const(t),
            None => Value::Dims(self),
        }
    }
}

/// The target of a `Reshape`, as given.
pub(crate) fn reshape_target(value: &Value) -> Option<Vec<Dim>> {
    match value {
        Value::Const(t) => Dims::from_const(t).map(|d| d.values),
        Value::Dims(d) => Some(d.values.clone()),
        Value::Feature(_) => None,
    }
}

/// Resolves `0` (copy) and `-1` (infer) in a reshape of a constant of dimensions `dims`.
fn resolve(dims: &[usize], target: &[i64]) -> Option<Vec<usize>> {
    let total: usize = dims.iter().product();
    let mut out = Vec::with_capacity(target.len());
    let mut infer = None;
    for (i, &t) in target.iter().enumerate() {
        match t {
            -1 if infer.is_none() => {
                infer = Some(i);
                out.push(1);
            }
            0 => out.push(*dims.get(i)?),
            t if t > 0 => out.push(t as usize),
            _ => return None,
        }
    }
    if let Some(i) = infer {
        let known: usize = out.iter().product();
        if known == 0 || !total.is_multiple_of(known) {
            return None;
        }
        out[i] = total / known;
    }
    (out.iter().product::<usize>() == total).then_some(out)
}

impl Importer<'_> {
    fn shape_error(&self, node: &NodeProto, reason: &str) -> OnnxError {
        OnnxError::pattern(node_name(node), &node.op_type, reason)
    }

    /// An input that is a constant or a symbolic shape, as symbolic dims (rank ≤ 1).
    fn dims_input(&self, node: &NodeProto, i: usize) -> Result<Dims, OnnxError> {
        match self.required(node, i)? {
            Value::Dims(d) => Ok(d.clone()),
            Value::Const(t) => Dims::from_const(t).ok_or_else(|| self.shape_error(node, "expects an integer vector")),
            Value::Feature(_) => Err(self.feature_refusal(node)),
        }
    }

    fn feature_refusal(&self, node: &NodeProto) -> OnnxError {
        OnnxError::UnsupportedOp {
            node: node_name(node).to_string(),
            op_type: node.op_type.clone(),
            hint: "reordering, slicing or concatenating feature maps is not supported; only shape computations \
                   and constants may use it"
                .into(),
        }
    }

    /// Integer list from an attribute or (newer opsets) an input.
    fn axes(&self, node: &NodeProto, input: usize) -> Result<Option<Vec<i64>>, OnnxError> {
        if let Some(axes) = Attributes::of(node).ints("axes")? {
            return Ok(Some(axes));
        }
        match self.input(node, input)? {
            None => Ok(None),
            Some(_) => {
                let t = self.constant(node, input, "axes")?;
                t.as_ints().map(Some).ok_or_else(|| self.shape_error(node, "axes are not integers"))
            }
        }
    }

    pub(crate) fn lower_shape_op(&mut self, node: &NodeProto) -> Result<Vec<Value>, OnnxError> {
        let attrs = Attributes::of(node);
        let out = match node.op_type.as_str() {
            "Shape" => {
                let values: Vec<Dim> = match self.required(node, 0)? {
                    Value::Feature(f) => {
                        let [c, h, w] = self.shape(f.base);
                        match f.view {
                            View::Spatial => {
                                vec![Dim::Batch, Dim::Known(c as i64), Dim::Known(h as i64), Dim::Known(w as i64)]
                            }
                            View::Flat { .. } => vec![Dim::Batch, Dim::Known((c * h * w) as i64)],
                        }
                    }
                    Value::Const(t) => t.dims.iter().map(|&d| Dim::Known(d as i64)).collect(),
                    Value::Dims(d) => {
                        if d.scalar {
                            vec![]
                        } else {
                            vec![Dim::Known(d.values.len() as i64)]
                        }
                    }
                };
                let rank = values.len() as i64;
                let clamp = |v: i64| (if v < 0 { v + rank } else { v }).clamp(0, rank) as usize;
                let (start, end) = (clamp(attrs.int("start", 0)?), clamp(attrs.int("end", rank)?));
                Dims { values: values[start.min(end)..end].to_vec(), scalar: false }.into_value()
            }
            "Gather" => {
                let indices = self.constant(node, 1, "indices")?;
                let idx = indices.as_ints().ok_or_else(|| self.shape_error(node, "indices are not integers"))?;
                let scalar = indices.dims.is_empty();
                if attrs.int("axis", 0)? != 0 {
                    return Err(
                        self.shape_error(node, "only gathers along axis 0 of constants and shapes are supported")
                    );
                }
                match self.required(node, 0)? {
                    Value::Const(t) => Value::Const(
                        t.gather0(&idx, scalar).ok_or_else(|| self.shape_error(node, "index out of range"))?,
                    ),
                    _ => {
                        let d = self.dims_input(node, 0)?;
                        let n = d.values.len() as i64;
                        let picked: Option<Vec<Dim>> = idx
                            .iter()
                            .map(|&i| d.values.get((if i < 0 { i + n } else { i }) as usize).copied())
                            .collect();
                        let values = picked.ok_or_else(|| self.shape_error(node, "index out of range"))?;
                        Dims { values, scalar }.into_value()
                    }
                }
            }
            "Unsqueeze" | "Squeeze" => {
                let axes = self.axes(node, 1)?;
                match self.required(node, 0)?.clone() {
                    Value::Const(t) => {
                        let dims = if node.op_type == "Unsqueeze" {
                            let axes = axes.ok_or_else(|| self.shape_error(node, "needs axes"))?;
                            let rank = t.dims.len() + axes.len();
                            let axes: Option<Vec<usize>> = axes.iter().map(|&a| normalize_axis(a, rank)).collect();
                            let axes = axes.ok_or_else(|| self.shape_error(node, "axis out of range"))?;
                            let mut rest = t.dims.iter().copied();
                            (0..rank)
                                .map(|i| if axes.contains(&i) { Some(1) } else { rest.next() })
                                .collect::<Option<Vec<_>>>()
                        } else {
                            let rank = t.dims.len();
                            let axes: Option<Vec<usize>> = match axes {
                                Some(a) => a.iter().map(|&a| normalize_axis(a, rank)).collect(),
                                None => Some((0..rank).filter(|&i| t.dims[i] == 1).collect()),
                            };
                            let axes = axes.ok_or_else(|| self.shape_error(node, "axis out of range"))?;
                            Some(
                                t.dims.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect(),
                            )
                        };
                        let reshaped = dims.and_then(|d| t.reshaped(d));
                        Value::Const(reshaped.ok_or_else(|| self.shape_error(node, "invalid axes"))?)
                    }
                    Value::Dims(d) => match (node.op_type.as_str(), d.scalar, axes.as_deref()) {
                        ("Unsqueeze", true, Some([0])) => Value::Dims(Dims { scalar: false, ..d }),
                        ("Squeeze", false, Some([0]) | None) if d.values.len() == 1 => {
                            Value::Dims(Dims { scalar: true, ..d })
                        }
                        _ => return Err(self.shape_error(node, "unsupported axes on a shape")),
                    },
                    Value::Feature(_) => return Err(self.feature_refusal(node)),
                }
            }
            "Concat" => {
                let inputs: Vec<&Value> =
                    (0..node.input.len()).map(|i| self.required(node, i)).collect::<Result<_, _>>()?;
                if inputs.iter().all(|v| matches!(v, Value::Const(_))) {
                    let parts: Vec<Tensor> = inputs
                        .iter()
                        .map(|v| if let Value::Const(t) = v { t.clone() } else { unreachable!() })
                        .collect();
                    let rank = parts.first().map_or(0, |p| p.dims.len());
                    let axis = normalize_axis(attrs.int("axis", 0)?, rank)
                        .ok_or_else(|| self.shape_error(node, "axis out of range"))?;
                    Value::Const(
                        Tensor::concat(&parts, axis)
                            .ok_or_else(|| self.shape_error(node, "shapes do not concatenate"))?,
                    )
                } else {
                    let mut values = Vec::new();
                    for i in 0..node.input.len() {
                        values.extend(self.dims_input(node, i)?.values);
                    }
                    Dims { values, scalar: false }.into_value()
                }
            }
            "Slice" => {
                let d = self.dims_input(node, 0)?;
                let get = |i: usize, what: &str| -> Result<Option<Vec<i64>>, OnnxError> {
                    match self.input(node, i)? {
                        None => Ok(None),
                        Some(_) => self.constant(node, i, what).map(|t| t.as_ints()),
                    }
                };
                let (starts, ends) = (get(1, "starts")?, get(2, "ends")?);
                let (axes, steps) = (get(3, "axes")?, get(4, "steps")?);
                let ok = axes.as_deref().is_none_or(|a| a == [0]) && steps.as_deref().is_none_or(|s| s == [1]);
                let (Some([start]), Some([end]), true) = (starts.as_deref(), ends.as_deref(), ok) else {
                    return Err(
                        self.shape_error(node, "only one-dimensional slices with step 1 of shapes are supported")
                    );
                };
                let n = d.values.len() as i64;
                let clampi = |v: i64| (if v < 0 { v + n } else { v }).clamp(0, n) as usize;
                let (s, e) = (clampi(*start), clampi(*end));
                Dims { values: d.values[s.min(e)..e].to_vec(), scalar: false }.into_value()
            }
            "Cast" => {
                let to = attrs.int("to", 1)?;
                let float = [1, 10, 11, 16].contains(&to);
                match self.required(node, 0)?.clone() {
                    Value::Const(t) if float => Value::Const(Tensor { kind: TensorKind::Float, ..t }),
                    Value::Const(t) => Value::Const(Tensor { kind: TensorKind::Int, ..t.map(f64::trunc) }),
                    Value::Feature(f) if float => Value::Feature(f),
                    Value::Dims(d) if !float => Value::Dims(d),
                    _ => {
                        return Err(self.shape_error(
                            node,
                            "casts between numbers and integers of computed values are not supported",
                        ));
                    }
                }
            }
            _ => return Err(self.shape_error(node, "not a shape operation")),
        };
        Ok(vec![out])
    }

    /// `Reshape` or `Flatten` of a constant.
    pub(crate) fn reshape_constant(&self, node: &NodeProto, t: &Tensor) -> Result<Tensor, OnnxError> {
        let dims = if node.op_type == "Flatten" {
            let rank = t.dims.len();
            let axis = normalize_axis(Attributes::of(node).int("axis", 1)?, rank + 1)
                .ok_or_else(|| self.shape_error(node, "axis out of range"))?;
            vec![t.dims[..axis].iter().product(), t.dims[axis..].iter().product()]
        } else {
            let target = self
                .constant(node, 1, "shape")?
                .as_ints()
                .ok_or_else(|| self.shape_error(node, "shape is not integers"))?;
            resolve(&t.dims, &target).ok_or_else(|| self.shape_error(node, "invalid target shape"))?
        };
        t.reshaped(dims).ok_or_else(|| self.shape_error(node, "element counts differ"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reshape_targets_resolve_copy_and_infer() {
        assert_eq!(resolve(&[2, 3, 4], &[0, -1]), Some(vec![2, 12]));
        assert_eq!(resolve(&[2, 3, 4], &[-1]), Some(vec![24]));
        assert_eq!(resolve(&[2, 3, 4], &[5, -1]), None);
        assert_eq!(resolve(&[2, 3, 4], &[-1, -1]), None);
        let dims = Dims { values: vec![Dim::Batch, Dim::Known(-1)], scalar: false };
        assert!(dims.to_const().is_none());
        let known = Dims { values: vec![Dim::Known(1), Dim::Known(-1)], scalar: false };
        assert_eq!(known.to_const().unwrap().as_ints().unwrap(), vec![1, -1]);
    }
}
