//! Rotation-aware sub-block pruning: the pruning unit is a whole rotation's worth of
//! sub-blocks.
//!
//! Under a baby/giant split `j = b + g` (see [`BsgsSplit`]) every sub-block (diagonal
//! `D_{i,k,j}`) is read through one baby rotation `Rot_b(x_k)` of its input and one giant
//! rotation `Rot_g` of its output's partial sum. A *baby unit* is every sub-block sharing
//! `(k, b)`, a *giant unit* every sub-block sharing `(i, g)`; zeroing a unit removes its
//! plaintext multiplies and, with them, its rotation (and, for a giant unit, the fused sum's
//! mod-down and the rotation's decomposition). Units are ranked by *importance per unit of cost
//! saved*: the squared L2 norm of the weights still in the unit over the drop of the stage's
//! estimated cost ([`StageCost`], the planner's cost model) when the unit goes. The cheapest
//! unit is removed, scores are updated, and so on until the next unit would overshoot the
//! target; the last few sub-blocks are then taken one by one, ranked the same way.
//!
//! The split is chosen the same way one level up: every candidate split is pruned greedily and
//! the one whose pruning removes the least importance per unit of cost saved (against the
//! cheapest split of the unpruned stage) wins. The planner re-chooses its split on the pruned
//! diagonals, so the planned cost is at most the cost reported here.

use std::collections::BTreeMap;

use rayon::prelude::*;
use serde::Serialize;

use crate::plan::{BsgsSplit, CostModel, LinearStage, StageCost};

/// One removed rotation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum RotationUnit {
    /// Every sub-block reading input ciphertext `in_ct` through baby rotation `step`.
    Baby {
        /// Input ciphertext.
        in_ct: usize,
        /// Baby step.
        step: usize,
    },
    /// Every sub-block summed into output ciphertext `out_ct` through giant rotation `step`.
    Giant {
        /// Output ciphertext.
        out_ct: usize,
        /// Giant step.
        step: usize,
    },
}

/// The outcome of rotation-aware pruning of one stage.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct RotationPruning {
    /// The split whose rotations the units are.
    pub split: BsgsSplit,
    /// Per sub-block (diagonal of the stage): kept.
    pub kept: Vec<bool>,
    /// Whole units removed, in order, with the sub-blocks each removed.
    pub units: Vec<(RotationUnit, Vec<usize>)>,
    /// Sub-blocks removed one by one after the last whole unit.
    pub singles: Vec<usize>,
    /// Estimated cost of the unpruned stage under its cheapest split.
    pub cost_before: f64,
    /// Estimated cost of the kept sub-blocks under `split`.
    pub cost_after: f64,
    /// Key-switching rotations of the kept sub-blocks under `split`.
    pub rotations_after: usize,
    /// Squared L2 norm of the removed weights.
    pub removed_importance: f64,
}

/// The units of `state`'s split: every `(input, baby)` then every `(output, giant)`, with
/// their sub-blocks.
fn units_of(state: &StageCost) -> Vec<(RotationUnit, Vec<usize>)> {
    let mut babies: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    let mut giants: BTreeMap<(usize, usize), Vec<usize>> = BTreeMap::new();
    for (d, p) in state.places().iter().enumerate() {
        babies.entry((p.in_ct, p.baby)).or_default().push(d);
        giants.entry((p.out_ct, p.giant)).or_default().push(d);
    }
    let babies = babies.into_iter().map(|((in_ct, step), ds)| (RotationUnit::Baby { in_ct, step }, ds));
    let giants = giants.into_iter().map(|((out_ct, step), ds)| (RotationUnit::Giant { out_ct, step }, ds));
    babies.chain(giants).collect()
}

/// Importance per unit of cost saved of removing the kept sub-blocks of `blocks`, or `None` if
/// nothing is kept or nothing would be saved.
fn score(state: &mut StageCost, blocks: &[usize], importance: &[f64]) -> Option<f64> {
    let kept: Vec<usize> = blocks.iter().copied().filter(|&d| state.is_kept(d)).collect();
    if kept.is_empty() {
        return None;
    }
    let saving = state.saving(&kept);
    (saving > 0.0).then(|| kept.iter().map(|&d| importance[d]).sum::<f64>() / saving)
}

/// A unit's score in the queue: lowest first, ties by unit index.
#[derive(Clone, Copy, Debug, PartialEq)]
struct Queued {
    score: f64,
    unit: usize,
    version: u32,
}

impl Eq for Queued {}

impl Ord for Queued {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        // BinaryHeap is a max-heap: reverse so that the lowest score pops first.
        other.score.total_cmp(&self.score).then(other.unit.cmp(&self.unit))
    }
}

impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

/// What pruning under one split leaves: the stage's cost state, the whole units removed (in
/// order, with the sub-blocks each removed) and the sub-blocks removed one by one after them.
type SplitPruning = (StageCost, Vec<(RotationUnit, Vec<usize>)>, Vec<usize>);

