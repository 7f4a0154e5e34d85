//! The HEAR-style lowering of a linear stage: the dense baseline of the SpENCNN paper.
//!
//! HEAR (Kim et al., secure human action recognition, on SEAL) evaluates a convolution over
//! channel-blocked, stride-grid maps as `out_i = Σ_t Rot_{s_t}( Σ_k Σ_δ P[i,k,δ,t] ⊙ Rot_{δ·B}(x_k) )`:
//! channel-diagonal rotations of the inputs (baby steps), plaintext multiplies in `Q_ℓ`, and the
//! tap rotations applied once per output ciphertext (giant steps). Every rotation is a full key
//! switch of its own (decomposition, inner product, mod-down), as SEAL's `rotate_vector` does;
//! nothing is hoisted and no product stays in the extended basis. The split is fixed:
//! the giant step is the centred tap offset `j mod± B`, the baby step the channel diagonal.
//! [`super::PlanConfig::method`] selects it; the planner then also keeps every map on its
//! stride grid (no polyphase input).

use std::collections::{BTreeMap, BTreeSet};

use super::bsgs::{BsgsSplit, StageCall};
use super::builder::ProgramBuilder;
use super::ir::{Op, PlainId, PlainSource, PlainSpec, ValueId};

/// The split HEAR uses for a stage whose input blocks hold `block_len` slots.
pub(crate) fn hear_split(block_len: usize) -> BsgsSplit {
    BsgsSplit { modulus: block_len.max(1), baby_low: false, centered: block_len > 1 }
}

/// Terms of each (output ciphertext, giant step): (input ciphertext, baby step, diagonal).
type GiantGroups = BTreeMap<(usize, usize), Vec<(usize, usize, usize)>>;

/// Emits `call` the HEAR way; returns one un-rescaled accumulator per output ciphertext.
pub(crate) fn emit_hear(b: &mut ProgramBuilder, call: &StageCall<'_>) -> (Vec<ValueId>, BsgsSplit) {
    let stage = call.stage;
    let split = hear_split(stage.input.grid.block_len());
    let level = call.level;
    let mut babies: BTreeSet<(usize, usize)> = BTreeSet::new();
    // (output ciphertext, giant step) -> its terms (input ciphertext, baby step, diagonal).
    let mut groups: GiantGroups = BTreeMap::new();
    for &d in call.diagonals {
        let diag = &stage.diagonals[d];
        let (baby, giant) = split.split(diag.step, stage.input.slots);
        babies.insert((diag.in_ct, baby));
        groups.entry((diag.out_ct, giant)).or_default().push((diag.in_ct, baby, d));
    }
    // Baby steps: one full rotation each (step 0 is the input itself).
    let rotated: BTreeMap<(usize, usize), ValueId> =
        babies.into_iter().map(|(k, baby)| ((k, baby), b.rotate_sum(level, vec![(call.inputs[k], baby)]))).collect();
    let mut per_output: BTreeMap<usize, Vec<ValueId>> = BTreeMap::new();
    for ((out_ct, giant), terms) in groups {
        let terms: Vec<(ValueId, PlainId)> = terms
            .into_iter()
            .map(|(k, baby, d)| {
                let pt = b.plain(PlainSpec {
                    level,
                    scale: call.pt_scale,
                    extended: false,
                    source: PlainSource::Diagonal { stage: call.stage_index, diagonal: d, giant },
                });
                (rotated[&(k, baby)], pt)
            })
            .collect();
        let inner = b.value();
        b.emit(level, Op::MulAcc { dst: inner, terms });
        // Giant step: one full rotation of the inner sum.
        let moved = b.rotate_sum(level, vec![(inner, giant)]);
        per_output.entry(out_ct).or_default().push(moved);
    }
    (per_output.into_values().map(|parts| b.sum(level, &parts)).collect(), split)
}
