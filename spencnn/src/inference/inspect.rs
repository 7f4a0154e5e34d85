//! What running a model encrypted will take, before any key exists: layers with shapes, groups
//! and packing, depth, HE operation counts, rotation keys and their memory, the chosen
//! parameters, and the weight tensors a safetensors file must provide.

use serde::Serialize;

use super::params::{ParamChoice, ParamOptions, estimate_memory};
use super::{InferError, plan_for_ckks};
use crate::layout::LayoutSummary;
use crate::model::{Layer, Model, tensor_names};
use crate::plan::OpCounts;

/// One layer as it will run.
#[derive(Clone, Debug, Serialize)]
pub struct InspectedLayer {
    /// Node name.
    pub name: String,
    /// Layer kind (`conv`, `act`, ...).
    pub kind: String,
    /// `[C, H, W]` read.
    pub input_shape: [usize; 3],
    /// `[C, H, W]` produced.
    pub output_shape: [usize; 3],
    /// Channel groups of a convolution (HE-group convolution when above 1).
    pub groups: Option<usize>,
    /// Kernel, stride and padding `[top, left, bottom, right]` of a convolution or pooling.
    pub window: Option<(usize, usize, [usize; 4])>,
    /// Packing of the output.
    pub packing: LayoutSummary,
    /// Level after the layer.
    pub level_out: usize,
    /// HE operations of the layer.
    pub counts: OpCounts,
}

/// The whole report.
#[derive(Clone, Debug, Serialize)]
pub struct Inspection {
    /// Model name.
    pub model: String,
    /// `[C, H, W]` of the image.
    pub input_shape: [usize; 3],
    /// `log2 N`.
    pub log_n: u32,
    /// Slots per ciphertext.
    pub slots: usize,
    /// Packing of the encrypted image.
    pub input_packing: LayoutSummary,
    /// Layers in order.
    pub layers: Vec<InspectedLayer>,
    /// Multiplicative depth.
    pub depth: usize,
    /// Operation totals.
    pub totals: OpCounts,
    /// Galois keys (distinct rotation steps), plus one relinearisation key if any square.
    pub rotation_keys: usize,
    /// Memory of the evaluation keys, each at the level it is used.
    pub key_bytes: usize,
    /// Memory of all pre-encoded weight plaintexts.
    pub plaintext_bytes: usize,
    /// The CKKS parameters chosen for the schedule.
    pub params: ParamChoice,
    /// Weight tensors (name, shape) a safetensors file for this architecture must contain.
    pub tensors: Vec<(String, Vec<usize>)>,
}

/// Plans `model` at `log_n` with CKKS parameters chosen by `options` (no key is generated) and
/// reports it.
///
/// # Errors
/// As [`plan_for_ckks`].
pub fn inspect(model: &Model, log_n: u32, options: &ParamOptions) -> Result<Inspection, InferError> {
    let shapes = model.shapes()?;
    let (schedule, params, built) = plan_for_ckks(model, log_n, options)?;
    let memory = estimate_memory(&schedule, &built);
    let layers = model
        .nodes
        .iter()
        .zip(&schedule.layers)
        .enumerate()
        .map(|(n, (node, report))| {
            let (groups, window) = match &node.layer {
                Layer::Conv2d(c) => (Some(c.groups), Some((c.kernel, c.stride, c.padding_sides()))),
                Layer::AvgPool(p) => (None, Some((p.kernel, p.stride, p.pads))),
                Layer::AvgPool2 => (None, Some((2, 2, [0; 4]))),
                _ => (None, None),
            };
            InspectedLayer {
                name: node.name.clone(),
                kind: report.kind.clone(),
                input_shape: shapes[node.input],
                output_shape: shapes[n + 1],
                groups,
                window,
                packing: report.packing,
                level_out: report.level_out,
                counts: report.counts,
            }
        })
        .collect();
    Ok(Inspection {
        model: model.name.clone(),
        input_shape: model.input_shape,
        log_n,
        slots: schedule.slots,
        input_packing: schedule.input_layout.summary(),
        layers,
        depth: schedule.depth(),
        totals: schedule.totals(),
        rotation_keys: schedule.rotation_steps().len() + usize::from(schedule.square_level().is_some()),
        key_bytes: memory.key_bytes,
        plaintext_bytes: memory.plaintext_bytes,
        params,
        tensors: tensor_names(model),
    })
}

/// The smallest ring degree (from `2^13` to `2^17`) at which `model` plans and gets CKKS
/// parameters under `options` whose predicted precision meets the target; when no degree meets
/// it, the smallest at which the model plans at all (its choice says the precision is below
/// the target).
///
/// # Errors
/// The error at `2^17` when no degree works.
pub fn smallest_log_n(model: &Model, options: &ParamOptions) -> Result<u32, InferError> {
    let (mut first_planned, mut last_error) = (None, None);
    for log_n in 13..=17 {
        match plan_for_ckks(model, log_n, options) {
            Ok((_, choice, _)) if choice.meets_target => return Ok(log_n),
            Ok(_) => first_planned = first_planned.or(Some(log_n)),
            Err(e) => last_error = Some(e),
        }
    }
    match first_planned {
        Some(log_n) => Ok(log_n),
        None => Err(last_error.expect("no degree planned, so each one failed")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::randomize;
    use crate::model::zoo::{Variant, lenet};

    #[test]
    fn lenet_inspection_matches_the_documented_plan() {
        let mut model = lenet(Variant::SpEncnn);
        randomize(&mut model, 1);
        let report = inspect(&model, 14, &ParamOptions::default()).unwrap();
        assert_eq!(report.depth, 7);
        assert_eq!(report.layers.len(), model.nodes.len());
        assert_eq!(report.layers[3].groups, Some(4));
        assert_eq!(report.layers[3].input_shape, [64, 14, 14]);
        assert!(report.key_bytes > 0 && report.rotation_keys > 1);
        assert_eq!(report.tensors.first().map(|t| t.0.as_str()), Some("conv1.weight"));
        assert_eq!(smallest_log_n(&model, &ParamOptions::default()).unwrap(), 14, "depth 7 does not fit 2^13");
    }
}
