//! A memory budget the deployment honours: when the estimated peak
//! ([`super::memory_footprint`]) exceeds the budget, the cheapest combination by the planner's
//! cost model of
//!
//! - compact evaluation keys (half the key memory; every key switch expands the uniform half:
//!   priced as a fraction of the key-switch inner product, [`COMPACT_KEY_OVERHEAD`]),
//! - weight plaintexts encoded per layer or per instruction instead of once (priced as the
//!   encodings done online),
//! - fewer rotation keys (dropped steps composed from kept ones, [`crate::plan::rotation_keys`]:
//!   priced as the extra key switches; the keys kept are chosen greedily, most memory saved per
//!   cost added first, see [`key_reduction_path`])
//!
//! that fits is chosen. Keys are always made for the highest level at which they are used.
//! A budget that nothing fits is refused with the smallest one that would
//! ([`MemoryBudgetError::TooSmall`]) before any key exists.

use std::collections::BTreeSet;
use std::fmt;

use serde::Serialize;
use spencnn_ckks::rlwe::{GaloisKeySet, KeyGenCost};
use spencnn_ckks::{CkksError, Context, KeyStorage, Parameters};

use super::memory_footprint::{MemoryFootprint, footprint, switching_key_bytes};
use super::server::EncodingPolicy;
use crate::plan::profile::Primitive;
use crate::plan::rotation_keys::{StepRoutes, compose_instrs, step_levels, with_instrs};
use crate::plan::{CostModel, Instr, OpCounts, Schedule};

/// Time of expanding a compact key's uniform half during one key switch, as a fraction of the
/// key-switch inner product with the expanded key (the cost profile's `InnerProduct` at the
/// switch's level): measured at `N = 2^16` (ResNet-20's chain, dnum 4), the streamed expansion
/// adds 0.73× the inner product.
pub const COMPACT_KEY_OVERHEAD: f64 = 0.73;

/// Candidates evaluated exactly per dropped key (the lowest in uses per byte).
const CANDIDATES_PER_DROP: usize = 6;

/// What the budget planner may choose; `None` fields are free, others fixed by the caller.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MemoryOptions {
    /// Bytes the deployment may use (`None`: unconstrained).
    pub budget_bytes: Option<usize>,
    /// Key storage fixed by the caller.
    pub key_storage: Option<KeyStorage>,
    /// Encoding policy fixed by the caller.
    pub encoding: Option<EncodingPolicy>,
    /// Whether rotation keys may be dropped (composed from kept ones).
    pub reduce_keys: bool,
    /// Worker threads (scratch memory and on-demand encodings per thread; key generation).
    pub threads: usize,
    /// Longest acceptable key generation, with the machine's calibrated cost: more rotation
    /// keys are dropped until the Galois keys' estimated generation time fits.
    pub keygen_limit: Option<KeyGenLimit>,
}

/// A limit on the client's key-generation time (see [`MemoryOptions::keygen_limit`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct KeyGenLimit {
    /// Seconds on [`MemoryOptions::threads`] threads.
    pub seconds: f64,
    /// The calibrated cost ([`KeyGenCost::calibrate`]).
    pub cost: KeyGenCost,
}

impl KeyGenLimit {
    /// A limit of `seconds` with the cost calibrated on this machine for `params` (takes
    /// about three top-level keys' generation).
    ///
    /// # Errors
    /// [`CkksError`] if the parameters are unusable.
    pub fn calibrated(params: &Parameters, seconds: f64) -> Result<Self, CkksError> {
        let ctx = Context::new(params.clone())?;
        Ok(Self { seconds, cost: KeyGenCost::calibrate(&ctx)? })
    }
}

impl MemoryOptions {
    /// Estimated seconds to generate the Galois keys of `instrs` (with a key-generation limit).
    fn keygen_seconds(&self, instrs: &[Instr], params: &Parameters) -> Option<f64> {
        let limit = self.keygen_limit?;
        let steps: Vec<(i64, usize)> = step_levels(instrs).into_iter().map(|(s, l)| (s as i64, l)).collect();
        let set = GaloisKeySet::for_steps_at_levels(params, &steps).ok()?;
        set.estimate(params, Some(&limit.cost), self.threads).seconds
    }

