//! What a deployment will hold in memory, computed from the schedule and the parameters before
//! any key is generated: the evaluation keys at their levels (expanded or compact), the weight
//! plaintexts under an encoding policy, the ciphertexts alive at once, key-switching scratch
//! and the keys in flight while they are generated.

use serde::Serialize;
use spencnn_ckks::{KeyStorage, Parameters};

use super::server::EncodingPolicy;
use std::collections::BTreeSet;

use crate::backend::ckks::TERMS_PER_CHUNK;
use crate::plan::{Op, PlainId, Schedule};

/// Memory outside the data the footprint counts: binary, CKKS context tables, allocator and
/// thread stacks (measured on LeNet at `N = 2^14`: about 60 MiB peak in total).
pub const PROCESS_BASELINE_BYTES: usize = 96 << 20;

/// Measured resident memory above the live data while a schedule runs (allocator retention of
/// freed limb buffers, thread arenas), as a fraction of what is allocated and freed during
/// inference (ciphertexts, scratch, plaintexts encoded during inference): ResNet-20 at
/// `N = 2^16` peaked 31 % above its estimated live data with compact keys and on-demand
/// encoding on 2 threads.
pub const ALLOCATOR_ALLOWANCE: f64 = 0.35;

/// Galois keys in flight per key-generation thread (generated but not yet sent).
const KEYS_IN_FLIGHT_PER_THREAD: usize = 2;

/// Estimated peak memory of a deployment, in bytes, by component.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct MemoryFootprint {
    /// Evaluation keys (Galois and relinearization), each at its level, in the key storage.
    pub keys: usize,
    /// Weight plaintexts held at once under the encoding policy.
    pub plaintexts: usize,
    /// Ciphertexts alive at once (the runner's waves: inputs and outputs of a wave together).
    pub ciphertexts: usize,
    /// Key-switching scratch of the worker threads (decompositions at the top level).
    pub scratch: usize,
    /// Keys generated but not yet handed over while the keys are made (client side).
    pub keys_in_flight: usize,
    /// The estimated peak: keys plus the larger of key generation and inference (its live
    /// data plus [`ALLOCATOR_ALLOWANCE`]), plus [`PROCESS_BASELINE_BYTES`].
    pub peak: usize,
}

/// Bytes of one switching key at `level` (`digits · 2 · (ℓ + 1 + k)` limbs; compact keys hold
/// only the `b` half).
pub fn switching_key_bytes(params: &Parameters, level: usize, storage: KeyStorage) -> usize {
    let limbs = params.digits_at_level(level) * (params.q_primes_at(level).len() + params.p_primes().len());
    let polys = match storage {
        KeyStorage::Compact => 1,
        _ => 2,
    };
    polys * limbs * params.n() * 8
}

/// Bytes of the evaluation keys `schedule` needs under `params`.
pub fn key_bytes(schedule: &Schedule, params: &Parameters, storage: KeyStorage) -> usize {
    let galois: usize =
        schedule.rotation_step_levels().iter().map(|&(_, level)| switching_key_bytes(params, level, storage)).sum();
    galois + schedule.square_level().map_or(0, |level| switching_key_bytes(params, level, storage))
}

fn plaintext_bytes(schedule: &Schedule, params: &Parameters, id: PlainId) -> usize {
    let spec = &schedule.plaintexts[id.0 as usize];
    let special = if spec.extended { params.p_primes().len() } else { 0 };
    (params.q_primes_at(spec.level).len() + special) * params.n() * 8
}

/// Weight-plaintext bytes held at once under `policy` with `threads` workers: all of them
/// (pre-encoded), the largest layer's distinct plaintexts (per layer), or per thread the
/// largest instruction's (on demand; a fused sum encodes a chunk of its terms at a time).
pub fn plaintext_footprint(schedule: &Schedule, params: &Parameters, policy: EncodingPolicy, threads: usize) -> usize {
    let mut per_layer: Vec<BTreeSet<PlainId>> = vec![BTreeSet::new(); schedule.layers.len()];
    let mut largest_instr = 0;
    for instr in &schedule.instrs {
        let ids = instr.op.plaintexts();
        let mut sizes: Vec<usize> = ids.iter().map(|&id| plaintext_bytes(schedule, params, id)).collect();
        if matches!(instr.op, Op::MulAccExt { .. }) {
            sizes.sort_unstable_by(|a, b| b.cmp(a));
            sizes.truncate(TERMS_PER_CHUNK);
        }
        largest_instr = largest_instr.max(sizes.iter().sum());
        per_layer[instr.layer].extend(ids);
    }
    let layer_bytes =
        |ids: &BTreeSet<PlainId>| -> usize { ids.iter().map(|&id| plaintext_bytes(schedule, params, id)).sum() };
    match policy {
        EncodingPolicy::Preencoded => layer_bytes(&per_layer.iter().flatten().copied().collect()),
        EncodingPolicy::PerLayer => per_layer.iter().map(layer_bytes).max().unwrap_or(0),
        EncodingPolicy::OnDemand => largest_instr * threads.max(1),
    }
}

