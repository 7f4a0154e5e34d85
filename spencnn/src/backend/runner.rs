//! The schedule interpreter: layer by layer, independent instructions at once, on any
//! [`Backend`]. It is the only one: [`execute`] is [`run`] on a one-thread pool.
//!
//! Instructions of one layer (a run of consecutive instructions with the same
//! [`crate::plan::Instr::layer`]) are grouped into *waves*: an instruction's wave is one more
//! than the latest wave of the layer that produced one of its inputs. A wave's instructions
//! (e.g. the fused multiply-accumulates of all output ciphertexts) run on the rayon pool; the
//! operations themselves parallelise further (rotation steps, term chunks). Values are freed
//! once their last reader ran (a value read by nothing, or a schedule output, is kept). The
//! result does not depend on the thread count: CKKS evaluation is exact modular arithmetic,
//! the simulator is exact slot arithmetic, and every instruction is deterministic. With one
//! thread the order of the backend calls is fixed by the schedule and the plaintext policy
//! alone (waves in order; in a wave, the batched fused sums first, then the other instructions
//! in index order), which a backend with state, such as the noisy simulator's random source,
//! needs to be reproducible.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Instant;

use rayon::prelude::*;
use serde::Serialize;

use super::dispatch::{Produced, Stored, dispatch, encode_plaintext};
use super::{Backend, BackendError, ExecError};
use crate::plan::{Op, OpCounts, PlainId, Schedule};

/// Where the runner gets the encoded plaintexts.
pub enum Plaintexts<'a, P> {
    /// Encoded beforehand (indexed by [`PlainId`]; `None` for plaintexts no instruction reads).
    Preencoded(&'a [Option<Arc<P>>]),
    /// Encoded per layer when the layer starts (in parallel), dropped after it.
    PerLayer,
    /// Encoded by each instruction just before use, dropped after it (least memory).
    OnDemand,
}

/// The plaintexts some instruction of `schedule` reads.
pub(crate) fn referenced_plaintexts(schedule: &Schedule) -> Vec<bool> {
    let mut used = vec![false; schedule.plaintexts.len()];
    for instr in &schedule.instrs {
        for id in instr.op.plaintexts() {
            used[id.0 as usize] = true;
        }
    }
    used
}

/// Encodes every plaintext an instruction of `schedule` reads (in parallel).
///
/// # Errors
/// The first encoding failure.
pub fn encode_all<B>(schedule: &Schedule, backend: &B) -> Result<Vec<Option<Arc<B::Plaintext>>>, BackendError>
where
    B: Backend + Sync,
    B::Plaintext: Send + Sync,
{
    referenced_plaintexts(schedule)
        .into_par_iter()
        .enumerate()
        .map(|(id, used)| {
            used.then(|| encode_plaintext(schedule, backend, PlainId(id as u32)).map(Arc::new)).transpose()
        })
        .collect()
}

/// Timing and counts of one model layer.
#[derive(Clone, Debug, Serialize)]
pub struct LayerRun {
    /// Node name.
    pub name: String,
    /// Layer kind.
    pub kind: String,
    /// Wall time (seconds), plaintext encoding included when done per layer.
    pub seconds: f64,
    /// Operations executed (from the IR).
    pub counts: OpCounts,
    /// Planner level of the layer's output.
    pub level_out: usize,
}

