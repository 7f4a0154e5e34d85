//! Loading and saving model parameters as safetensors.
//!
//! Tensor names (documented in
//! [`docs/planner.md`](https://github.com/spencnn/spencnn/blob/main/docs/planner.md)), for a node named `N`:
//! - convolution: `N.weight` `[C_out, C_in/groups, k, k]`, `N.bias` `[C_out]` (if the layer has one);
//! - batch norm: `N.weight` (γ), `N.bias` (β), `N.running_mean`, `N.running_var`, all `[C]`;
//! - activation: `N.a`, `N.b`, `N.c`, each `[C]` (coefficients of `a·x² + b·x + c`);
//! - dense: `N.weight` `[out, in]`, `N.bias` `[out]` (if the layer has one).
//!
//! Element types F32 and F64 are accepted; other tensors in the file are ignored.

use std::collections::HashMap;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::{Layer, Model, ModelError};

/// One parameter slot of a model: its tensor name, shape and storage.
struct Param<'a> {
    name: String,
    shape: Vec<usize>,
    values: &'a mut Vec<f64>,
}

fn params(model: &mut Model) -> Vec<Param<'_>> {
    let mut out = Vec::new();
    for node in &mut model.nodes {
        let name = &node.name;
        let mut push = |suffix: &str, shape: Vec<usize>, values| {
            out.push(Param { name: format!("{name}.{suffix}"), shape, values })
        };
        match &mut node.layer {
            Layer::Conv2d(conv) => {
                let shape = conv.weight_shape().to_vec();
                let c_out = conv.out_channels;
                push("weight", shape, &mut conv.weight);
                if let Some(bias) = &mut conv.bias {
                    push("bias", vec![c_out], bias);
                }
            }
            Layer::BatchNorm(bn) => {
                let c = bn.channels;
                push("weight", vec![c], &mut bn.gamma);
                push("bias", vec![c], &mut bn.beta);
                push("running_mean", vec![c], &mut bn.mean);
                push("running_var", vec![c], &mut bn.var);
            }
            Layer::Activation(act) => {
                let c = act.channels;
                push("a", vec![c], &mut act.a);
                push("b", vec![c], &mut act.b);
                push("c", vec![c], &mut act.c);
            }
            Layer::Linear(fc) => {
                let out_features = fc.out_features;
                push("weight", vec![out_features, fc.in_features], &mut fc.weight);
                if let Some(bias) = &mut fc.bias {
                    push("bias", vec![out_features], bias);
                }
            }
            Layer::AvgPool2
            | Layer::AvgPool(_)
            | Layer::GlobalAvgPool
            | Layer::Flatten
            | Layer::Add { .. }
            | Layer::Relu(_) => {}
        }
    }
    out
}

/// The parameter tensors a model reads, as `(name, shape)` in node order.
pub fn tensor_names(model: &Model) -> Vec<(String, Vec<usize>)> {
    let mut copy = model.clone();
    params(&mut copy).into_iter().map(|p| (p.name, p.shape)).collect()
}

fn decode(name: &str, view: &TensorView<'_>) -> Result<Vec<f64>, ModelError> {
    let bytes = view.data();
    let values: Vec<f64> = match view.dtype() {
        Dtype::F32 => bytes.chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]]) as f64).collect(),
        Dtype::F64 => bytes.chunks_exact(8).map(|c| f64::from_le_bytes(c.try_into().unwrap_or([0; 8]))).collect(),
        other => {
            return Err(ModelError::UnsupportedDtype { name: name.to_string(), dtype: format!("{other:?}") });
        }
    };
    if values.iter().any(|v| !v.is_finite()) {
        return Err(ModelError::NonFinite { name: name.to_string() });
    }
    Ok(values)
}

/// Fills `model`'s parameters from safetensors bytes; every named tensor must be present with
/// the exact shape. On error the model may be partially updated.
pub fn load_safetensors(model: &mut Model, bytes: &[u8]) -> Result<(), ModelError> {
    let file = SafeTensors::deserialize(bytes).map_err(|e| ModelError::Malformed { reason: e.to_string() })?;
    for param in params(model) {
        let view = file.tensor(&param.name).map_err(|_| ModelError::MissingTensor { name: param.name.clone() })?;
        if view.shape() != param.shape.as_slice() {
            return Err(ModelError::TensorShape {
                name: param.name.clone(),
                expected: param.shape.clone(),
                found: view.shape().to_vec(),
            });
        }
        *param.values = decode(&param.name, &view)?;
    }
    model.shapes()?;
    Ok(())
}

/// Serialises the model's parameters (as F64) to safetensors bytes.
pub fn save_safetensors(model: &Model) -> Result<Vec<u8>, ModelError> {
    let mut copy = model.clone();
    let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = params(&mut copy)
        .into_iter()
        .map(|p| {
            let bytes = p.values.iter().flat_map(|v| v.to_le_bytes()).collect();
            (p.name, p.shape, bytes)
        })
        .collect();
    let mut views = Vec::with_capacity(buffers.len());
    for (name, shape, bytes) in &buffers {
        let view = TensorView::new(Dtype::F64, shape.clone(), bytes)
            .map_err(|e| ModelError::Malformed { reason: e.to_string() })?;
        views.push((name.clone(), view));
    }
    safetensors::serialize(views, &None::<HashMap<String, String>>)
        .map_err(|e| ModelError::Malformed { reason: e.to_string() })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::{randomize, zoo};

    #[test]
    fn save_load_round_trip() {
        let mut model = zoo::lenet(zoo::Variant::Dense);
        randomize(&mut model, 7);
        let bytes = save_safetensors(&model).unwrap();
        let mut loaded = zoo::lenet(zoo::Variant::Dense);
        load_safetensors(&mut loaded, &bytes).unwrap();
        assert_eq!(loaded, model);
    }

    #[test]
    fn malformed_and_mismatched_files_give_typed_errors() {
        let mut model = zoo::lenet(zoo::Variant::Dense);
        let err = load_safetensors(&mut model, b"not a safetensors file").unwrap_err();
        assert!(matches!(err, ModelError::Malformed { .. }), "{err}");

        // A file for the grouped model has conv2.weight of a different shape.
        let grouped = zoo::lenet(zoo::Variant::SpEncnn);
        let bytes = save_safetensors(&grouped).unwrap();
        let err = load_safetensors(&mut model, &bytes).unwrap_err();
        match err {
            ModelError::TensorShape { name, expected, found } => {
                assert_eq!(name, "conv2.weight");
                assert_eq!(expected, vec![32, 64, 5, 5]);
                assert_eq!(found, vec![32, 16, 5, 5]);
            }
            other => panic!("unexpected {other}"),
        }

        // A file missing a tensor.
        let empty = safetensors::serialize(Vec::<(String, TensorView<'_>)>::new(), &None).unwrap();
        let err = load_safetensors(&mut model, &empty).unwrap_err();
        assert!(matches!(err, ModelError::MissingTensor { ref name } if name == "conv1.weight"));
    }
}
