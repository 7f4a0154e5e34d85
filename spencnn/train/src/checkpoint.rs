//! Checkpoints of a trainable network: every parameter and running statistic of a
//! [`TrainNet`], batch norms inserted for training included, as `f32` safetensors.
//!
//! A checkpoint written after phase 1 lets masked fine-tuning start again without retraining:
//! one phase-1 run serves every pruning ratio and unit, and resuming gives bit for bit the
//! weights a full run would (phase 2 restarts the optimiser and its own random stream).
//!
//! Tensor names follow the exported weights files: `N.weight`, `N.bias` (convolution, dense),
//! `N.a`, `N.b`, `N.c` (activation), `N.weight`, `N.bias`, `N.running_mean`, `N.running_var`
//! (batch norm) for a model node named `N`; a batch norm inserted after node `N` for training
//! is `N.norm.*`. Optimiser moments and masks are not stored.

use std::collections::HashMap;

use safetensors::tensor::{Dtype, SafeTensors, TensorView};

use super::TrainError;
use super::layers::{Conv, Dense, Param};
use super::net::{NetOptions, TrainLayer, TrainNet};
use spencnn::model::Model;

/// Metadata key naming the format (a weights file is not a checkpoint).
const FORMAT_KEY: &str = "format";
/// Its value.
const FORMAT: &str = "spencnn-train-checkpoint";

/// One stored tensor: name and storage.
type Slot<'a> = (String, &'a mut Vec<f32>);

/// Every tensor of `net` (built from `template`) in node order.
fn slots<'a>(net: &'a mut TrainNet, template: &Model) -> Vec<Slot<'a>> {
    let mut out = Vec::new();
    let mut previous = String::from("input");
    for node in &mut net.nodes {
        let name = match node.node {
            Some(n) => template.nodes.get(n).map_or_else(|| format!("node{n}"), |m| m.name.clone()),
            None => format!("{previous}.norm"),
        };
        let mut push = |suffix: &str, values: &'a mut Vec<f32>| out.push((format!("{name}.{suffix}"), values));
        match &mut node.layer {
            TrainLayer::Conv(Conv { weight, bias, .. }) | TrainLayer::Dense(Dense { weight, bias, .. }) => {
                push("weight", &mut weight.value);
                if let Some(Param { value, .. }) = bias {
                    push("bias", value);
                }
            }
            TrainLayer::Norm(norm) => {
                push("weight", &mut norm.gamma.value);
                push("bias", &mut norm.beta.value);
                push("running_mean", &mut norm.running_mean);
                push("running_var", &mut norm.running_var);
            }
            TrainLayer::Act(act) => {
                push("a", &mut act.a.value);
                push("b", &mut act.b.value);
                push("c", &mut act.c.value);
            }
            TrainLayer::AvgPool2 | TrainLayer::GlobalAvgPool | TrainLayer::Flatten => {}
        }
        previous = name;
    }
    out
}

fn malformed(reason: impl Into<String>) -> TrainError {
    TrainError::Checkpoint { reason: reason.into() }
}

/// Serialises `net` (a network built from `template`) to checkpoint bytes.
///
/// # Errors
/// [`TrainError::Checkpoint`] if serialisation fails.
pub fn save_checkpoint(net: &TrainNet, template: &Model) -> Result<Vec<u8>, TrainError> {
    let mut copy = net.clone();
    let buffers: Vec<(String, usize, Vec<u8>)> = slots(&mut copy, template)
        .into_iter()
        .map(|(name, values)| (name, values.len(), values.iter().flat_map(|v| v.to_le_bytes()).collect()))
        .collect();
    let mut views = Vec::with_capacity(buffers.len());
    for (name, len, bytes) in &buffers {
        let view = TensorView::new(Dtype::F32, vec![*len], bytes).map_err(|e| malformed(e.to_string()))?;
        views.push((name.clone(), view));
    }
    let metadata = HashMap::from([(FORMAT_KEY.to_string(), FORMAT.to_string())]);
    safetensors::serialize(views, &Some(metadata)).map_err(|e| malformed(e.to_string()))
}

