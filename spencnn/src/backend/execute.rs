//! Runs a schedule on any [`Backend`], and the end-to-end simulated run.

use thiserror::Error;

use super::noise::NoiseModel;
use super::{Backend, BackendError, SlotSimulator};
use crate::model::ModelError;
use crate::plan::{Op, PlainId, Schedule, ValueId};
use crate::tensor::Tensor3;

/// Errors while executing a schedule.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExecError {
    /// A backend operation failed.
    #[error("instruction {instr}: {source}")]
    Backend {
        /// Index of the failing instruction.
        instr: usize,
        /// The backend error.
        source: BackendError,
    },
    /// Wrong number of input ciphertexts.
    #[error("the schedule takes {expected} input ciphertexts, got {found}")]
    InputCount {
        /// Expected inputs.
        expected: usize,
        /// Given inputs.
        found: usize,
    },
    /// An instruction reads a value that is not (or no longer) available, or of the wrong kind.
    #[error("instruction {instr} reads unavailable value {value}")]
    MissingValue {
        /// Instruction index.
        instr: usize,
        /// Value id.
        value: u32,
    },
    /// The image does not match the model.
    #[error(transparent)]
    Image(#[from] ModelError),
}

/// A value of a running schedule: an ordinary or an extended-basis ciphertext.
pub(crate) enum Stored<C, E> {
    Ct(C),
    Ext(E),
}

/// What one instruction produced.
pub(crate) type Produced<C, E> = Vec<(ValueId, Stored<C, E>)>;

/// Encodes plaintext `id` of `schedule` on `backend` (its values materialised from the stages).
pub fn encode_plaintext<B: Backend>(
    schedule: &Schedule,
    backend: &B,
    id: PlainId,
) -> Result<B::Plaintext, BackendError> {
    let spec = &schedule.plaintexts[id.0 as usize];
    backend.encode(&schedule.plaintext_values(id), spec.level, spec.scale, spec.extended)
}

/// The plaintexts an operation reads.
pub(crate) fn plain_reads(op: &Op) -> Vec<PlainId> {
    match op {
        Op::MulAccExt { terms, .. } => terms.iter().map(|t| t.1).collect(),
        Op::MulPlain { pt, .. } | Op::AddPlain { pt, .. } => vec![*pt],
        _ => Vec::new(),
    }
}

/// Runs instruction `instr` (operation `op`) on `backend`, reading its ciphertexts from `store`
/// and its encoded plaintexts from `plaintext`.
pub(crate) fn dispatch<'p, B: Backend>(
    backend: &B,
    op: &Op,
    instr: usize,
    store: &[Option<Stored<B::Ciphertext, B::Extended>>],
    plaintext: impl Fn(PlainId) -> Option<&'p B::Plaintext>,
) -> Result<Produced<B::Ciphertext, B::Extended>, ExecError>
where
    B::Plaintext: 'p,
{
    let missing = |v: ValueId| ExecError::MissingValue { instr, value: v.0 };
    let ct = |v: ValueId| match store[v.0 as usize].as_ref() {
        Some(Stored::Ct(c)) => Ok(c),
        _ => Err(missing(v)),
    };
    let ext = |v: ValueId| match store[v.0 as usize].as_ref() {
        Some(Stored::Ext(e)) => Ok(e),
        _ => Err(missing(v)),
    };
    let pt = |id: PlainId| {
        plaintext(id).ok_or_else(|| ExecError::Backend {
            instr,
            source: BackendError::Failed { op: "plaintext", reason: format!("plaintext {} not encoded", id.0) },
        })
    };
    let fail = |source| ExecError::Backend { instr, source };
    let one = |dst: ValueId, c: Result<B::Ciphertext, BackendError>| Ok(vec![(dst, Stored::Ct(c.map_err(fail)?))]);
    match op {
        Op::RotateHoistedExt { src, steps, dsts } => {
            let outs = backend.rotate_hoisted_extended(ct(*src)?, steps).map_err(fail)?;
            Ok(dsts.iter().copied().zip(outs.into_iter().map(Stored::Ext)).collect())
        }
        Op::MulAccExt { dst, terms } => {
            let pairs = terms.iter().map(|t| Ok((ext(t.0)?, pt(t.1)?))).collect::<Result<Vec<_>, ExecError>>()?;
            one(*dst, backend.mul_acc_extended(&pairs))
        }
        Op::RotateSum { dst, terms } => {
            let pairs = terms.iter().map(|t| Ok((ct(t.0)?, t.1))).collect::<Result<Vec<_>, ExecError>>()?;
            one(*dst, backend.rotate_sum(&pairs))
        }
        Op::MulPlain { dst, src, pt: p } => one(*dst, backend.mul_plain(ct(*src)?, pt(*p)?)),
        Op::AddPlain { dst, src, pt: p } => one(*dst, backend.add_plain(ct(*src)?, pt(*p)?)),
        Op::Add { dst, lhs, rhs } => one(*dst, backend.add(ct(*lhs)?, ct(*rhs)?)),
        Op::Rescale { dst, src } => one(*dst, backend.rescale(ct(*src)?)),
        Op::Square { dst, src } => one(*dst, backend.square(ct(*src)?)),
        Op::DropLevels { dst, src, levels } => one(*dst, backend.drop_levels(ct(*src)?, *levels)),
    }
}

