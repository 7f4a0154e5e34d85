//! The schedule IR: plain-data HE operations on numbered values.
//!
//! A [`Schedule`] is a straight-line program. Every value is produced once ([`ValueId`] in SSA
//! form) and is either an ordinary ciphertext or an *extended-basis* ciphertext (the output of
//! [`Op::RotateHoistedExt`], only consumable by [`Op::MulAccExt`]). Rotation steps are canonical
//! left-rotation amounts in `[0, S)`: `Rot_k(x)[i] = x[(i + k) mod S]`.

use std::sync::Arc;

use serde::Serialize;
use spencnn_ckks::circuits::polynomial::CompositePolynomial;

use super::counts::OpCounts;
use super::scale::ScaleModel;
use super::stage::LinearStage;
use crate::layout::{LayoutSummary, SlotLayout};

/// A value (ciphertext) of the schedule.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct ValueId(pub u32);

/// A plaintext of the schedule (materialised on demand, see [`Schedule::plaintext_values`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
pub struct PlainId(pub u32);

/// One HE operation.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Op {
    /// `dsts[j] = Rot_{steps[j]}(src)` kept in the extended basis `QP`: one decomposition of
    /// `src`, one key-switch inner product per non-zero step (step 0 is a plain lift, no key).
    RotateHoistedExt {
        /// Input ciphertext.
        src: ValueId,
        /// Rotation steps (distinct).
        steps: Vec<usize>,
        /// Extended-basis outputs, one per step.
        dsts: Vec<ValueId>,
    },
    /// `dst = ModDown(Σ_j ext_j ⊙ pt_j)`: plaintext multiplies and sums in the extended basis,
    /// one mod-down. All terms share level and scale; `dst` has scale `scale(ext) · scale(pt)`.
    MulAccExt {
        /// Output ciphertext.
        dst: ValueId,
        /// `(extended value, extended plaintext)` pairs.
        terms: Vec<(ValueId, PlainId)>,
    },
    /// `dst = Σ_j Rot_{step_j}(src_j)`: one key switch per non-zero step (sources with the same
    /// `src` share one decomposition), accumulated in the extended basis, one mod-down.
    RotateSum {
        /// Output ciphertext.
        dst: ValueId,
        /// `(ciphertext, step)` pairs; step 0 adds the ciphertext unrotated.
        terms: Vec<(ValueId, usize)>,
    },
    /// `dst = Σ_j src_j ⊙ pt_j` in `Q_ℓ` (ordinary plaintexts), one product at a time: the
    /// HEAR baseline's inner sums (no extended basis, no shared mod-down).
    MulAcc {
        /// Output ciphertext.
        dst: ValueId,
        /// `(ciphertext, plaintext)` pairs, all at one level and scale.
        terms: Vec<(ValueId, PlainId)>,
    },
    /// `dst = src ⊙ pt` (scales multiply).
    MulPlain {
        /// Output.
        dst: ValueId,
        /// Ciphertext.
        src: ValueId,
        /// Plaintext at the ciphertext's level.
        pt: PlainId,
    },
    /// `dst = src + pt` (the plaintext is encoded at the ciphertext's level and scale).
    AddPlain {
        /// Output.
        dst: ValueId,
        /// Ciphertext.
        src: ValueId,
        /// Plaintext.
        pt: PlainId,
    },
    /// `dst = lhs + rhs` (equal level and scale).
    Add {
        /// Output.
        dst: ValueId,
        /// First operand.
        lhs: ValueId,
        /// Second operand.
        rhs: ValueId,
    },
    /// `dst = src / q_level`: one level down.
    Rescale {
        /// Output.
        dst: ValueId,
        /// Input.
        src: ValueId,
    },
    /// `dst = src ⊙ src`, relinearised (scale squares, level unchanged).
    Square {
        /// Output.
        dst: ValueId,
        /// Input.
        src: ValueId,
    },
    /// `dst = poly(src)` slot-wise for a composite polynomial on `[-1, 1]` (a ReLU
    /// approximation on normalised inputs): `levels` levels down, the scale unchanged,
    /// `products` relinearised ciphertext products.
    Polynomial {
        /// Output.
        dst: ValueId,
        /// Input (slot values in `[-1, 1]`).
        src: ValueId,
        /// The polynomial.
        #[serde(skip)]
        poly: Arc<CompositePolynomial>,
        /// Levels consumed.
        levels: usize,
        /// Ciphertext-ciphertext products (each relinearised and rescaled).
        products: usize,
    },
    /// `dst = src` with `levels` moduli dropped (scale unchanged).
    DropLevels {
        /// Output.
        dst: ValueId,
        /// Input.
        src: ValueId,
        /// Levels to drop.
        levels: usize,
    },
}

