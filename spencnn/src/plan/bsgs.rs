//! Baby-step / giant-step lowering of a linear stage with double hoisting.
//!
//! Every diagonal step `j` is split as `j = b + g` (see [`BsgsSplit`]):
//! `out_i = Σ_g Rot_g( Σ_k Σ_b Rot_{−g}(D_{i,k,b+g}) ⊙ Rot_b(x_k) )`.
//! Baby rotations of each input are hoisted (one decomposition, results kept in the extended
//! basis) and shared by all outputs; the inner sums are fused multiply-accumulates with one
//! mod-down each; giant rotations are applied once per `(output, giant step)` and summed with one
//! mod-down per output. The dense design-note orders are two of the candidate splits: "diagonals
//! inside, taps outside" is `giant = j mod± B` (the centred tap offset), `baby = j − giant`, and
//! the reverse order swaps the two. The planner evaluates every candidate on the real (pruned) diagonals and keeps the
//! cheapest under the [`CostModel`].

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;

use super::builder::ProgramBuilder;
use super::cost::CostModel;
use super::ir::{Op, PlainSource, PlainSpec, ValueId};
use super::stage::LinearStage;

/// How a rotation step `j` is split into a baby step (on inputs) and a giant step (on outputs).
///
/// The *low part* of `j` is `j mod modulus`, or, when `centered`, the signed remainder in
/// `[−modulus/2, modulus/2)` (so a negative tap offset stays in the low part instead of borrowing a
/// whole block from the high part). `baby = low` if `baby_low`, else `baby = j − low`; the giant
/// step is the other part (all taken mod `S`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct BsgsSplit {
    /// A power of two in `[1, S]`.
    pub modulus: usize,
    /// Whether the low part is the baby step.
    pub baby_low: bool,
    /// Whether the low part is the centred (signed) remainder.
    pub centered: bool,
}

impl BsgsSplit {
    /// `(baby, giant)` of step `j` for `slots` slots.
    pub fn split(&self, step: usize, slots: usize) -> (usize, usize) {
        let m = self.modulus;
        let low = if self.centered { ((step + m / 2) % m + slots - m / 2) % slots } else { step % m };
        let high = (step + slots - low) % slots;
        if self.baby_low { (low, high) } else { (high, low) }
    }

    /// Every candidate split for `slots` slots.
    pub fn candidates(slots: usize) -> Vec<BsgsSplit> {
        let mut out = Vec::new();
        let mut m = 1;
        while m <= slots {
            for baby_low in [true, false] {
                for centered in [false, true] {
                    if !(centered && m == 1) {
                        out.push(BsgsSplit { modulus: m, baby_low, centered });
                    }
                }
            }
            m *= 2;
        }
        out
    }

    /// A short description: `all-baby`, `all-giant`, `baby=j%m` (low part on the inputs) or
    /// `giant=j%m` (low part on the outputs); `%±` marks a centred remainder.
    pub fn describe(&self, slots: usize) -> String {
        let m = self.modulus;
        let op = if self.centered { "%±" } else { "%" };
        if !self.centered && (m == 1 || m == slots) {
            let all_baby = (m == slots) == self.baby_low;
            return if all_baby { "all-baby".into() } else { "all-giant".into() };
        }
        if self.baby_low { format!("baby=j{op}{m}") } else { format!("giant=j{op}{m}") }
    }
}

/// What a linear stage needs from the program: its inputs and the encoding of its plaintexts.
pub(crate) struct StageCall<'a> {
    pub stage_index: usize,
    pub stage: &'a LinearStage,
    /// Diagonals to multiply (non-zero ones, plus one placeholder per otherwise empty output).
    pub diagonals: &'a [usize],
    pub inputs: &'a [ValueId],
    pub level: usize,
    pub pt_scale: f64,
}

/// One inner-sum term: `(input ciphertext, baby step, diagonal)`.
type Term = (usize, usize, usize);