/// Runs `schedule` on `backend` from `inputs`; calls `on_layer` after each layer (for progress
/// bars). Returns the output ciphertexts and the per-layer runs.
///
/// # Errors
/// [`ExecError::InputCount`] for a wrong number of inputs, [`ExecError::Backend`] when an
/// operation (or an encoding) fails, [`ExecError::MissingValue`] for a malformed schedule.
pub fn run<B>(
    schedule: &Schedule,
    backend: &B,
    inputs: Vec<B::Ciphertext>,
    plaintexts: &Plaintexts<'_, B::Plaintext>,
    mut on_layer: impl FnMut(&LayerRun),
) -> Result<(Vec<B::Ciphertext>, Vec<LayerRun>), ExecError>
where
    B: Backend + Sync,
    B::Ciphertext: Send + Sync,
    B::Extended: Send + Sync,
    B::Plaintext: Send + Sync,
{
    if inputs.len() != schedule.inputs.len() {
        return Err(ExecError::InputCount { expected: schedule.inputs.len(), found: inputs.len() });
    }
    let mut readers = vec![0usize; schedule.num_values];
    for instr in &schedule.instrs {
        for v in instr.op.reads() {
            readers[v.0 as usize] += 1;
        }
    }
    for v in &schedule.outputs {
        readers[v.0 as usize] += 1; // never freed
    }
    let mut store: Vec<Option<Stored<B::Ciphertext, B::Extended>>> = (0..schedule.num_values).map(|_| None).collect();
    for (id, ct) in schedule.inputs.iter().zip(inputs) {
        store[id.0 as usize] = Some(Stored::Ct(ct));
    }
    let mut runs = Vec::new();
    for (layer, range) in schedule.layer_segments() {
        let start = Instant::now();
        let local: HashMap<u32, Arc<B::Plaintext>> = match plaintexts {
            Plaintexts::Preencoded(_) | Plaintexts::OnDemand => HashMap::new(),
            Plaintexts::PerLayer => {
                let mut ids: Vec<PlainId> =
                    schedule.instrs[range.clone()].iter().flat_map(|i| i.op.plaintexts()).collect();
                ids.sort_unstable();
                ids.dedup();
                ids.par_iter()
                    .map(|&id| encode_plaintext(schedule, backend, id).map(|p| (id.0, Arc::new(p))))
                    .collect::<Result<_, _>>()
                    .map_err(|source| ExecError::Backend { instr: range.start, source })?
            }
        };
        let plaintext = |id: PlainId| -> Option<&B::Plaintext> {
            match plaintexts {
                Plaintexts::Preencoded(all) => all.get(id.0 as usize).and_then(|p| p.as_deref()),
                Plaintexts::PerLayer => local.get(&id.0).map(|p| &**p),
                Plaintexts::OnDemand => None,
            }
        };
        let mut counts = OpCounts::default();
        for wave in schedule.waves(range.clone()) {
            let on_demand = matches!(plaintexts, Plaintexts::OnDemand);
            // Fused sums of one wave go to the backend together (they share rotated inputs),
            // unless plaintexts are encoded per instruction (a wave's worth could be huge).
            let (sums, others): (Vec<usize>, Vec<usize>) =
                wave.iter().partition(|&&i| !on_demand && matches!(schedule.instrs[i].op, Op::MulAccExt { .. }));
            let (batched, single) = rayon::join(
                || execute_sums(schedule, backend, &sums, &store, &plaintext),
                || {
                    others
                        .par_iter()
                        .map(|&i| execute_one(schedule, backend, i, &store, &plaintext, on_demand))
                        .collect::<Result<Vec<_>, _>>()
                },
            );
            let mut produced = batched?;
            produced.extend(single?);
            for &i in &wave {
                counts = counts + OpCounts::of(&schedule.instrs[i].op);
                for v in schedule.instrs[i].op.reads() {
                    readers[v.0 as usize] -= 1;
                    if readers[v.0 as usize] == 0 {
                        store[v.0 as usize] = None;
                    }
                }
            }
            for (v, value) in produced.into_iter().flatten() {
                store[v.0 as usize] = Some(value);
            }
        }
        drop(local);
        let report = &schedule.layers[layer];
        let run = LayerRun {
            name: report.name.clone(),
            kind: report.kind.clone(),
            seconds: start.elapsed().as_secs_f64(),
            counts,
            level_out: report.level_out,
        };
        on_layer(&run);
        runs.push(run);
    }
    let outputs = schedule
        .outputs
        .iter()
        .map(|v| match store[v.0 as usize].take() {
            Some(Stored::Ct(c)) => Ok(c),
            _ => Err(ExecError::MissingValue { instr: schedule.instrs.len(), value: v.0 }),
        })
        .collect::<Result<_, _>>()?;
    Ok((outputs, runs))
}

type ProducedBy<B> = Produced<<B as Backend>::Ciphertext, <B as Backend>::Extended>;

