//! The cost of a linear stage lowered with one baby/giant split, as a function of which of its
//! diagonals are kept, without emitting it — and kept up to date as diagonals are removed or
//! restored one by one (what rotation-aware pruning needs to price thousands of candidate
//! units).
//!
//! [`bsgs::emit`](super::bsgs) lowers the kept diagonals `D_{i,k,j}` with `j = b + g` into:
//! per input `k` one hoisted rotation over its baby steps (when one of them is non-zero: one
//! decomposition, one inner product per non-zero step); per `(output i, giant g)` one fused
//! multiply-accumulate over the terms whose input is rotated (one mod-down) plus a plain
//! multiply per term whose input is not, summed; per output one rotate-sum over its giant
//! steps (one key switch per non-zero step, one mod-down). [`StageCost::total`] prices exactly
//! those operations with the [`CostModel`], so it equals the cost of the emitted program
//! (tested), except that an output with no kept diagonal is free here (the planner emits one
//! zero placeholder for it).

use std::collections::{BTreeMap, BTreeSet};

use super::bsgs::BsgsSplit;
use super::cost::CostModel;
use super::counts::OpCounts;
use super::stage::LinearStage;

/// Where one diagonal lands under the split.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DiagonalPlace {
    /// Input ciphertext `k`.
    pub in_ct: usize,
    /// Output ciphertext `i`.
    pub out_ct: usize,
    /// Baby step `b` (rotation of the input, hoisted).
    pub baby: usize,
    /// Giant step `g` (rotation of the output's partial sum).
    pub giant: usize,
}

/// One `(output, giant step)` inner sum: kept terms per input ciphertext.
#[derive(Clone, Debug, Default)]
struct InnerSum {
    terms: BTreeMap<usize, usize>,
    cost: f64,
}

/// The cost of a stage under one split, maintained while diagonals are removed and restored.
#[derive(Clone, Debug)]
pub struct StageCost {
    places: Vec<DiagonalPlace>,
    kept: Vec<bool>,
    cost: CostModel,
    level: usize,
    /// Kept diagonals per `(input, baby step)`.
    baby_terms: BTreeMap<(usize, usize), usize>,
    /// Distinct non-zero baby steps per input.
    babies: Vec<usize>,
    /// Inner sums per `(output, giant step)`.
    sums: BTreeMap<(usize, usize), InnerSum>,
    /// Inner sums per input that read it.
    sums_of_input: Vec<BTreeSet<(usize, usize)>>,
    /// Per output: (inner sums, inner sums with a non-zero giant step).
    giants: Vec<(usize, usize)>,
    hoist_cost: Vec<f64>,
    output_cost: Vec<f64>,
    total: f64,
}

impl StageCost {
    /// The cost of `stage` at `level` lowered with `split`, every diagonal kept except those
    /// with `kept[d] == false`.
    ///
    /// # Panics
    /// If `kept` does not have one flag per diagonal of the stage.
    pub fn new(stage: &LinearStage, split: BsgsSplit, level: usize, cost: &CostModel, kept: &[bool]) -> Self {
        assert_eq!(kept.len(), stage.diagonals.len(), "one flag per diagonal");
        let slots = stage.input.slots;
        let places = stage
            .diagonals
            .iter()
            .map(|d| {
                let (baby, giant) = split.split(d.step, slots);
                DiagonalPlace { in_ct: d.in_ct, out_ct: d.out_ct, baby, giant }
            })
            .collect();
        let (n_in, n_out) = (stage.input.num_cts(), stage.output.num_cts());
        let mut state = Self {
            places,
            kept: vec![false; kept.len()],
            cost: *cost,
            level,
            baby_terms: BTreeMap::new(),
            babies: vec![0; n_in],
            sums: BTreeMap::new(),
            sums_of_input: vec![BTreeSet::new(); n_in],
            giants: vec![(0, 0); n_out],
            hoist_cost: vec![0.0; n_in],
            output_cost: vec![0.0; n_out],
            total: 0.0,
        };
        for (d, _) in kept.iter().enumerate().filter(|(_, k)| **k) {
            state.restore(d);
        }
        state
    }

    /// Estimated cost of the kept diagonals (cost-model units).
    pub fn total(&self) -> f64 {
        self.total
    }

    /// Where each diagonal lands under the split.
    pub fn places(&self) -> &[DiagonalPlace] {
        &self.places
    }

    /// Whether diagonal `d` is kept.
    pub fn is_kept(&self, d: usize) -> bool {
        self.kept[d]
    }

    /// Key-switching rotations of the kept diagonals (hoisted baby steps and giant steps).
    pub fn rotations(&self) -> usize {
        self.babies.iter().sum::<usize>() + self.giants.iter().map(|g| g.1).sum::<usize>()
    }