/// Greedy pruning of `target` sub-blocks under one split.
///
/// Scores live in a priority queue. Removing a unit re-scores at once every unit that lost a
/// sub-block with it (a baby and a giant unit share at most one); every other score is checked
/// when it reaches the front of the queue (a unit whose score got worse goes back in), which
/// catches the rarer effects through shared inputs and outputs (an input losing its last
/// rotation, an output losing a giant step).
fn prune_split(
    stage: &LinearStage,
    split: BsgsSplit,
    level: usize,
    cost: &CostModel,
    importance: &[f64],
    target: usize,
) -> SplitPruning {
    let mut state = StageCost::new(stage, split, level, cost, &vec![true; stage.diagonals.len()]);
    let units = units_of(&state);
    // Units holding each diagonal (its baby unit and its giant unit).
    let mut holders: Vec<Vec<usize>> = vec![Vec::new(); stage.diagonals.len()];
    for (u, (_, ds)) in units.iter().enumerate() {
        ds.iter().for_each(|&d| holders[d].push(u));
    }
    let mut versions = vec![0u32; units.len()];
    let mut queue = std::collections::BinaryHeap::new();
    for (u, (_, ds)) in units.iter().enumerate() {
        if let Some(score) = score(&mut state, ds, importance) {
            queue.push(Queued { score, unit: u, version: 0 });
        }
    }
    let (mut removed, mut pruned) = (Vec::new(), 0);
    while let Some(top) = queue.pop() {
        if top.version != versions[top.unit] {
            continue;
        }
        let u = top.unit;
        let blocks: Vec<usize> = units[u].1.iter().copied().filter(|&d| state.is_kept(d)).collect();
        if blocks.is_empty() || blocks.len() > target - pruned {
            // Too big now (it may shrink later: re-scored when it loses a sub-block).
            continue;
        }
        let Some(now) = score(&mut state, &blocks, importance) else { continue };
        if now > top.score && queue.peek().is_some_and(|next| now > next.score) {
            versions[u] += 1;
            queue.push(Queued { score: now, unit: u, version: versions[u] });
            continue;
        }
        blocks.iter().for_each(|&d| state.remove(d));
        pruned += blocks.len();
        versions[u] += 1;
        let mut crossing: Vec<usize> = blocks.iter().flat_map(|&d| holders[d].iter().copied()).collect();
        crossing.sort_unstable();
        crossing.dedup();
        for v in crossing.into_iter().filter(|&v| v != u) {
            versions[v] += 1;
            if let Some(score) = score(&mut state, &units[v].1, importance) {
                queue.push(Queued { score, unit: v, version: versions[v] });
            }
        }
        removed.push((units[u].0, blocks));
        if pruned == target {
            break;
        }
    }
    let left: Vec<usize> = (0..stage.diagonals.len()).filter(|&d| state.is_kept(d)).collect();
    let mut singles: Vec<(f64, usize)> =
        left.into_iter().map(|d| (score(&mut state, &[d], importance).unwrap_or(f64::INFINITY), d)).collect();
    singles.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
    let singles: Vec<usize> = singles.into_iter().take(target - pruned).map(|(_, d)| d).collect();
    singles.iter().for_each(|&d| state.remove(d));
    (state, removed, singles)
}

/// Rotation-aware pruning of `target` sub-blocks (clamped to the stage's) of `stage` at
/// `level`, with per-sub-block `importance` (one per diagonal of the stage; the squared L2
/// norm of its weights), priced with `cost`.
///
/// # Panics
/// If `importance` does not have one entry per diagonal of the stage.
pub fn prune_rotations(
    stage: &LinearStage,
    level: usize,
    cost: &CostModel,
    importance: &[f64],
    target: usize,
) -> RotationPruning {
    let blocks = stage.diagonals.len();
    assert_eq!(importance.len(), blocks, "one importance per sub-block");
    let target = target.min(blocks);
    let all = vec![true; blocks];
    let candidates = distinct_splits(stage);
    let cost_before =
        candidates.iter().map(|&s| StageCost::new(stage, s, level, cost, &all).total()).fold(f64::INFINITY, f64::min);
    // Every candidate split is pruned (in parallel); the first with the lowest rank wins.
    let outcomes: Vec<(f64, RotationPruning)> = candidates
        .into_par_iter()
        .map(|split| {
            let (state, units, singles) = prune_split(stage, split, level, cost, importance, target);
            let kept: Vec<bool> = (0..blocks).map(|d| state.is_kept(d)).collect();
            let removed_importance: f64 = (0..blocks).filter(|&d| !kept[d]).map(|d| importance[d]).sum();
            let saved = cost_before - state.total();
            // Nothing saved (or nothing pruned): the cheapest such split, after every saving one.
            let rank = if saved > 0.0 { removed_importance / saved } else { f64::INFINITY };
            let pruning = RotationPruning {
                split,
                kept,
                units,
                singles,
                cost_before,
                cost_after: state.total(),
                rotations_after: state.rotations(),
                removed_importance,
            };
            (rank, pruning)
        })
        .collect();
    let mut best: Option<(f64, RotationPruning)> = None;
    for (rank, pruning) in outcomes {
        if best.as_ref().is_none_or(|(r, b)| rank < *r || (rank == *r && pruning.cost_after < b.cost_after)) {
            best = Some((rank, pruning));
        }
    }
    best.map(|b| b.1).expect("at least one candidate split")
}

/// The candidate splits of `stage` that place its diagonals differently (the first of each
/// class of splits giving the same baby and giant steps to every diagonal).
fn distinct_splits(stage: &LinearStage) -> Vec<BsgsSplit> {
    let slots = stage.input.slots;
    let mut seen = std::collections::BTreeSet::new();
    BsgsSplit::candidates(slots)
        .into_iter()
        .filter(|split| seen.insert(stage.diagonals.iter().map(|d| split.split(d.step, slots)).collect::<Vec<_>>()))
        .collect()
}
