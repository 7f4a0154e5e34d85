//! `Relu` nodes as polynomial approximations (opt-in), and the calibration of their intervals.

use onnx_protobuf::NodeProto;

use super::ImportedModel;
use super::convert::{Feature, Importer, Value, View};
use super::error::OnnxError;
use super::proto::node_name;
use crate::model::Layer;
use crate::reference::{ReluMode, ReluPeak, relu_input_peaks};
use crate::tensor::Tensor3;

/// The default factor between the largest `|pre-activation|` seen while calibrating and the
/// radius chosen: inputs the calibration did not see may reach further.
pub const RELU_CALIBRATION_MARGIN: f64 = 1.5;

/// One ReLU node's calibration: the peak seen and the radius chosen.
pub type ReluCalibration = ReluPeak;

impl Importer<'_> {
    /// A `Relu` node becomes a [`Layer::Relu`] with the approximation of the import options.
    pub(crate) fn lower_relu(&mut self, node: &NodeProto) -> Result<Vec<Value>, OnnxError> {
        let approx = self.options.relu.clone().expect("lowered only when the options approximate ReLU");
        let feature = self.feature(node)?;
        let view = match feature.view {
            View::Spatial => View::Spatial,
            View::Flat { .. } => View::Flat { flatten: None },
        };
        let input = self.materialize(node, &node.input[0].clone())?;
        let out = self.push(node_name(node), Layer::Relu(approx), input)?;
        Ok(vec![Value::Feature(Feature::of(out, view, node_name(node)))])
    }
}

/// Sets the radius of every [`Layer::Relu`] of `imported` to `margin` times the largest
/// `|pre-activation|` it receives over `images` (raw images: the input transform is applied),
/// measured with exact ReLUs, as the original network computes them. Returns each node's peak
/// and new radius. A node that only ever sees zeros keeps its radius.
///
/// # Errors
/// [`OnnxError::Calibration`] without images or with a margin below 1 (or not finite);
/// [`OnnxError::Model`] for an image of the wrong shape.
pub fn calibrate_relu(
    imported: &mut ImportedModel,
    images: &[Tensor3],
    margin: f64,
) -> Result<Vec<ReluCalibration>, OnnxError> {
    if images.is_empty() {
        return Err(OnnxError::Calibration { reason: "no images to calibrate the ReLU intervals on".into() });
    }
    if !(margin.is_finite() && margin >= 1.0) {
        return Err(OnnxError::Calibration { reason: format!("the margin {margin} must be a finite number ≥ 1") });
    }
    let mut peaks: Vec<ReluPeak> = Vec::new();
    for image in images {
        let seen = relu_input_peaks(&imported.model, &imported.prepare_input(image), ReluMode::Exact)?;
        if peaks.is_empty() {
            peaks = seen;
        } else {
            for (p, s) in peaks.iter_mut().zip(seen) {
                p.peak = if s.peak.is_nan() { f64::NAN } else { p.peak.max(s.peak) };
            }
        }
    }
    for p in &mut peaks {
        if !p.peak.is_finite() {
            return Err(OnnxError::Calibration {
                reason: format!("ReLU {} receives a non-finite value ({})", p.name, p.peak),
            });
        }
        let Layer::Relu(relu) = &mut imported.model.nodes[p.node].layer else { unreachable!("peaks are ReLU nodes") };
        if p.peak > 0.0 {
            *relu = relu.with_radius(p.peak * margin).map_err(|e| OnnxError::Calibration { reason: e.to_string() })?;
        }
        p.radius = relu.radius;
    }
    Ok(peaks)
}
