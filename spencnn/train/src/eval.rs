//! Evaluating a trained network: accuracy, the value ranges CKKS must accommodate, and
//! agreement of the trainer's inference with the f64 reference and the planner's simulator.

use serde::Serialize;

use super::TrainError;
use super::data::Dataset;
use super::layers::softmax_cross_entropy;
use super::net::{NetOptions, TrainLayer, TrainNet};
use spencnn::backend::run_simulated;
use spencnn::model::Model;
use spencnn::plan::Schedule;
use spencnn::reference;

/// Images per evaluation batch.
const EVAL_BATCH: usize = 500;

/// Loss and accuracy on a data set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Evaluation {
    /// Images evaluated.
    pub images: usize,
    /// Correctly classified images.
    pub correct: usize,
    /// Mean cross-entropy.
    pub loss: f64,
}

impl Evaluation {
    /// `correct / images` (0 for no image).
    pub fn accuracy(&self) -> f64 {
        if self.images == 0 { 0.0 } else { self.correct as f64 / self.images as f64 }
    }
}

/// Inference-mode loss and accuracy of `net` on every image of `data`.
pub fn evaluate(net: &TrainNet, data: &Dataset) -> Evaluation {
    let mut eval = Evaluation { images: 0, correct: 0, loss: 0.0 };
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(EVAL_BATCH) {
        let (batch, labels) = data.batch(chunk, None);
        let out = softmax_cross_entropy(&net.forward_eval(&batch), &labels);
        eval.images += chunk.len();
        eval.correct += out.correct;
        eval.loss += out.loss * chunk.len() as f64;
    }
    if eval.images > 0 {
        eval.loss /= eval.images as f64;
    }
    eval
}

/// The trainer's inference network for an exported model (no inserted normalisation).
///
/// # Errors
/// As [`TrainNet::from_model`].
pub fn inference_net(model: &Model) -> Result<TrainNet, TrainError> {
    TrainNet::from_model(model, &NetOptions { batch_norm: false, act_a: 0.0 })
}

/// The magnitudes of one layer's output over a data set.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ValueRange {
    /// Model node name.
    pub node: String,
    /// `max |value|`.
    pub max_abs: f64,
    /// For an activation `a·z² + b·z + c`: `max |u|` of the operand the planner squares,
    /// `u = sqrt|a|·(z + b/2a)` (the activation is evaluated as `sign(a)·u² + const`).
    pub squared_operand: Option<f64>,
}

/// Per-node magnitudes of `model` (exported, run by the trainer's inference) over `data`.
///
/// # Errors
/// As [`inference_net`].
pub fn value_ranges(model: &Model, data: &Dataset) -> Result<Vec<ValueRange>, TrainError> {
    let net = inference_net(model)?;
    // Per node and channel: (min, max).
    let mut bounds: Vec<Vec<(f32, f32)>> = Vec::new();
    let indices: Vec<usize> = (0..data.len()).collect();
    for chunk in indices.chunks(EVAL_BATCH) {
        let (batch, _) = data.batch(chunk, None);
        for (k, out) in net.forward_eval_all(&batch).into_iter().enumerate() {
            if bounds.len() <= k {
                bounds.push(vec![(f32::INFINITY, f32::NEG_INFINITY); out.c]);
            }
            for (i, plane) in out.data.chunks(out.plane().max(1)).enumerate() {
                let b = &mut bounds[k][i % out.c];
                *b = plane.iter().fold(*b, |(lo, hi), &v| (lo.min(v), hi.max(v)));
            }
        }
    }
    let mut ranges = Vec::new();
    for (k, node) in net.nodes.iter().enumerate() {
        let Some(n) = node.node else { continue };
        let Some(out) = bounds.get(k) else { continue };
        let max_abs = out.iter().fold(0.0f64, |m, &(lo, hi)| m.max(lo.abs() as f64).max(hi.abs() as f64));
        let squared_operand = match (&node.layer, k.checked_sub(1).and_then(|i| bounds.get(i))) {
            (TrainLayer::Act(act), Some(input)) => Some(input.iter().enumerate().fold(0.0f64, |m, (ch, &(lo, hi))| {
                let (a, b) = (act.a.value[ch] as f64, act.b.value[ch] as f64);
                if a == 0.0 {
                    return m;
                }
                let shift = b / (2.0 * a);
                m.max(a.abs().sqrt() * (lo as f64 + shift).abs().max((hi as f64 + shift).abs()))
            })),
            _ => None,
        };
        ranges.push(ValueRange { node: model.nodes[n].name.clone(), max_abs, squared_operand });
    }
    Ok(ranges)
}

/// How the trainer's `f32` inference compares with the `f64` reference forward pass and the
/// planner's slot simulator on the first images of a data set.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct PlainAgreement {
    /// Images compared.
    pub images: usize,
    /// Largest |trainer − reference| logit difference.
    pub max_diff_reference: f64,
    /// Largest |simulator − reference| logit difference.
    pub max_diff_simulator: f64,
    /// Images whose argmax agrees across all three.
    pub argmax_agree: usize,
    /// Images the reference classifies correctly.
    pub correct: usize,
}

fn argmax(values: impl IntoIterator<Item = f64>) -> usize {
    values.into_iter().enumerate().fold((0, f64::NEG_INFINITY), |b, (i, v)| if v > b.1 { (i, v) } else { b }).0
}

/// Runs the first `count` images of `data` through the trainer's inference, the f64 reference
/// and the simulator (`schedule`, planned from `model`) and compares the logits.
///
/// # Errors
/// [`TrainError::Simulation`] when the simulator fails (e.g. a value overflows its modulus).
pub fn plain_agreement(
    model: &Model,
    schedule: &Schedule,
    data: &Dataset,
    count: usize,
) -> Result<PlainAgreement, TrainError> {
    let net = inference_net(model)?;
    let count = count.min(data.len());
    let mut out =
        PlainAgreement { images: count, max_diff_reference: 0.0, max_diff_simulator: 0.0, argmax_agree: 0, correct: 0 };
    for i in 0..count {
        let (batch, labels) = data.batch(&[i], None);
        let trained: Vec<f64> = net.forward_eval(&batch).data.iter().map(|&v| v as f64).collect();
        let image = data.tensor(i);
        let expected = reference::forward(model, &image)?;
        let (simulated, _) = run_simulated(schedule, &image)?;
        for ((t, s), e) in trained.iter().zip(&simulated).zip(&expected) {
            out.max_diff_reference = out.max_diff_reference.max((t - e).abs());
            out.max_diff_simulator = out.max_diff_simulator.max((s - e).abs());
        }
        let class = argmax(expected.iter().copied());
        out.argmax_agree += usize::from(argmax(trained) == class && argmax(simulated) == class);
        out.correct += usize::from(class == labels[0] as usize);
    }
    Ok(out)
}