/// Executes the [`Op::MulAccExt`] instructions `sums` as one batch.
fn execute_sums<'p, B>(
    schedule: &Schedule,
    backend: &B,
    sums: &[usize],
    store: &[Option<Stored<B::Ciphertext, B::Extended>>],
    plaintext: &(impl Fn(PlainId) -> Option<&'p B::Plaintext> + Sync),
) -> Result<Vec<ProducedBy<B>>, ExecError>
where
    B: Backend + Sync,
    B::Plaintext: 'p,
{
    let mut batch = Vec::with_capacity(sums.len());
    let mut dsts = Vec::with_capacity(sums.len());
    for &i in sums {
        let Op::MulAccExt { dst, terms } = &schedule.instrs[i].op else { continue };
        let mut pairs = Vec::with_capacity(terms.len());
        for t in terms {
            let ext = match store[t.0.0 as usize].as_ref() {
                Some(Stored::Ext(e)) => e,
                _ => return Err(ExecError::MissingValue { instr: i, value: t.0.0 }),
            };
            let pt = plaintext(t.1).ok_or_else(|| missing_plaintext(i, t.1))?;
            pairs.push((ext, pt));
        }
        batch.push(pairs);
        dsts.push((i, *dst));
    }
    if batch.is_empty() {
        return Ok(Vec::new());
    }
    backend
        .mul_acc_extended_many(&batch)
        .into_iter()
        .zip(dsts)
        .map(|(result, (i, dst))| {
            let ct = result.map_err(|source| ExecError::Backend { instr: i, source })?;
            Ok(vec![(dst, Stored::Ct(ct))])
        })
        .collect()
}

fn missing_plaintext(instr: usize, id: PlainId) -> ExecError {
    ExecError::Backend {
        instr,
        source: BackendError::Failed { op: "plaintext", reason: format!("plaintext {} not encoded", id.0) },
    }
}

/// Executes instruction `i` reading from `store`.
fn execute_one<'p, B>(
    schedule: &Schedule,
    backend: &B,
    i: usize,
    store: &[Option<Stored<B::Ciphertext, B::Extended>>],
    plaintext: &(impl Fn(PlainId) -> Option<&'p B::Plaintext> + Sync),
    on_demand: bool,
) -> Result<Produced<B::Ciphertext, B::Extended>, ExecError>
where
    B: Backend + Sync,
    B::Plaintext: 'p + Send,
{
    let op = &schedule.instrs[i].op;
    if let (true, Op::MulAccExt { dst, terms }) = (on_demand, op) {
        // Encoded a chunk at a time inside the backend: never all of the sum's plaintexts.
        let mut pairs = Vec::with_capacity(terms.len());
        for &(v, id) in terms {
            match store[v.0 as usize].as_ref() {
                Some(Stored::Ext(x)) => pairs.push((x, id)),
                _ => return Err(ExecError::MissingValue { instr: i, value: v.0 }),
            }
        }
        let encode = |id: PlainId| encode_plaintext(schedule, backend, id);
        let ct = backend
            .mul_acc_extended_encoding(&pairs, &encode)
            .map_err(|source| ExecError::Backend { instr: i, source })?;
        return Ok(vec![(*dst, Stored::Ct(ct))]);
    }
    let encoded: HashMap<u32, B::Plaintext> = if on_demand {
        op.plaintexts()
            .par_iter()
            .map(|&id| encode_plaintext(schedule, backend, id).map(|p| (id.0, p)))
            .collect::<Result<_, _>>()
            .map_err(|source| ExecError::Backend { instr: i, source })?
    } else {
        HashMap::new()
    };
    dispatch(backend, op, i, store, |id| plaintext(id).or_else(|| encoded.get(&id.0)))
}

/// Runs `schedule` on `backend` from `inputs` and returns the outputs: [`run`] on a one-thread
/// pool, each plaintext encoded by the instruction that reads it. The sequence of backend
/// calls depends on the schedule alone (see the module documentation).
///
/// # Errors
/// As [`run`]; [`ExecError::Threads`] when the thread cannot be started.
pub fn execute<B>(schedule: &Schedule, backend: &B, inputs: Vec<B::Ciphertext>) -> Result<Vec<B::Ciphertext>, ExecError>
where
    B: Backend + Sync,
    B::Ciphertext: Send + Sync,
    B::Extended: Send + Sync,
    B::Plaintext: Send + Sync,
{
    let pool = rayon::ThreadPoolBuilder::new()
        .num_threads(1)
        .build()
        .map_err(|e| ExecError::Threads { reason: e.to_string() })?;
    pool.install(|| run(schedule, backend, inputs, &Plaintexts::OnDemand, |_| {})).map(|(outputs, _)| outputs)
}