/// Emits the stage with `split`; returns one un-rescaled accumulator per output ciphertext.
pub(crate) fn emit(b: &mut ProgramBuilder, call: &StageCall<'_>, split: BsgsSplit) -> Vec<ValueId> {
    let stage = call.stage;
    let n_in = stage.input.num_cts();
    let mut babies: Vec<BTreeSet<usize>> = vec![BTreeSet::new(); n_in];
    // (out_ct, giant) -> [(in_ct, baby, diagonal)]
    let mut groups: BTreeMap<(usize, usize), Vec<Term>> = BTreeMap::new();
    for &d in call.diagonals {
        let diag = &stage.diagonals[d];
        let (baby, giant) = split.split(diag.step, stage.input.slots);
        babies[diag.in_ct].insert(baby);
        groups.entry((diag.out_ct, giant)).or_default().push((diag.in_ct, baby, d));
    }
    let rotated: Vec<bool> = babies.iter().map(|s| s.iter().any(|&x| x != 0)).collect();
    let mut extended: BTreeMap<(usize, usize), ValueId> = BTreeMap::new();
    for k in (0..n_in).filter(|&k| rotated[k]) {
        let steps: Vec<usize> = babies[k].iter().copied().collect();
        let dsts: Vec<ValueId> = steps.iter().map(|_| b.value()).collect();
        for (s, v) in steps.iter().zip(&dsts) {
            extended.insert((k, *s), *v);
        }
        b.emit(call.level, Op::RotateHoistedExt { src: call.inputs[k], steps, dsts });
    }
    let plain = |b: &mut ProgramBuilder, d: usize, giant: usize, ext: bool| {
        b.plain(PlainSpec {
            level: call.level,
            scale: call.pt_scale,
            extended: ext,
            source: PlainSource::Diagonal { stage: call.stage_index, diagonal: d, giant },
        })
    };
    let mut per_output: BTreeMap<usize, Vec<(ValueId, usize)>> = BTreeMap::new();
    for ((out_ct, giant), terms) in groups {
        let mut ext_terms = Vec::new();
        let mut pieces = Vec::new();
        for (k, baby, d) in terms {
            if rotated[k] {
                let pt = plain(b, d, giant, true);
                ext_terms.push((extended[&(k, baby)], pt));
            } else {
                let pt = plain(b, d, giant, false);
                let dst = b.value();
                b.emit(call.level, Op::MulPlain { dst, src: call.inputs[k], pt });
                pieces.push(dst);
            }
        }
        if !ext_terms.is_empty() {
            let dst = b.value();
            b.emit(call.level, Op::MulAccExt { dst, terms: ext_terms });
            pieces.insert(0, dst);
        }
        let inner = b.sum(call.level, &pieces);
        per_output.entry(out_ct).or_default().push((inner, giant));
    }
    per_output.into_values().map(|terms| b.rotate_sum(call.level, terms)).collect()
}

/// Emits the stage with the cheapest split under `cost` (or `forced`); returns the accumulators,
/// the split used and every candidate priced (distinct programs only, cheapest first; empty
/// when forced).
pub(crate) fn emit_cheapest(
    b: &mut ProgramBuilder,
    call: &StageCall<'_>,
    cost: &CostModel,
    forced: Option<BsgsSplit>,
) -> (Vec<ValueId>, BsgsSplit, Vec<(BsgsSplit, f64)>) {
    let mut priced: Vec<(BsgsSplit, f64, usize)> = Vec::new();
    let split = forced.unwrap_or_else(|| {
        let mut seen = std::collections::HashSet::new();
        for split in BsgsSplit::candidates(call.stage.input.slots) {
            let mut scratch = ProgramBuilder::starting_at(b.next_value, b.layer);
            emit(&mut scratch, call, split);
            let c = cost.program_cost(&scratch.instrs);
            let counts = scratch
                .instrs
                .iter()
                .fold(super::counts::OpCounts::default(), |acc, i| acc + super::counts::OpCounts::of(&i.op));
            // Splits that emit the same program (same counts and price) are listed once.
            if !seen.insert((c.to_bits(), format!("{counts:?}"))) {
                continue;
            }
            let rotations = counts.rotations;
            priced.push((split, c, rotations));
        }
        priced.sort_by(|x, y| x.1.total_cmp(&y.1).then(x.2.cmp(&y.2)));
        priced.first().map_or(BsgsSplit { modulus: 1, baby_low: true, centered: false }, |p| p.0)
    });
    (emit(b, call, split), split, priced.into_iter().map(|(s, c, _)| (s, c)).collect())
}