/// The network `template` trains with `options`, its state read from checkpoint `bytes`.
///
/// # Errors
/// [`TrainError::Checkpoint`] for bytes that are not a checkpoint, a missing tensor, a tensor
/// of the wrong type or length (a checkpoint of another network or batch-norm setting), or a
/// non-finite value, or extra tensors; the errors of [`TrainNet::from_model`].
pub fn load_checkpoint(template: &Model, options: &NetOptions, bytes: &[u8]) -> Result<TrainNet, TrainError> {
    let (_, metadata) = SafeTensors::read_metadata(bytes).map_err(|e| malformed(e.to_string()))?;
    let format = metadata.metadata().as_ref().and_then(|m| m.get(FORMAT_KEY)).map(String::as_str);
    if format != Some(FORMAT) {
        return Err(malformed("not a training checkpoint (a weights file is loaded with --weights)"));
    }
    let file = SafeTensors::deserialize(bytes).map_err(|e| malformed(e.to_string()))?;
    let mut net = TrainNet::from_model(template, options)?;
    let expected = slots(&mut net, template).len();
    if file.len() != expected {
        return Err(malformed(format!(
            "the checkpoint holds {} tensors, the network {expected} (another network or batch-norm setting)",
            file.len()
        )));
    }
    for (name, values) in slots(&mut net, template) {
        let view = file.tensor(&name).map_err(|_| malformed(format!("no tensor {name}")))?;
        if view.dtype() != Dtype::F32 || view.shape() != [values.len()] {
            return Err(malformed(format!(
                "{name}: expected F32 [{}], found {:?} {:?}",
                values.len(),
                view.dtype(),
                view.shape()
            )));
        }
        let read: Vec<f32> =
            view.data().chunks_exact(4).map(|c| f32::from_le_bytes([c[0], c[1], c[2], c[3]])).collect();
        if read.iter().any(|v| !v.is_finite()) {
            return Err(malformed(format!("{name}: non-finite value")));
        }
        *values = read;
    }
    Ok(net)
}

#[cfg(test)]
mod tests {
    use super::*;
    use spencnn::model::zoo::{Network, Variant};

    fn options(batch_norm: bool) -> NetOptions {
        NetOptions { batch_norm, act_a: 0.1 }
    }

    #[test]
    fn a_checkpoint_round_trips_every_tensor_including_inserted_norms() {
        let template = Network::LeNet.build(Variant::SpEncnn);
        let mut net = TrainNet::from_model(&template, &options(true)).unwrap();
        net.init(3, 0.1);
        // Non-trivial running statistics and norm parameters.
        for (i, (_, values)) in slots(&mut net, &template).into_iter().enumerate() {
            values.iter_mut().enumerate().for_each(|(j, v)| *v += (i * 7 + j) as f32 * 1e-3);
        }
        let bytes = save_checkpoint(&net, &template).unwrap();
        let names: Vec<String> = slots(&mut net.clone(), &template).into_iter().map(|s| s.0).collect();
        assert!(names.contains(&"conv1.norm.running_var".to_string()), "{names:?}");
        assert!(names.contains(&"act3.c".to_string()));
        let loaded = load_checkpoint(&template, &options(true), &bytes).unwrap();
        assert_eq!(loaded, net);
    }

    #[test]
    fn wrong_files_give_typed_errors() {
        let template = Network::LeNet.build(Variant::SpEncnn);
        let net = TrainNet::from_model(&template, &options(true)).unwrap();
        let bytes = save_checkpoint(&net, &template).unwrap();
        let error = |result: Result<TrainNet, TrainError>| match result {
            Err(TrainError::Checkpoint { reason }) => reason,
            other => panic!("expected a checkpoint error, got {other:?}"),
        };
        // Another batch-norm setting, another variant, a weights file, garbage.
        assert!(error(load_checkpoint(&template, &options(false), &bytes)).contains("batch-norm setting"));
        let dense = Network::LeNet.build(Variant::Dense);
        assert!(error(load_checkpoint(&dense, &options(true), &bytes)).contains("conv2.weight"));
        let weights = spencnn::model::save_safetensors(&template).unwrap();
        assert!(error(load_checkpoint(&template, &options(true), &weights)).contains("not a training checkpoint"));
        error(load_checkpoint(&template, &options(true), b"garbage"));
    }
}