impl Op {
    /// The values the operation reads, in operand order (a value read twice appears twice).
    pub fn reads(&self) -> Vec<ValueId> {
        match self {
            Op::RotateHoistedExt { src, .. }
            | Op::MulPlain { src, .. }
            | Op::AddPlain { src, .. }
            | Op::Rescale { src, .. }
            | Op::Square { src, .. }
            | Op::Polynomial { src, .. }
            | Op::DropLevels { src, .. } => vec![*src],
            Op::MulAccExt { terms, .. } | Op::MulAcc { terms, .. } => terms.iter().map(|t| t.0).collect(),
            Op::RotateSum { terms, .. } => terms.iter().map(|t| t.0).collect(),
            Op::Add { lhs, rhs, .. } => vec![*lhs, *rhs],
        }
    }

    /// The values the operation writes (each exactly once in a schedule: SSA).
    pub fn writes(&self) -> Vec<ValueId> {
        match self {
            Op::RotateHoistedExt { dsts, .. } => dsts.clone(),
            Op::MulAccExt { dst, .. }
            | Op::MulAcc { dst, .. }
            | Op::RotateSum { dst, .. }
            | Op::MulPlain { dst, .. }
            | Op::AddPlain { dst, .. }
            | Op::Add { dst, .. }
            | Op::Rescale { dst, .. }
            | Op::Square { dst, .. }
            | Op::Polynomial { dst, .. }
            | Op::DropLevels { dst, .. } => vec![*dst],
        }
    }

    /// The plaintexts the operation reads.
    pub fn plaintexts(&self) -> Vec<PlainId> {
        match self {
            Op::MulAccExt { terms, .. } | Op::MulAcc { terms, .. } => terms.iter().map(|t| t.1).collect(),
            Op::MulPlain { pt, .. } | Op::AddPlain { pt, .. } => vec![*pt],
            _ => Vec::new(),
        }
    }
}

/// An operation with the model node it belongs to and the level of its inputs.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Instr {
    /// Index into [`Schedule::layers`].
    pub layer: usize,
    /// Level of the operation's input ciphertexts.
    pub level: usize,
    /// The operation.
    pub op: Op,
}

/// Where a plaintext's values come from.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum PlainSource {
    /// Diagonal `diagonal` of linear stage `stage`, pre-rotated by `−giant` (so that the giant-step
    /// rotation applied after the multiply puts it in place).
    Diagonal {
        /// Index into [`Schedule::stages`].
        stage: usize,
        /// Index into the stage's diagonals.
        diagonal: usize,
        /// Giant step applied after the multiply.
        giant: usize,
    },
    /// The bias of output ciphertext `out_ct` of a linear stage (non-zero only at valid pixels).
    Bias {
        /// Index into [`Schedule::stages`].
        stage: usize,
        /// Output ciphertext.
        out_ct: usize,
    },
}

/// A plaintext: where its slot values come from and how it is encoded.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PlainSpec {
    /// Level to encode at.
    pub level: usize,
    /// Encoding scale.
    pub scale: f64,
    /// Encoded in the extended basis `QP` (for [`Op::MulAccExt`]).
    pub extended: bool,
    /// Values.
    pub source: PlainSource,
}

/// One logit: where it lands and the affine map the client applies after decryption.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct OutputSlot {
    /// Index into [`Schedule::outputs`].
    pub ct: usize,
    /// Slot in that ciphertext.
    pub slot: usize,
    /// Logit = `scale · decrypted + offset`.
    pub scale: f64,
    /// See `scale`.
    pub offset: f64,
}

/// Per-layer summary.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct LayerReport {
    /// Node name (or `input`).
    pub name: String,
    /// Layer kind.
    pub kind: String,
    /// Level of the layer's output (after its rescales).
    pub level_out: usize,
    /// Operation counts derived from the layer's instructions.
    pub counts: OpCounts,
    /// For linear layers: the baby/giant split chosen (see
    /// [`docs/planner.md`](https://github.com/spencnn/spencnn/blob/main/docs/planner.md)).
    pub split: Option<String>,
    /// Packing of the layer's output.
    pub packing: LayoutSummary,
}

