//! Fewer rotation keys: a schedule rewritten so that every rotation uses a step of a kept set.
//!
//! A Galois key per distinct rotation step is what dominates a deep network's memory. A step
//! whose key is dropped is *composed* from kept steps, `Rot_s = Rot_{k_m} ∘ … ∘ Rot_{k_1}` with
//! `k_1 + … + k_m ≡ s (mod S)`, all `k_i` kept ([`StepRoutes`], at most [`MAX_HOPS`] keys per
//! step). The rewrite ([`compose_rotations`]) keeps the schedule's shape:
//!
//! - a hoisted rotation `RotateHoistedExt(src; steps)` keeps its kept steps; the dropped ones
//!   are grouped by a *prefix* `p` (`s − p` kept), each group one more hoisted rotation of the
//!   ordinary ciphertext `Rot_p(src)`. The prefixes are chosen greedily to cover the dropped
//!   steps with the fewest extra key switches (e.g. the steps `2048·i + 32` of a convolution
//!   share the prefix 32: one extra rotation for all of them);
//! - a term `(v, s)` of a rotate-and-sum becomes `(Rot_{s − k_m}(v), k_m)`.
//!
//! Every intermediate `Rot_p(v)` is an ordinary rotation (one key switch per hop, at the level
//! of `v`, no level consumed), shared within a layer. Rotations are exact permutations of the
//! slots, so the result differs from the original schedule only by the added key-switching
//! noise (a few bits below the scale per extra hop). With every step kept the rewrite returns
//! the schedule unchanged.

use std::collections::{BTreeMap, BTreeSet, HashMap};

use super::counts::OpCounts;
use super::ir::{Instr, Op, Schedule, ValueId};

/// Largest number of kept keys one dropped step is composed of.
pub const MAX_HOPS: usize = 3;

/// How steps are composed from a kept set: for each step asked about, the shortest sequence of
/// kept steps (at most [`MAX_HOPS`]) summing to it modulo the slots, searched in ascending
/// order of the kept steps (deterministic).
#[derive(Clone, Debug)]
pub struct StepRoutes {
    slots: usize,
    kept: BTreeSet<usize>,
    memo: HashMap<usize, Option<Vec<usize>>>,
}

impl StepRoutes {
    /// Routes over the kept steps `kept` (canonical left rotations in `[1, slots)`).
    pub fn new(slots: usize, kept: BTreeSet<usize>) -> Self {
        Self { slots, kept, memo: HashMap::new() }
    }

    /// The kept steps.
    pub fn kept(&self) -> &BTreeSet<usize> {
        &self.kept
    }

    /// Whether `step` is kept (or is 0, which needs no key).
    pub fn is_kept(&self, step: usize) -> bool {
        step == 0 || self.kept.contains(&step)
    }

    /// The kept steps whose sum is `step`, in the order applied; empty for 0; `None` when more
    /// than [`MAX_HOPS`] would be needed.
    pub fn route(&mut self, step: usize) -> Option<Vec<usize>> {
        let step = step % self.slots;
        if let Some(route) = self.memo.get(&step) {
            return route.clone();
        }
        let route = self.search(step);
        self.memo.insert(step, route.clone());
        route
    }

    /// Number of kept keys `step` is composed of, if routable.
    pub fn hops(&mut self, step: usize) -> Option<usize> {
        self.route(step).map(|r| r.len())
    }

    fn search(&self, step: usize) -> Option<Vec<usize>> {
        if self.is_kept(step) {
            return Some(if step == 0 { Vec::new() } else { vec![step] });
        }
        let minus = |a: usize, b: usize| (a + self.slots - b) % self.slots;
        for &last in &self.kept {
            if self.kept.contains(&minus(step, last)) {
                return Some(vec![minus(step, last), last]);
            }
        }
        if MAX_HOPS >= 3 {
            for &last in &self.kept {
                let rest = minus(step, last);
                for &middle in &self.kept {
                    if self.kept.contains(&minus(rest, middle)) {
                        return Some(vec![minus(rest, middle), middle, last]);
                    }
                }
            }
        }
        None
    }
}