    /// Whether the key generation of `instrs` fits the limit (always without one).
    fn keygen_fits(&self, instrs: &[Instr], params: &Parameters) -> bool {
        match (self.keygen_limit, self.keygen_seconds(instrs, params)) {
            (Some(limit), Some(seconds)) => seconds <= limit.seconds,
            _ => true,
        }
    }
}

/// The memory-latency trade-off chosen for a schedule.
#[derive(Clone, Debug, Serialize)]
pub struct MemoryPlan {
    /// The budget it was chosen under.
    pub budget_bytes: Option<usize>,
    /// Compact evaluation keys on the server.
    pub compact_keys: bool,
    /// When the weight plaintexts are encoded.
    pub encoding: EncodingPolicy,
    /// Galois keys of the schedule as planned.
    pub rotation_keys_planned: usize,
    /// Galois keys kept.
    pub rotation_keys: usize,
    /// The steps whose keys were dropped (composed from kept ones).
    pub dropped_steps: Vec<usize>,
    /// Key-switch rotations of the schedule as planned and as run.
    pub rotations_planned: usize,
    /// See `rotations_planned`.
    pub rotations: usize,
    /// Estimated memory of the chosen deployment.
    pub footprint: MemoryFootprint,
    /// Estimated generation time of the Galois keys (with a key-generation limit).
    pub keygen_seconds: Option<f64>,
    /// Estimated memory unconstrained (expanded keys, all kept, pre-encoded).
    pub unconstrained: MemoryFootprint,
    /// Estimated online cost of the choice, including key expansion and online encodings
    /// (cost-model units).
    pub estimated_cost: f64,
    /// The same for the unconstrained deployment.
    pub unconstrained_cost: f64,
}

impl MemoryPlan {
    /// The key storage chosen.
    pub fn key_storage(&self) -> KeyStorage {
        if self.compact_keys { KeyStorage::Compact } else { KeyStorage::Expanded }
    }

    /// Estimated online latency relative to the unconstrained deployment.
    pub fn latency_ratio(&self) -> f64 {
        self.estimated_cost / self.unconstrained_cost.max(f64::MIN_POSITIVE)
    }
}

fn gib(bytes: usize) -> f64 {
    bytes as f64 / (1u64 << 30) as f64
}

/// `bytes` in GiB with two decimals, or in MiB below 1 GiB.
fn human(bytes: usize) -> String {
    if bytes >= 1 << 30 {
        format!("{:.2} GiB", gib(bytes))
    } else {
        format!("{:.0} MiB", bytes as f64 / f64::from(1 << 20))
    }
}

impl fmt::Display for MemoryPlan {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let m = &self.footprint;
        let budget = self.budget_bytes.map_or("unconstrained".to_string(), |b| format!("budget {}", human(b)));
        writeln!(
            f,
            "memory ({budget}): peak {} estimated = keys {} + plaintexts {} + ciphertexts {} + scratch {} \
             + allocator allowance {} (+ process baseline); unconstrained {}",
            human(m.peak),
            human(m.keys),
            human(m.plaintexts),
            human(m.ciphertexts),
            human(m.scratch),
            human(m.allowance),
            human(self.unconstrained.peak)
        )?;
        let mut changes = Vec::new();
        if self.compact_keys {
            changes.push("compact keys".to_string());
        }
        if self.encoding != EncodingPolicy::Preencoded {
            changes.push(format!("plaintexts encoded {}", encoding_name(self.encoding)));
        }
        if !self.dropped_steps.is_empty() {
            changes.push(format!(
                "{} of {} rotation keys (rotations {} -> {})",
                self.rotation_keys, self.rotation_keys_planned, self.rotations_planned, self.rotations
            ));
        }
        if let Some(seconds) = self.keygen_seconds {
            writeln!(f, "key generation: about {seconds:.0} s estimated for {} Galois keys", self.rotation_keys)?;
        }
        if changes.is_empty() {
            write!(f, "trade-off: none needed ({} rotation keys, expanded, pre-encoded)", self.rotation_keys)
        } else {
            write!(
                f,
                "trade-off: {}: {} saved for an estimated {:.2}x online latency",
                changes.join(", "),
                human(self.unconstrained.peak.saturating_sub(m.peak)),
                self.latency_ratio()
            )
        }
    }
}