/// Peak bytes of ciphertexts alive at once when the runner executes `schedule`: per layer, its
/// instructions grouped into dependency waves as the runner does; a wave's outputs are made
/// while all its inputs are alive, and a value is freed after its last reader.
pub fn ciphertext_footprint(schedule: &Schedule, params: &Parameters) -> usize {
    let n8 = params.n() * 8;
    let special = params.p_primes().len();
    let mut size = vec![0usize; schedule.num_values];
    let mut readers = vec![0usize; schedule.num_values];
    for instr in &schedule.instrs {
        for v in instr.op.reads() {
            readers[v.0 as usize] += 1;
        }
    }
    for v in &schedule.outputs {
        readers[v.0 as usize] += 1;
    }
    let mut live: usize = 0;
    for v in &schedule.inputs {
        size[v.0 as usize] = 2 * (schedule.input_level + 1) * n8;
        live += size[v.0 as usize];
    }
    let mut peak = live;
    for (_, range) in schedule.layer_segments() {
        for wave in schedule.waves(range) {
            let mut produced = 0;
            for &i in &wave {
                let instr = &schedule.instrs[i];
                let (level, extended) = match instr.op {
                    Op::Rescale { .. } => (instr.level.saturating_sub(1), false),
                    Op::DropLevels { levels, .. } | Op::Polynomial { levels, .. } => {
                        (instr.level.saturating_sub(levels), false)
                    }
                    Op::RotateHoistedExt { .. } => (instr.level, true),
                    _ => (instr.level, false),
                };
                let limbs = level + 1 + if extended { special } else { 0 };
                for v in instr.op.writes() {
                    size[v.0 as usize] = 2 * limbs * n8;
                    produced += size[v.0 as usize];
                }
            }
            peak = peak.max(live + produced);
            live += produced;
            for &i in &wave {
                for v in schedule.instrs[i].op.reads() {
                    readers[v.0 as usize] -= 1;
                    if readers[v.0 as usize] == 0 {
                        live -= size[v.0 as usize];
                    }
                }
            }
        }
    }
    peak
}

/// The footprint of running `schedule` under `params` with keys in `storage`, plaintexts per
/// `policy`, on `threads` threads.
pub fn footprint(
    schedule: &Schedule,
    params: &Parameters,
    storage: KeyStorage,
    policy: EncodingPolicy,
    threads: usize,
) -> MemoryFootprint {
    let threads = threads.max(1);
    let top = params.max_level();
    let ext_limbs = params.q_primes_at(top).len() + params.p_primes().len();
    // A decomposition (digits × extended limbs) and two extended accumulators per thread.
    let scratch = threads * (params.digits_at_level(top) + 2) * ext_limbs * params.n() * 8;
    let largest_key = schedule
        .rotation_step_levels()
        .iter()
        .map(|&(_, level)| level)
        .max()
        .map_or(0, |level| switching_key_bytes(params, level, KeyStorage::Compact));
    // The client makes its keys compact (the wire carries seeds): in flight they are half size.
    let keys_in_flight = KEYS_IN_FLIGHT_PER_THREAD * threads * largest_key;
    let keys = key_bytes(schedule, params, storage);
    let plaintexts = plaintext_footprint(schedule, params, policy, threads);
    let ciphertexts = ciphertext_footprint(schedule, params);
    // Pre-encoded plaintexts are allocated once; the rest is allocated and freed as it runs.
    let held = if policy == EncodingPolicy::Preencoded { plaintexts } else { 0 };
    let transient = plaintexts + ciphertexts + scratch - held;
    let inference = held + transient + (transient as f64 * ALLOCATOR_ALLOWANCE) as usize;
    let peak = keys + keys_in_flight.max(inference) + PROCESS_BASELINE_BYTES;
    MemoryFootprint { keys, plaintexts, ciphertexts, scratch, keys_in_flight, peak }
}