/// A complete lowered network.
#[derive(Clone, Debug, Serialize)]
pub struct Schedule {
    /// Model name.
    pub model: String,
    /// Slots per ciphertext `S`.
    pub slots: usize,
    /// Layout the client encodes the image into.
    pub input_layout: SlotLayout,
    /// Input ciphertexts, one per input-layout ciphertext.
    pub inputs: Vec<ValueId>,
    /// Level of the input ciphertexts.
    pub input_level: usize,
    /// Scale of the input ciphertexts.
    pub input_scale: f64,
    /// The modulus chain the plaintext scales were chosen for.
    pub chain: ScaleModel,
    /// The program.
    pub instrs: Vec<Instr>,
    /// Plaintexts referenced by the program.
    pub plaintexts: Vec<PlainSpec>,
    /// Folded linear maps the plaintexts are cut from.
    #[serde(skip)]
    pub stages: Vec<LinearStage>,
    /// Ciphertexts returned to the client.
    pub outputs: Vec<ValueId>,
    /// Where each logit lands.
    pub logits: Vec<OutputSlot>,
    /// Level of the outputs.
    pub output_level: usize,
    /// Number of values (ids are `0..num_values`).
    pub num_values: usize,
    /// Per-layer reports, indexed by [`Instr::layer`].
    pub layers: Vec<LayerReport>,
    /// The decisions taken by cost (packings, splits) with the alternatives priced.
    pub choices: Vec<super::packing::Choice>,
}

impl Schedule {
    /// Multiplicative depth: levels consumed from input to output.
    pub fn depth(&self) -> usize {
        self.input_level - self.output_level
    }

    /// Every non-zero rotation step with the highest level at which it is applied (sorted by
    /// step): a Galois key for the step needs only the primes of that level.
    pub fn rotation_step_levels(&self) -> Vec<(usize, usize)> {
        super::rotation_keys::step_levels(&self.instrs)
    }

    /// The highest level at which a ciphertext is squared or multiplied (relinearised), if any.
    pub fn square_level(&self) -> Option<usize> {
        self.instrs
            .iter()
            .filter(|i| matches!(i.op, Op::Square { .. } | Op::Polynomial { .. }))
            .map(|i| i.level)
            .max()
    }

    /// Rotation steps that need a Galois key (non-zero, sorted).
    pub fn rotation_steps(&self) -> Vec<usize> {
        let mut steps = std::collections::BTreeSet::new();
        for instr in &self.instrs {
            match &instr.op {
                Op::RotateHoistedExt { steps: s, .. } => steps.extend(s.iter().copied()),
                Op::RotateSum { terms, .. } => steps.extend(terms.iter().map(|t| t.1)),
                _ => {}
            }
        }
        steps.remove(&0);
        steps.into_iter().collect()
    }

    /// Totals over all layers.
    pub fn totals(&self) -> OpCounts {
        self.layers.iter().fold(OpCounts::default(), |acc, l| acc + l.counts)
    }

    /// The slot values of plaintext `id`.
    pub fn plaintext_values(&self, id: PlainId) -> Vec<f64> {
        let spec = &self.plaintexts[id.0 as usize];
        match spec.source {
            PlainSource::Diagonal { stage, diagonal, giant } => self.stages[stage].diagonal_values(diagonal, giant),
            PlainSource::Bias { stage, out_ct } => self.stages[stage].bias_values(out_ct),
        }
    }

    /// The contiguous instruction ranges of each layer, in order, as `(layer, range)`.
    pub fn layer_segments(&self) -> Vec<(usize, std::ops::Range<usize>)> {
        let mut segments: Vec<(usize, std::ops::Range<usize>)> = Vec::new();
        for (i, instr) in self.instrs.iter().enumerate() {
            match segments.last_mut() {
                Some((layer, range)) if *layer == instr.layer => range.end = i + 1,
                _ => segments.push((instr.layer, i..i + 1)),
            }
        }
        segments
    }

    /// The instructions of `range` grouped into dependency waves (index order within a wave):
    /// an instruction's wave is one more than the latest wave in `range` that wrote one of its
    /// inputs. The instructions of a wave are independent; the runner executes them at once.
    pub fn waves(&self, range: std::ops::Range<usize>) -> Vec<Vec<usize>> {
        let mut wave_of_value: std::collections::HashMap<u32, usize> = std::collections::HashMap::new();
        let mut waves: Vec<Vec<usize>> = Vec::new();
        for i in range {
            let op = &self.instrs[i].op;
            let wave = op.reads().iter().filter_map(|v| wave_of_value.get(&v.0)).map(|w| w + 1).max().unwrap_or(0);
            for v in op.writes() {
                wave_of_value.insert(v.0, wave);
            }
            if waves.len() <= wave {
                waves.resize_with(wave + 1, Vec::new);
            }
            waves[wave].push(i);
        }
        waves
    }
}