/// Every non-zero rotation step of `instrs` with the highest level at which it is applied
/// (sorted by step): a Galois key for the step needs only the primes of that level.
pub fn step_levels(instrs: &[Instr]) -> Vec<(usize, usize)> {
    let mut levels = BTreeMap::new();
    for instr in instrs {
        let steps: Vec<usize> = match &instr.op {
            Op::RotateHoistedExt { steps, .. } => steps.clone(),
            Op::RotateSum { terms, .. } => terms.iter().map(|t| t.1).collect(),
            _ => continue,
        };
        for step in steps.into_iter().filter(|&s| s != 0) {
            let level = levels.entry(step).or_insert(instr.level);
            *level = (*level).max(instr.level);
        }
    }
    levels.into_iter().collect()
}

/// Whether every rotation step of `schedule` can be composed from `kept` within [`MAX_HOPS`].
pub fn routable(schedule: &Schedule, routes: &mut StepRoutes) -> bool {
    schedule.rotation_steps().into_iter().all(|s| routes.route(s).is_some())
}

/// The instruction stream being rewritten.
struct Rewriter<'r> {
    routes: &'r mut StepRoutes,
    next_value: u32,
    out: Vec<Instr>,
    /// `(layer, value, step) → Rot_step(value)` already emitted.
    rotated: HashMap<(usize, ValueId, usize), ValueId>,
}

impl Rewriter<'_> {
    fn fresh(&mut self) -> ValueId {
        let v = ValueId(self.next_value);
        self.next_value += 1;
        v
    }

    /// An ordinary ciphertext `Rot_step(v)`, composed along `step`'s route (steps must be
    /// routable; checked by the caller).
    fn rotated(&mut self, layer: usize, level: usize, v: ValueId, step: usize) -> ValueId {
        if step == 0 {
            return v;
        }
        if let Some(&done) = self.rotated.get(&(layer, v, step)) {
            return done;
        }
        let route = self.routes.route(step).expect("routable step");
        let last = *route.last().expect("non-zero step");
        let prefix = (step + self.routes.slots - last) % self.routes.slots;
        let base = self.rotated(layer, level, v, prefix);
        let dst = self.fresh();
        self.out.push(Instr { layer, level, op: Op::RotateSum { dst, terms: vec![(base, last)] } });
        self.rotated.insert((layer, v, step), dst);
        dst
    }

    fn hoisted(&mut self, instr: &Instr, src: ValueId, steps: &[usize], dsts: &[ValueId]) {
        let (layer, level) = (instr.layer, instr.level);
        let slots = self.routes.slots;
        let mut kept = Vec::new();
        let mut dropped: BTreeMap<usize, ValueId> = BTreeMap::new();
        for (&s, &d) in steps.iter().zip(dsts) {
            if self.routes.is_kept(s) {
                kept.push((s, d));
            } else {
                dropped.insert(s, d);
            }
        }
        // Greedy cover of the dropped steps by prefixes p (s − p kept): most steps per extra
        // key switch first; a prefix already rotated in this layer costs nothing.
        let mut groups: Vec<(usize, Vec<(usize, ValueId)>)> = Vec::new();
        while !dropped.is_empty() {
            let mut candidates: BTreeMap<usize, usize> = BTreeMap::new();
            for &s in dropped.keys() {
                for &k in self.routes.kept() {
                    let p = (s + slots - k) % slots;
                    if self.routes.is_kept(p) || self.rotated.contains_key(&(layer, src, p)) {
                        *candidates.entry(p).or_insert(0) += 1;
                    }
                }
                let route = self.routes.route(s).expect("routable step");
                let prefix = (s + slots - route[route.len() - 1]) % slots;
                candidates.entry(prefix).or_insert(1);
            }
            let mut best: Option<(f64, usize)> = None;
            for (&p, &covered) in &candidates {
                let Some(hops) = self.routes.hops(p) else { continue };
                let price = if self.rotated.contains_key(&(layer, src, p)) { 0.5 } else { hops as f64 };
                let score = covered as f64 / price;
                if best.is_none_or(|(b, _)| score > b) {
                    best = Some((score, p));
                }
            }
            let (_, p) = best.expect("every dropped step has a routable prefix");
            let members: Vec<(usize, ValueId)> = dropped
                .iter()
                .filter(|(s, _)| self.routes.kept().contains(&((**s + slots - p) % slots)))
                .map(|(&s, &d)| ((s + slots - p) % slots, d))
                .collect();
            for (k, _) in &members {
                dropped.remove(&((k + p) % slots));
            }
            groups.push((p, members));
        }
        if !kept.is_empty() {
            let (steps, dsts) = kept.into_iter().unzip();
            self.out.push(Instr { layer, level, op: Op::RotateHoistedExt { src, steps, dsts } });
        }
        for (p, members) in groups {
            let base = self.rotated(layer, level, src, p);
            let (steps, dsts) = members.into_iter().unzip();
            self.out.push(Instr { layer, level, op: Op::RotateHoistedExt { src: base, steps, dsts } });
        }
    }

    fn rotate_sum(&mut self, instr: &Instr, dst: ValueId, terms: &[(ValueId, usize)]) {
        let slots = self.routes.slots;
        let terms = terms
            .iter()
            .map(|&(v, s)| {
                if self.routes.is_kept(s) {
                    return (v, s);
                }
                let route = self.routes.route(s).expect("routable step");
                let last = route[route.len() - 1];
                (self.rotated(instr.layer, instr.level, v, (s + slots - last) % slots), last)
            })
            .collect();
        self.out.push(Instr { layer: instr.layer, level: instr.level, op: Op::RotateSum { dst, terms } });
    }
}