    fn price(&self, counts: OpCounts, extended: bool) -> f64 {
        self.cost.cost(&counts, self.level, extended)
    }

    fn hoist_price(&self, k: usize) -> f64 {
        let rotations = self.babies[k];
        if rotations == 0 {
            return 0.0;
        }
        let lifts = usize::from(self.baby_terms.contains_key(&(k, 0)));
        self.cost.hoisted_rotations_seconds(self.level, rotations, lifts)
    }

    fn sum_price(&self, sum: &InnerSum) -> f64 {
        let (mut rotated, mut plain) = (0, 0);
        for (&k, &n) in &sum.terms {
            if self.babies[k] > 0 { rotated += n } else { plain += n }
        }
        let mut price = self.price(OpCounts { pmults: plain, ..OpCounts::default() }, false);
        if rotated > 0 {
            price += self.cost.fused_sum_seconds(self.level, rotated);
        }
        let pieces = plain + usize::from(rotated > 0);
        price + self.price(OpCounts { adds: pieces.saturating_sub(1), ..OpCounts::default() }, false)
    }

    fn output_price(&self, i: usize) -> f64 {
        let (terms, rotated) = self.giants[i];
        if terms == 0 || (terms == 1 && rotated == 0) {
            return 0.0;
        }
        self.cost.rotate_sum_seconds(self.level, rotated, rotated, terms - rotated)
    }

    fn reprice_sum(&mut self, key: (usize, usize)) {
        let Some(sum) = self.sums.get(&key) else { return };
        let price = self.sum_price(sum);
        let sum = self.sums.get_mut(&key).expect("present");
        self.total += price - sum.cost;
        sum.cost = price;
    }

    fn reprice_input(&mut self, k: usize, rotated_before: bool) {
        let price = self.hoist_price(k);
        self.total += price - self.hoist_cost[k];
        self.hoist_cost[k] = price;
        if rotated_before != (self.babies[k] > 0) {
            let keys: Vec<(usize, usize)> = self.sums_of_input[k].iter().copied().collect();
            keys.into_iter().for_each(|key| self.reprice_sum(key));
        }
    }

    fn reprice_output(&mut self, i: usize) {
        let price = self.output_price(i);
        self.total += price - self.output_cost[i];
        self.output_cost[i] = price;
    }

    /// Removes diagonal `d` (no-op if it is not kept).
    pub fn remove(&mut self, d: usize) {
        if !std::mem::replace(&mut self.kept[d], false) {
            return;
        }
        let DiagonalPlace { in_ct: k, out_ct: i, baby, giant } = self.places[d];
        let rotated_before = self.babies[k] > 0;
        let n = self.baby_terms.get_mut(&(k, baby)).expect("kept diagonal counted");
        *n -= 1;
        if *n == 0 {
            self.baby_terms.remove(&(k, baby));
            if baby != 0 {
                self.babies[k] -= 1;
            }
        }
        let sum = self.sums.get_mut(&(i, giant)).expect("kept diagonal counted");
        let n = sum.terms.get_mut(&k).expect("kept diagonal counted");
        *n -= 1;
        if *n == 0 {
            sum.terms.remove(&k);
            self.sums_of_input[k].remove(&(i, giant));
        }
        if sum.terms.is_empty() {
            self.total -= sum.cost;
            self.sums.remove(&(i, giant));
            self.giants[i].0 -= 1;
            self.giants[i].1 -= usize::from(giant != 0);
            self.reprice_output(i);
        } else {
            self.reprice_sum((i, giant));
        }
        self.reprice_input(k, rotated_before);
    }

    /// Restores diagonal `d` (no-op if it is kept).
    pub fn restore(&mut self, d: usize) {
        if std::mem::replace(&mut self.kept[d], true) {
            return;
        }
        let DiagonalPlace { in_ct: k, out_ct: i, baby, giant } = self.places[d];
        let rotated_before = self.babies[k] > 0;
        let n = self.baby_terms.entry((k, baby)).or_insert(0);
        *n += 1;
        if *n == 1 && baby != 0 {
            self.babies[k] += 1;
        }
        let sum = self.sums.entry((i, giant)).or_default();
        if sum.terms.is_empty() {
            self.giants[i].0 += 1;
            self.giants[i].1 += usize::from(giant != 0);
        }
        *sum.terms.entry(k).or_insert(0) += 1;
        self.sums_of_input[k].insert((i, giant));
        self.reprice_sum((i, giant));
        self.reprice_output(i);
        self.reprice_input(k, rotated_before);
    }

    /// How much the cost drops when `diagonals` are removed (the state is left unchanged).
    pub fn saving(&mut self, diagonals: &[usize]) -> f64 {
        let before = self.total;
        let removed: Vec<usize> = diagonals.iter().copied().filter(|&d| self.kept[d]).collect();
        removed.iter().for_each(|&d| self.remove(d));
        let after = self.total;
        removed.iter().for_each(|&d| self.restore(d));
        before - after
    }
}

