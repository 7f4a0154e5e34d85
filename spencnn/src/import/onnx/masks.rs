//! Sub-block pruning masks for an imported model, named like its ONNX initializers, and a copy
//! of the ONNX file with the pruned weights zeroed: what a user needs to fine-tune with the
//! planner's masks in their own framework.

use std::collections::HashMap;

use onnx_protobuf::tensor_proto::DataType;
use protobuf::Enum;
use safetensors::tensor::{Dtype, TensorView};

use super::error::OnnxError;
use super::export::tensor_proto;
use super::proto::{parse_model, read_tensor, write_model};
use super::{ImportedModel, OnnxLimits};
use crate::model::Layer;
use crate::plan::PlanConfig;
use crate::prune::{LayerMask, LayerPruning, PruneSpec, prune_masks};

/// The 0/1 mask of one convolution weight.
#[derive(Clone, Debug, PartialEq)]
pub struct MaskTensor {
    /// The ONNX initializer the weight came from, or the model tensor name (`<node>.weight`)
    /// when the weight was computed by constant folding.
    pub name: String,
    /// Shape of the weight, `[C_out, C_in/groups, k, k]`.
    pub shape: Vec<usize>,
    /// One flag per weight: kept (1) or pruned (0).
    pub keep: Vec<bool>,
    /// The convolution node (its ONNX node name).
    pub node: String,
}

impl ImportedModel {
    /// The masks of `masks` (from [`crate::prune::prune_masks`] on [`Self::model`]), named like
    /// the ONNX initializers.
    pub fn onnx_masks(&self, masks: &[LayerMask]) -> Vec<MaskTensor> {
        let sources: HashMap<&str, &str> =
            self.initializer_names.iter().map(|(t, i)| (t.as_str(), i.as_str())).collect();
        masks
            .iter()
            .filter_map(|m| {
                let node = &self.model.nodes[m.node];
                let Layer::Conv2d(conv) = &node.layer else {
                    return None;
                };
                let tensor = format!("{}.weight", node.name);
                let name = sources.get(tensor.as_str()).map_or(tensor.clone(), |s| s.to_string());
                Some(MaskTensor {
                    name,
                    shape: conv.weight_shape().to_vec(),
                    keep: m.mask.clone(),
                    node: node.name.clone(),
                })
            })
            .collect()
    }
}

/// The masks as a safetensors file of F32 tensors holding 0.0 and 1.0; the metadata maps each
/// tensor name to its convolution node.
///
/// # Errors
/// [`OnnxError::Malformed`] if serialisation fails (inconsistent shapes).
pub fn masks_to_safetensors(masks: &[MaskTensor]) -> Result<Vec<u8>, OnnxError> {
    let buffers: Vec<(String, Vec<usize>, Vec<u8>)> = masks
        .iter()
        .map(|m| {
            let bytes = m.keep.iter().flat_map(|&k| if k { 1.0f32 } else { 0.0f32 }.to_le_bytes()).collect();
            (m.name.clone(), m.shape.clone(), bytes)
        })
        .collect();
    let malformed = |e: safetensors::SafeTensorError| OnnxError::Malformed { reason: e.to_string() };
    let views = buffers
        .iter()
        .map(|(name, shape, bytes)| TensorView::new(Dtype::F32, shape.clone(), bytes).map(|v| (name.clone(), v)))
        .collect::<Result<Vec<_>, _>>()
        .map_err(malformed)?;
    let metadata: HashMap<String, String> = masks.iter().map(|m| (m.name.clone(), m.node.clone())).collect();
    safetensors::serialize(views, &Some(metadata)).map_err(malformed)
}

/// The original ONNX file with every masked weight set to zero in its initializer (kept in its
/// element type). Returns the bytes and the masks that name no initializer (weights computed by
/// constant folding, which the copy cannot change).
///
/// # Errors
/// As [`super::import_onnx`] for the original bytes; [`OnnxError::BadTensor`] if an initializer
/// does not have the mask's shape.
pub fn pruned_onnx(
    original: &[u8],
    limits: &OnnxLimits,
    masks: &[MaskTensor],
) -> Result<(Vec<u8>, Vec<String>), OnnxError> {
    let mut proto = parse_model(original, limits)?;
    let graph = proto.graph.as_mut().ok_or_else(|| OnnxError::graph("the file has no graph"))?;
    let mut skipped = Vec::new();
    for mask in masks {
        let Some(init) = graph.initializer.iter_mut().find(|t| t.name == mask.name) else {
            skipped.push(mask.name.clone());
            continue;
        };
        let mut tensor = read_tensor(init, limits)?;
        let dims: Vec<usize> = tensor.dims.clone();
        if dims != mask.shape {
            return Err(OnnxError::tensor(&mask.name, format!("has shape {dims:?}, the mask {:?}", mask.shape)));
        }
        for (v, &keep) in tensor.data.iter_mut().zip(&mask.keep) {
            if !keep {
                *v = 0.0;
            }
        }
        let dtype = match DataType::from_i32(init.data_type) {
            Some(d @ (DataType::FLOAT | DataType::DOUBLE)) => d,
            _ => return Err(OnnxError::tensor(&mask.name, "a pruned weight must be float32 or float64")),
        };
        *init = tensor_proto(&mask.name, &dims, &tensor.data, dtype);
    }
    Ok((write_model(&proto)?, skipped))
}

/// What [`prune_onnx`] produced.
#[derive(Clone, Debug)]
pub struct OnnxPruning {
    /// The masks, named like the ONNX initializers.
    pub masks: Vec<MaskTensor>,
    /// The masks as a safetensors file (F32 0/1).
    pub masks_file: Vec<u8>,
    /// The ONNX file with the pruned weights zeroed.
    pub pruned_onnx: Vec<u8>,
    /// Sub-blocks per convolution, and how many are kept.
    pub layers: Vec<LayerPruning>,
    /// Masks whose weight is computed by constant folding, so the pruned copy cannot apply them.
    pub not_in_copy: Vec<String>,
}

/// Imports `original`, prunes `spec.ratio` of the plaintext sub-blocks of every convolution that
/// does not read the image in `spec.unit`s (sub-blocks as planned with `config`; the definition
/// of [`crate::prune::prune_masks`]), and returns the masks and a pruned copy of the file.
///
/// # Errors
/// As [`super::import_onnx`], plus [`OnnxError::Plan`] when the model does not plan.
pub fn prune_onnx(
    original: &[u8],
    limits: &OnnxLimits,
    config: &PlanConfig,
    spec: PruneSpec,
) -> Result<OnnxPruning, OnnxError> {
    let imported = super::import_onnx(original, limits)?;
    let masks = prune_masks(&imported.model, config, spec)?;
    let layers = masks.iter().map(|m| m.pruning.clone()).collect();
    let named = imported.onnx_masks(&masks);
    let masks_file = masks_to_safetensors(&named)?;
    let (pruned_onnx, not_in_copy) = pruned_onnx(original, limits, &named)?;
    Ok(OnnxPruning { masks: named, masks_file, pruned_onnx, layers, not_in_copy })
}