fn encoding_name(policy: EncodingPolicy) -> &'static str {
    match policy {
        EncodingPolicy::Preencoded => "once",
        EncodingPolicy::PerLayer => "per layer",
        EncodingPolicy::OnDemand => "per instruction",
    }
}

/// A budget that cannot be met.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum MemoryBudgetError {
    /// Even the most frugal deployment exceeds the budget.
    #[error(
        "the memory budget of {} cannot be met: the smallest deployment needs about {:.2} GiB ({}, {} \
         rotation keys, plaintexts encoded {}); give at least that",
        human(*budget_bytes), (gib(smallest.footprint.peak) * 100.0).ceil() / 100.0,
        if smallest.compact_keys { "compact keys" } else { "expanded keys" },
        smallest.rotation_keys, encoding_name(smallest.encoding)
    )]
    TooSmall {
        /// The budget.
        budget_bytes: usize,
        /// The most frugal deployment.
        smallest: Box<MemoryPlan>,
    },
    /// Even with the fewest rotation keys, key generation exceeds the time limit.
    #[error(
        "key generation cannot be made to take {limit_seconds:.0} s: with the fewest rotation keys ({}) it \
         takes about {fastest_seconds:.0} s",
        smallest.rotation_keys
    )]
    KeyGenTooSlow {
        /// The limit.
        limit_seconds: f64,
        /// The estimate with the fewest keys.
        fastest_seconds: f64,
        /// That deployment.
        smallest: Box<MemoryPlan>,
    },
}

/// One point of [`key_reduction_path`]: a kept set and the instructions composed from it.
#[derive(Clone, Debug)]
pub struct KeyReduction {
    /// Steps dropped so far, in the order dropped.
    pub dropped: Vec<usize>,
    /// The composed instructions.
    pub instrs: Vec<Instr>,
    /// Values they use.
    pub num_values: usize,
}

/// Predicted seconds of `instrs` with keys in `storage` and weight plaintexts per `policy`
/// (encodings done online priced by the cost profile's encoding times).
pub fn online_cost(
    schedule: &Schedule,
    instrs: &[Instr],
    cost: &CostModel,
    storage: KeyStorage,
    policy: EncodingPolicy,
) -> f64 {
    let mut total = cost.program_cost(instrs);
    if storage == KeyStorage::Compact {
        for instr in instrs {
            let counts = OpCounts::of(&instr.op);
            let switches = counts.rotations + counts.squares;
            total += switches as f64 * COMPACT_KEY_OVERHEAD * cost.seconds(Primitive::InnerProduct, instr.level);
        }
    }
    let encode = |id: crate::plan::PlainId| {
        let spec = &schedule.plaintexts[id.0 as usize];
        cost.encode_seconds(spec.level, spec.extended)
    };
    match policy {
        EncodingPolicy::Preencoded => {}
        EncodingPolicy::OnDemand => {
            total += instrs.iter().flat_map(|i| i.op.plaintexts()).map(encode).sum::<f64>();
        }
        EncodingPolicy::PerLayer => {
            let mut seen = BTreeSet::new();
            for instr in instrs {
                for id in instr.op.plaintexts() {
                    if seen.insert((instr.layer, id)) {
                        total += encode(id);
                    }
                }
            }
        }
    }
    total
}

fn expanded_key_bytes(instrs: &[Instr], schedule: &Schedule, params: &Parameters) -> usize {
    let galois: usize =
        step_levels(instrs).iter().map(|&(_, level)| switching_key_bytes(params, level, KeyStorage::Expanded)).sum();
    galois + schedule.square_level().map_or(0, |level| switching_key_bytes(params, level, KeyStorage::Expanded))
}

