//! The level and scale of every output ciphertext of a schedule, as CKKS computes them: the
//! server announces them in the [`super::ModelInterface`] and the client accepts an answer only
//! when its ciphertexts have exactly these.

use crate::plan::{Op, Schedule, ValueId};

/// Level and scale of one output ciphertext. The scale is exact: CKKS and the planner derive
/// it with the same `f64` operations (products with plaintext scales, squares, divisions by the
/// rescaled primes), so an honest server's answer has these bits.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct OutputSpec {
    /// CKKS level (the primes `q_0, …, q_level`).
    pub level: usize,
    /// Scale.
    pub scale: f64,
}

/// The [`OutputSpec`] of each of `schedule`'s outputs, in order, by following every
/// operation's effect on levels and scales from the inputs; `None` when the schedule reads a
/// value before writing it, names a plaintext or prime it does not have, or rescales below
/// level 0 (a malformed schedule; the planner makes none).
pub fn output_specs(schedule: &Schedule) -> Option<Vec<OutputSpec>> {
    let mut known: Vec<Option<OutputSpec>> = vec![None; schedule.num_values];
    let input = OutputSpec { level: schedule.input_level, scale: schedule.input_scale };
    for &value in &schedule.inputs {
        *known.get_mut(value.0 as usize)? = Some(input);
    }
    let plaintext_scale = |pt: crate::plan::PlainId| schedule.plaintexts.get(pt.0 as usize).map(|p| p.scale);
    for instr in &schedule.instrs {
        let read = |known: &[Option<OutputSpec>], v: ValueId| known.get(v.0 as usize).copied().flatten();
        let mut outputs: Vec<(ValueId, OutputSpec)> = Vec::new();
        match &instr.op {
            Op::RotateHoistedExt { src, dsts, .. } => {
                let spec = read(&known, *src)?;
                outputs.extend(dsts.iter().map(|&dst| (dst, spec)));
            }
            Op::MulAccExt { dst, terms } | Op::MulAcc { dst, terms } => {
                let &(ext, pt) = terms.first()?;
                let spec = read(&known, ext)?;
                outputs.push((*dst, OutputSpec { level: spec.level, scale: spec.scale * plaintext_scale(pt)? }));
            }
            Op::RotateSum { dst, terms } => outputs.push((*dst, read(&known, terms.first()?.0)?)),
            Op::MulPlain { dst, src, pt } => {
                let spec = read(&known, *src)?;
                outputs.push((*dst, OutputSpec { level: spec.level, scale: spec.scale * plaintext_scale(*pt)? }));
            }
            Op::AddPlain { dst, src, .. } => outputs.push((*dst, read(&known, *src)?)),
            Op::Add { dst, lhs, .. } => outputs.push((*dst, read(&known, *lhs)?)),
            Op::Rescale { dst, src } => {
                let spec = read(&known, *src)?;
                let prime = *schedule.chain.moduli.get(spec.level)?;
                outputs.push((*dst, OutputSpec { level: spec.level.checked_sub(1)?, scale: spec.scale / prime }));
            }
            Op::Square { dst, src } => {
                let spec = read(&known, *src)?;
                outputs.push((*dst, OutputSpec { level: spec.level, scale: spec.scale * spec.scale }));
            }
            Op::Polynomial { dst, src, levels, .. } => {
                let spec = read(&known, *src)?;
                outputs.push((*dst, OutputSpec { level: spec.level.checked_sub(*levels)?, scale: spec.scale }));
            }
            Op::DropLevels { dst, src, levels } => {
                let spec = read(&known, *src)?;
                outputs.push((*dst, OutputSpec { level: spec.level.checked_sub(*levels)?, scale: spec.scale }));
            }
        }
        for (dst, spec) in outputs {
            *known.get_mut(dst.0 as usize)? = Some(spec);
        }
    }
    schedule.outputs.iter().map(|v| known.get(v.0 as usize).copied().flatten()).collect()
}