#[cfg(test)]
mod tests {
    use rand_chacha::ChaCha8Rng;
    use rand_core::{RngCore, SeedableRng};

    use super::*;
    use crate::model::randomize;
    use crate::model::zoo::{Network, Variant};
    use crate::plan::bsgs::{StageCall, emit};
    use crate::plan::builder::ProgramBuilder;
    use crate::plan::ir::ValueId;
    use crate::plan::{PlanConfig, plan};

    /// The conv stages of a zoo network's SpENCNN variant with their levels.
    fn conv_stages(network: Network) -> Vec<(LinearStage, usize)> {
        let mut model = network.build(Variant::SpEncnn);
        randomize(&mut model, 3);
        let schedule = plan(&model, &PlanConfig::new(network.default_log_n())).unwrap();
        let levels: Vec<usize> = schedule.layers.iter().map(|l| l.level_out + 1).collect();
        schedule.stages.into_iter().filter_map(|s| s.node.map(|n| (s, levels[n]))).collect()
    }

    fn emitted_cost(stage: &LinearStage, kept: &[bool], split: BsgsSplit, level: usize, cost: &CostModel) -> f64 {
        let inputs: Vec<ValueId> = (0..stage.input.num_cts() as u32).map(ValueId).collect();
        let diagonals: Vec<usize> = (0..kept.len()).filter(|&d| kept[d]).collect();
        let call = StageCall { stage_index: 0, stage, diagonals: &diagonals, inputs: &inputs, level, pt_scale: 1.0 };
        let mut builder = ProgramBuilder::starting_at(inputs.len() as u32, 0);
        emit(&mut builder, &call, split);
        cost.program_cost(&builder.instrs)
    }

    /// Random kept flags (probability `keep`) with at least one kept diagonal per output.
    fn random_kept(stage: &LinearStage, keep: f64, rng: &mut ChaCha8Rng) -> Vec<bool> {
        let mut kept: Vec<bool> =
            stage.diagonals.iter().map(|_| (rng.next_u32() as f64) < keep * u32::MAX as f64).collect();
        for ct in 0..stage.output.num_cts() {
            if let Some(d) = stage.diagonals.iter().position(|d| d.out_ct == ct) {
                kept[d] = true;
            }
        }
        kept
    }

    #[test]
    fn the_incremental_cost_equals_the_emitted_program_for_every_split() {
        let cost = CostModel::for_ring(14);
        let mut rng = ChaCha8Rng::seed_from_u64(11);
        for network in [Network::LeNet, Network::Vgg5] {
            for (stage, level) in conv_stages(network) {
                let slots = stage.input.slots;
                for (n, split) in BsgsSplit::candidates(slots).into_iter().enumerate() {
                    let keep = [1.0, 0.5, 0.1][n % 3];
                    let kept = random_kept(&stage, keep, &mut rng);
                    let state = StageCost::new(&stage, split, level, &cost, &kept);
                    let emitted = emitted_cost(&stage, &kept, split, level, &cost);
                    let error = (state.total() - emitted).abs() / emitted.max(1.0);
                    assert!(error < 1e-9, "{} {split:?}: {} vs {emitted}", stage.name, state.total());
                }
            }
        }
    }

    #[test]
    fn removing_and_restoring_diagonals_tracks_the_cost_and_the_rotations() {
        let cost = CostModel::for_ring(14);
        let mut rng = ChaCha8Rng::seed_from_u64(12);
        let (stage, level) = conv_stages(Network::LeNet).remove(1);
        let split = BsgsSplit { modulus: 1024, baby_low: true, centered: false };
        let all = vec![true; stage.diagonals.len()];
        let mut state = StageCost::new(&stage, split, level, &cost, &all);
        let full = state.total();
        let kept = random_kept(&stage, 0.3, &mut rng);
        for d in (0..kept.len()).filter(|&d| !kept[d]) {
            state.remove(d);
        }
        let fresh = StageCost::new(&stage, split, level, &cost, &kept);
        assert!((state.total() - fresh.total()).abs() < 1e-9 * full);
        assert_eq!(state.rotations(), fresh.rotations());
        let removable: Vec<usize> = (0..kept.len()).filter(|&d| kept[d]).take(7).collect();
        let saving = state.saving(&removable);
        assert!(saving > 0.0);
        assert!((state.total() - fresh.total()).abs() < 1e-9 * full, "saving leaves the state unchanged");
        for d in 0..kept.len() {
            state.restore(d);
        }
        assert!((state.total() - full).abs() < 1e-9 * full);
    }
}
