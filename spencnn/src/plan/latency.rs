//! Predicted latency of a schedule: the cost model walked the way the runner executes.
//!
//! The runner executes a layer wave by wave ([`Schedule::waves`]); the instructions of a wave
//! run at once on the worker threads. A wave takes the larger of the sum of its instructions'
//! throughput prices (enough independent work keeps every thread busy) and its slowest
//! instruction alone (a single decomposition or fused sum does not split). Plaintexts cost
//! nothing online when pre-encoded; encoded per layer they are all encoded (in parallel) when
//! the layer starts, encoded on demand each instruction encodes its own.

use serde::Serialize;

use super::cost::CostModel;
use super::ir::{Op, Schedule};

/// When the weight plaintexts are encoded (the runner's plaintext policies).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum PlaintextTiming {
    /// Before inference: free online.
    Preencoded,
    /// When each layer starts.
    PerLayer,
    /// By each instruction, just before use.
    OnDemand,
}

/// One layer's predicted time.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerLatency {
    /// Node name.
    pub name: String,
    /// Predicted seconds.
    pub seconds: f64,
}

/// A schedule's predicted online latency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LatencyPrediction {
    /// Predicted seconds from the encrypted image to the encrypted logits.
    pub seconds: f64,
    /// Per layer, in execution order.
    pub layers: Vec<LayerLatency>,
}

/// Predicts the online latency of `schedule` under `cost` (its thread count and key-switching
/// shape) with plaintexts encoded as `timing` says.
pub fn predict_latency(schedule: &Schedule, cost: &CostModel, timing: PlaintextTiming) -> LatencyPrediction {
    let encode = |id: &super::ir::PlainId| {
        let spec = &schedule.plaintexts[id.0 as usize];
        cost.encode_seconds(spec.level, spec.extended)
    };
    let mut layers = Vec::new();
    for (layer, range) in schedule.layer_segments() {
        let mut seconds = 0.0;
        if timing == PlaintextTiming::PerLayer {
            let mut ids: Vec<_> = schedule.instrs[range.clone()].iter().flat_map(|i| i.op.plaintexts()).collect();
            ids.sort_unstable();
            ids.dedup();
            seconds += ids.iter().map(encode).sum::<f64>();
        }
        for wave in schedule.waves(range) {
            let (mut sum, mut slowest) = (0.0f64, 0.0f64);
            for &i in &wave {
                let instr = &schedule.instrs[i];
                let mut t = cost.instr_parts(instr);
                if timing == PlaintextTiming::OnDemand {
                    let encoding: f64 = instr.op.plaintexts().iter().map(encode).sum();
                    t.throughput += encoding;
                    // A fused sum encodes its chunks in parallel; others encode before running.
                    t.alone += if matches!(instr.op, Op::MulAccExt { .. }) {
                        encoding
                    } else {
                        encoding * cost.threads as f64
                    };
                }
                sum += t.throughput;
                slowest = slowest.max(t.alone);
            }
            seconds += sum.max(slowest);
        }
        let name = schedule.layers[layer].name.clone();
        match layers.last_mut() {
            Some(LayerLatency { name: last, seconds: s }) if *last == name => *s += seconds,
            _ => layers.push(LayerLatency { name, seconds }),
        }
    }
    LatencyPrediction { seconds: layers.iter().map(|l| l.seconds).sum(), layers }
}