/// The values an operation reads.
pub(crate) fn reads(op: &Op) -> Vec<ValueId> {
    match op {
        Op::RotateHoistedExt { src, .. }
        | Op::MulPlain { src, .. }
        | Op::AddPlain { src, .. }
        | Op::Rescale { src, .. }
        | Op::Square { src, .. }
        | Op::DropLevels { src, .. } => vec![*src],
        Op::MulAccExt { terms, .. } => terms.iter().map(|t| t.0).collect(),
        Op::RotateSum { terms, .. } => terms.iter().map(|t| t.0).collect(),
        Op::Add { lhs, rhs, .. } => vec![*lhs, *rhs],
    }
}

/// Executes `schedule` on `backend` from the input ciphertexts; returns the output ciphertexts.
/// Plaintexts are materialised and encoded when first needed; values are freed after last use.
pub fn execute<B: Backend>(
    schedule: &Schedule,
    backend: &B,
    inputs: Vec<B::Ciphertext>,
) -> Result<Vec<B::Ciphertext>, ExecError> {
    if inputs.len() != schedule.inputs.len() {
        return Err(ExecError::InputCount { expected: schedule.inputs.len(), found: inputs.len() });
    }
    let n = schedule.num_values;
    let mut last_use = vec![usize::MAX; n];
    for (i, instr) in schedule.instrs.iter().enumerate() {
        for v in reads(&instr.op) {
            last_use[v.0 as usize] = i;
        }
    }
    for v in &schedule.outputs {
        last_use[v.0 as usize] = usize::MAX;
    }
    let mut store: Vec<Option<Stored<B::Ciphertext, B::Extended>>> = (0..n).map(|_| None).collect();
    for (id, ct) in schedule.inputs.iter().zip(inputs) {
        store[id.0 as usize] = Some(Stored::Ct(ct));
    }
    for (i, instr) in schedule.instrs.iter().enumerate() {
        let mut encoded = std::collections::HashMap::new();
        for id in plain_reads(&instr.op) {
            let pt =
                encode_plaintext(schedule, backend, id).map_err(|source| ExecError::Backend { instr: i, source })?;
            encoded.insert(id.0, pt);
        }
        let produced = dispatch(backend, &instr.op, i, &store, |id| encoded.get(&id.0))?;
        for v in reads(&instr.op) {
            if last_use[v.0 as usize] == i {
                store[v.0 as usize] = None;
            }
        }
        for (v, value) in produced {
            store[v.0 as usize] = Some(value);
        }
    }
    schedule
        .outputs
        .iter()
        .map(|v| match store[v.0 as usize].take() {
            Some(Stored::Ct(c)) => Ok(c),
            _ => Err(ExecError::MissingValue { instr: schedule.instrs.len(), value: v.0 }),
        })
        .collect()
}

impl Schedule {
    /// The slot vectors the client encrypts for `image` (the input layout, with replication).
    pub fn encode_input(&self, image: &Tensor3) -> Result<Vec<Vec<f64>>, ModelError> {
        let expected = self.input_layout.shape();
        if image.shape() != expected {
            return Err(ModelError::ImageShape { expected, found: image.shape() });
        }
        Ok(self.input_layout.pack(image))
    }

    /// The logits from the decrypted output vectors (applies the output affine maps).
    pub fn decode_output(&self, decrypted: &[Vec<f64>]) -> Vec<f64> {
        self.logits.iter().map(|l| l.scale * decrypted[l.ct][l.slot] + l.offset).collect()
    }
}

/// Runs `schedule` on the slot simulator with only the schedule's rotation keys; returns the
/// logits and the simulator (for its executed-operation counts).
pub fn run_simulated(schedule: &Schedule, image: &Tensor3) -> Result<(Vec<f64>, SlotSimulator), ExecError> {
    run_on_simulator(schedule, image, simulator_for(schedule))
}

/// Runs `schedule` on the slot simulator with `noise`'s rounding error added (seeded with `seed`)
/// where CKKS would round: the logits as CKKS-like noise leaves them.
///
/// # Errors
/// As [`run_simulated`].
pub fn run_simulated_noisy(
    schedule: &Schedule,
    image: &Tensor3,
    noise: NoiseModel,
    seed: u64,
) -> Result<Vec<f64>, ExecError> {
    Ok(run_on_simulator(schedule, image, simulator_for(schedule).with_noise(noise, seed))?.0)
}

/// A simulator over the schedule's chain holding only the schedule's rotation keys.
fn simulator_for(schedule: &Schedule) -> SlotSimulator {
    let keys = schedule.rotation_steps().into_iter().collect();
    SlotSimulator::new(schedule.slots, schedule.chain.clone(), Some(keys))
}

fn run_on_simulator(
    schedule: &Schedule,
    image: &Tensor3,
    sim: SlotSimulator,
) -> Result<(Vec<f64>, SlotSimulator), ExecError> {
    let inputs = schedule
        .encode_input(image)?
        .iter()
        .map(|v| sim.encrypt(v, schedule.input_level, schedule.input_scale))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|source| ExecError::Backend { instr: 0, source })?;
    let outputs = execute(schedule, &sim, inputs)?;
    let decrypted: Vec<Vec<f64>> = outputs.iter().map(|c| sim.decrypt(c)).collect();
    Ok((schedule.decode_output(&decrypted), sim))
}