/// The instructions of `schedule` with every rotation composed from the steps `routes` keeps
/// (see the module documentation), and the number of values they use; `None` when a step
/// cannot be composed within [`MAX_HOPS`]. With every step kept, the instructions unchanged.
pub fn compose_instrs(schedule: &Schedule, routes: &mut StepRoutes) -> Option<(Vec<Instr>, usize)> {
    if !routable(schedule, routes) {
        return None;
    }
    let mut rewriter = Rewriter {
        routes,
        next_value: schedule.num_values as u32,
        out: Vec::with_capacity(schedule.instrs.len()),
        rotated: HashMap::new(),
    };
    for instr in &schedule.instrs {
        match &instr.op {
            Op::RotateHoistedExt { src, steps, dsts } if steps.iter().any(|&s| !rewriter.routes.is_kept(s)) => {
                rewriter.hoisted(instr, *src, steps, dsts)
            }
            Op::RotateSum { dst, terms } if terms.iter().any(|&(_, s)| !rewriter.routes.is_kept(s)) => {
                rewriter.rotate_sum(instr, *dst, terms)
            }
            _ => rewriter.out.push(instr.clone()),
        }
    }
    Some((rewriter.out, rewriter.next_value as usize))
}

/// `schedule` with the instructions of [`compose_instrs`]; the layer reports' operation counts
/// are recomputed, nothing else changes.
pub fn compose_rotations(schedule: &Schedule, routes: &mut StepRoutes) -> Option<Schedule> {
    let (instrs, num_values) = compose_instrs(schedule, routes)?;
    Some(with_instrs(schedule, instrs, num_values))
}

/// `schedule` running `instrs` (over `num_values` values) instead of its own, with the layer
/// reports' operation counts recomputed.
pub fn with_instrs(schedule: &Schedule, instrs: Vec<Instr>, num_values: usize) -> Schedule {
    let mut out = Schedule { instrs: Vec::new(), ..schedule.clone() };
    out.num_values = num_values;
    out.instrs = instrs;
    for layer in &mut out.layers {
        layer.counts = OpCounts::default();
    }
    for instr in &out.instrs {
        out.layers[instr.layer].counts = out.layers[instr.layer].counts + OpCounts::of(&instr.op);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn routes_are_shortest_and_sum_to_the_step() {
        let kept: BTreeSet<usize> = [1, 4, 16, 60].into_iter().collect();
        let mut routes = StepRoutes::new(64, kept);
        assert_eq!(routes.route(0), Some(vec![]));
        assert_eq!(routes.route(4), Some(vec![4]));
        assert_eq!(routes.route(5).map(|r| r.len()), Some(2));
        for step in 0..64 {
            if let Some(route) = routes.route(step) {
                assert_eq!(route.iter().sum::<usize>() % 64, step);
                assert!(route.iter().all(|k| routes.kept().contains(k)));
            }
        }
        // 63 = 60 + 1 + 1 + 1 needs four kept keys; no three sum to 63.
        assert_eq!(routes.route(63), None);
        assert_eq!(routes.route(60 + 16 + 4 - 64), Some(vec![16]));
        assert_eq!(routes.hops(21), Some(3));
    }
}
