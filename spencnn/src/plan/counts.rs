//! Operation counts, derived from the IR itself.

use std::collections::BTreeSet;
use std::ops::Add;

use serde::{Deserialize, Serialize};

use super::ir::Op;

/// How many HE operations of each kind a piece of schedule performs.
///
/// `rotations` counts key-switching rotations (one Galois-key inner product each, step 0 excluded);
/// `decompositions` counts key-switch decompositions (ModUp), shared by hoisted rotations;
/// `mod_downs` counts returns from the extended basis (one per fused multiply-accumulate, per
/// rotate-sum and per relinearisation). `pmults` counts plaintext multiplies (skipped zero
/// sub-blocks never appear), `adds` ciphertext additions (plaintext additions included).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct OpCounts {
    /// Key-switching rotations.
    pub rotations: usize,
    /// Key-switch decompositions (ModUp).
    pub decompositions: usize,
    /// Mod-downs from the extended basis.
    pub mod_downs: usize,
    /// Plaintext multiplies.
    pub pmults: usize,
    /// Additions (ciphertext or plaintext operand).
    pub adds: usize,
    /// Rescales.
    pub rescales: usize,
    /// Ciphertext squarings (with relinearisation).
    pub squares: usize,
    /// Level drops.
    pub drops: usize,
}

impl Add for OpCounts {
    type Output = OpCounts;
    fn add(self, o: OpCounts) -> OpCounts {
        OpCounts {
            rotations: self.rotations + o.rotations,
            decompositions: self.decompositions + o.decompositions,
            mod_downs: self.mod_downs + o.mod_downs,
            pmults: self.pmults + o.pmults,
            adds: self.adds + o.adds,
            rescales: self.rescales + o.rescales,
            squares: self.squares + o.squares,
            drops: self.drops + o.drops,
        }
    }
}

impl OpCounts {
    /// The counts of one operation.
    pub fn of(op: &Op) -> OpCounts {
        let mut c = OpCounts::default();
        match op {
            Op::RotateHoistedExt { steps, .. } => {
                c.rotations = steps.iter().filter(|&&s| s != 0).count();
                c.decompositions = usize::from(c.rotations > 0);
            }
            Op::MulAccExt { terms, .. } => {
                c.pmults = terms.len();
                c.adds = terms.len().saturating_sub(1);
                c.mod_downs = 1;
            }
            Op::RotateSum { terms, .. } => {
                let rotated: Vec<_> = terms.iter().filter(|t| t.1 != 0).collect();
                c.rotations = rotated.len();
                c.decompositions = rotated.iter().map(|t| t.0).collect::<BTreeSet<_>>().len();
                c.mod_downs = usize::from(!rotated.is_empty());
                c.adds = terms.len().saturating_sub(1);
            }
            Op::MulAcc { terms, .. } => {
                c.pmults = terms.len();
                c.adds = terms.len().saturating_sub(1);
            }
            Op::MulPlain { .. } => c.pmults = 1,
            Op::AddPlain { .. } | Op::Add { .. } => c.adds = 1,
            Op::Rescale { .. } => c.rescales = 1,
            Op::Square { .. } => {
                c.squares = 1;
                c.decompositions = 1;
                c.mod_downs = 1;
            }
            Op::Polynomial { levels, products, .. } => {
                c.squares = *products;
                c.decompositions = *products;
                c.mod_downs = *products;
                c.rescales = *levels;
            }
            Op::DropLevels { .. } => c.drops = 1,
        }
        c
    }
}