/// Rotation keys dropped one at a time until the expanded Galois and relinearization keys fit
/// `key_limit_bytes` and `also_until` accepts the instructions, or no key can be dropped: each
/// step, the few (six) kept steps with the fewest key-switch limbs per key byte are each tried
/// (the schedule composed without it), and the one adding the least cost per byte saved is
/// dropped. The first point is the schedule as planned.
pub fn key_reduction_path(
    schedule: &Schedule,
    params: &Parameters,
    cost: &CostModel,
    key_limit_bytes: usize,
    also_until: impl Fn(&[Instr]) -> bool,
) -> Vec<KeyReduction> {
    let special = params.p_primes().len();
    let levels = schedule.rotation_step_levels();
    // Key-switch limbs each step serves, per byte of its key.
    let mut served = std::collections::BTreeMap::<usize, f64>::new();
    for instr in &schedule.instrs {
        let steps: Vec<usize> = match &instr.op {
            crate::plan::Op::RotateHoistedExt { steps, .. } => steps.clone(),
            crate::plan::Op::RotateSum { terms, .. } => terms.iter().map(|t| t.1).collect(),
            _ => continue,
        };
        for s in steps.into_iter().filter(|&s| s != 0) {
            *served.entry(s).or_default() += (instr.level + 1 + special) as f64;
        }
    }
    let value = |step: usize, level: usize| {
        served.get(&step).copied().unwrap_or(0.0) / switching_key_bytes(params, level, KeyStorage::Expanded) as f64
    };
    let mut ranked: Vec<(f64, usize)> = levels.iter().map(|&(s, l)| (value(s, l), s)).collect();
    ranked.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let mut kept: BTreeSet<usize> = levels.iter().map(|&(s, _)| s).collect();
    let mut path =
        vec![KeyReduction { dropped: Vec::new(), instrs: schedule.instrs.clone(), num_values: schedule.num_values }];
    let price = |instrs: &[Instr]| cost.program_cost(instrs);
    let mut current_bytes = expanded_key_bytes(&schedule.instrs, schedule, params);
    let mut current_cost = price(&schedule.instrs);
    while current_bytes > key_limit_bytes || !also_until(&path[path.len() - 1].instrs) {
        let mut best: Option<(f64, usize, usize, f64, Vec<Instr>, usize)> = None;
        // The first CANDIDATES_PER_DROP steps (in ranking order) whose removal saves memory.
        let mut tried = 0;
        for &(_, step) in &ranked {
            if tried == CANDIDATES_PER_DROP {
                break;
            }
            if !kept.contains(&step) {
                continue;
            }
            let mut without = kept.clone();
            without.remove(&step);
            let mut routes = StepRoutes::new(schedule.slots, without);
            let Some((instrs, num_values)) = compose_instrs(schedule, &mut routes) else { continue };
            let bytes = expanded_key_bytes(&instrs, schedule, params);
            if bytes >= current_bytes {
                continue;
            }
            tried += 1;
            let added = (price(&instrs) - current_cost).max(0.0);
            let per_byte = added / (current_bytes - bytes) as f64;
            if best.as_ref().is_none_or(|b| per_byte < b.0) {
                best = Some((per_byte, step, bytes, added, instrs, num_values));
            }
        }
        let Some((_, step, bytes, added, instrs, num_values)) = best else { break };
        kept.remove(&step);
        current_bytes = bytes;
        current_cost += added;
        let mut dropped = path.last().map(|p| p.dropped.clone()).unwrap_or_default();
        dropped.push(step);
        path.push(KeyReduction { dropped, instrs, num_values });
    }
    path
}

/// Evaluates deployments of one schedule's key reductions (one working copy of the schedule,
/// its instructions swapped per point).
struct Evaluator<'a> {
    schedule: &'a Schedule,
    work: Schedule,
    params: &'a Parameters,
    cost: &'a CostModel,
    options: &'a MemoryOptions,
    unconstrained: MemoryFootprint,
    unconstrained_cost: f64,
}

impl Evaluator<'_> {
    fn plan(&mut self, point: &KeyReduction, storage: KeyStorage, policy: EncodingPolicy) -> MemoryPlan {
        self.work.instrs.clone_from(&point.instrs);
        self.work.num_values = point.num_values;
        let rotations = |instrs: &[Instr]| instrs.iter().map(|i| OpCounts::of(&i.op).rotations).sum();
        MemoryPlan {
            budget_bytes: self.options.budget_bytes,
            compact_keys: storage == KeyStorage::Compact,
            encoding: policy,
            rotation_keys_planned: self.schedule.rotation_steps().len(),
            rotation_keys: self.work.rotation_steps().len(),
            dropped_steps: point.dropped.clone(),
            rotations_planned: rotations(&self.schedule.instrs),
            rotations: rotations(&point.instrs),
            footprint: footprint(&self.work, self.params, storage, policy, self.options.threads),
            keygen_seconds: self.options.keygen_seconds(&point.instrs, self.params),
            unconstrained: self.unconstrained,
            estimated_cost: online_cost(self.schedule, &point.instrs, self.cost, storage, policy),
            unconstrained_cost: self.unconstrained_cost,
        }
    }
}

