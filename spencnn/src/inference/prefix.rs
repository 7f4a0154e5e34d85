//! A schedule cut after its first layers: measures the latency of a prefix of a network that is
//! too large to run whole (ResNet-20's keys do not fit this machine's memory).

use std::collections::HashSet;

use crate::plan::{Op, Schedule};

/// The first `layers` layers of `schedule` (indices into [`Schedule::layers`]). Its outputs are
/// the ciphertexts produced by the prefix and not consumed in it; it has no logits. Its
/// rotation steps, plaintexts and memory estimate are the prefix's own.
pub fn prefix(schedule: &Schedule, layers: usize) -> Schedule {
    let mut cut = schedule.clone();
    cut.instrs.retain(|i| i.layer < layers);
    let read: HashSet<u32> = cut.instrs.iter().flat_map(|i| i.op.reads()).map(|v| v.0).collect();
    cut.outputs = cut
        .instrs
        .iter()
        .filter(|i| !matches!(i.op, Op::RotateHoistedExt { .. }))
        .flat_map(|i| i.op.writes())
        .filter(|v| !read.contains(&v.0))
        .collect();
    cut.output_level = cut.layers.get(layers.saturating_sub(1)).map_or(cut.input_level, |l| l.level_out);
    cut.logits.clear();
    cut.layers.truncate(layers);
    cut
}