/// The deployment of `schedule` under `params` that fits `options.budget_bytes` at the least
/// estimated online cost (see the module documentation), and the schedule to run (`schedule`
/// itself unless rotation keys were dropped).
///
/// # Errors
/// [`MemoryBudgetError::TooSmall`] when no choice fits, with the smallest footprint possible.
pub fn fit_memory(
    schedule: &Schedule,
    params: &Parameters,
    cost: &CostModel,
    options: &MemoryOptions,
) -> Result<(Schedule, MemoryPlan), MemoryBudgetError> {
    let threads = options.threads.max(1);
    let storages: Vec<KeyStorage> =
        options.key_storage.map_or(vec![KeyStorage::Expanded, KeyStorage::Compact], |s| vec![s]);
    let policies: Vec<EncodingPolicy> = options
        .encoding
        .map_or(vec![EncodingPolicy::Preencoded, EncodingPolicy::PerLayer, EncodingPolicy::OnDemand], |p| vec![p]);
    let (frugal_storage, frugal_policy) = (storages[storages.len() - 1], policies[policies.len() - 1]);
    let mut eval = Evaluator {
        schedule,
        work: schedule.clone(),
        params,
        cost,
        options,
        unconstrained: footprint(schedule, params, KeyStorage::Expanded, EncodingPolicy::Preencoded, threads),
        unconstrained_cost: online_cost(
            schedule,
            &schedule.instrs,
            cost,
            KeyStorage::Expanded,
            EncodingPolicy::Preencoded,
        ),
    };
    let unchanged =
        KeyReduction { dropped: Vec::new(), instrs: schedule.instrs.clone(), num_values: schedule.num_values };
    let budget = options.budget_bytes.unwrap_or(usize::MAX);
    // The cheapest fitting (point, storage, policy); the points of the path are tried in order
    // (cost grows along it), the first that fits per storage and policy.
    let mut best: Option<(MemoryPlan, usize)> = None;
    let mut search = |eval: &mut Evaluator<'_>, path: &[KeyReduction], first: usize| {
        for &storage in &storages {
            for &policy in &policies {
                for (index, point) in path.iter().enumerate().skip(first) {
                    let plan = eval.plan(point, storage, policy);
                    if plan.footprint.peak <= budget && options.keygen_fits(&point.instrs, params) {
                        if best.as_ref().is_none_or(|b| plan.estimated_cost < b.0.estimated_cost) {
                            best = Some((plan, index));
                        }
                        break;
                    }
                }
            }
        }
    };
    let mut path = vec![unchanged];
    let first = eval.plan(&path[0], storages[0], policies[0]);
    if first.footprint.peak <= budget && options.keygen_fits(&schedule.instrs, params) {
        return Ok((schedule.clone(), first));
    }
    if options.reduce_keys && !schedule.rotation_steps().is_empty() {
        // How far the keys must shrink for the most frugal storage and policy.
        let frugal = footprint(schedule, params, frugal_storage, frugal_policy, threads);
        let halves = if frugal_storage == KeyStorage::Compact { 2 } else { 1 };
        let key_limit = budget.saturating_sub(frugal.peak - frugal.keys).saturating_mul(halves);
        path = key_reduction_path(schedule, params, cost, key_limit, |instrs| options.keygen_fits(instrs, params));
    }
    search(&mut eval, &path, 0);
    match best {
        Some((plan, index)) => {
            let point = &path[index];
            let run = if point.dropped.is_empty() {
                schedule.clone()
            } else {
                with_instrs(schedule, point.instrs.clone(), point.num_values)
            };
            Ok((run, plan))
        }
        None => {
            let last = path.last().expect("non-empty path");
            let smallest = Box::new(eval.plan(last, frugal_storage, frugal_policy));
            match (options.keygen_limit, smallest.keygen_seconds) {
                (Some(limit), Some(fastest)) if fastest > limit.seconds => Err(MemoryBudgetError::KeyGenTooSlow {
                    limit_seconds: limit.seconds,
                    fastest_seconds: fastest,
                    smallest,
                }),
                _ => Err(MemoryBudgetError::TooSmall { budget_bytes: budget, smallest }),
            }
        }
    }
}
