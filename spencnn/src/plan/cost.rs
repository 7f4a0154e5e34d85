//! A level-aware cost model for RNS-CKKS operations, in units of one length-`N` NTT.
//!
//! At level `ℓ` a ciphertext has `ℓ + 1` RNS limbs; key switching adds `special` limbs and splits
//! the modulus into `dnum` digits. The model prices (per ciphertext with two polynomials):
//! decomposition (ModUp) `dnum · (ℓ+1+special)` NTTs; key-switch inner product
//! `2 · dnum · (ℓ+1+special)` limb multiplies plus an automorphism priced as `2 · (ℓ+1+special)`; mod-down `2 · (ℓ+1+special)` NTTs; plaintext
//! multiply `2 · limbs` limb multiplies (extended basis: `ℓ+1+special` limbs); addition half of that;
//! rescale `2 · (ℓ+1)` NTTs; squaring = tensor product + a key switch. A limb multiply costs
//! `mul` NTTs (≈ 1 / (log2 N) with lazy reduction). The figures are estimates for choosing
//! schedules and comparing networks, not measurements.

use serde::Serialize;

use super::counts::OpCounts;
use super::ir::{Instr, Op};

/// Cost-model parameters.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CostModel {
    /// Special (key-switching) primes `α`.
    pub special: usize,
    /// Decomposition digits `dnum`.
    pub dnum: usize,
    /// Cost of one length-`N` limb multiply relative to one NTT.
    pub mul: f64,
}

impl Default for CostModel {
    fn default() -> Self {
        Self { special: 2, dnum: 3, mul: 0.1 }
    }
}

impl CostModel {
    fn ext_limbs(&self, level: usize) -> f64 {
        (level + 1 + self.special) as f64
    }

    /// Estimated cost of `counts` operations at `level`. Plaintext multiplies are priced in the
    /// extended basis when `extended` is set.
    pub fn cost(&self, counts: &OpCounts, level: usize, extended: bool) -> f64 {
        let limbs = (level + 1) as f64;
        let ext = self.ext_limbs(level);
        let decompose = self.dnum as f64 * ext;
        // Inner product with the key plus the automorphism (a permutation of both polynomials).
        let inner = (2.0 * self.dnum as f64 + 2.0) * ext * self.mul;
        let mod_down = 2.0 * ext;
        let pmult_limbs = if extended { ext } else { limbs };
        counts.decompositions as f64 * decompose
            + counts.rotations as f64 * inner
            + counts.mod_downs as f64 * mod_down
            + counts.pmults as f64 * 2.0 * pmult_limbs * self.mul
            + counts.adds as f64 * pmult_limbs * self.mul
            + counts.rescales as f64 * 2.0 * limbs
            + counts.squares as f64 * (3.0 * limbs * self.mul + inner)
    }

    /// Estimated cost of one instruction.
    pub fn instr_cost(&self, instr: &Instr) -> f64 {
        let extended = matches!(instr.op, Op::MulAccExt { .. });
        self.cost(&OpCounts::of(&instr.op), instr.level, extended)
    }

    /// Estimated cost of a whole program.
    pub fn program_cost(&self, instrs: &[Instr]) -> f64 {
        instrs.iter().map(|i| self.instr_cost(i)).sum()
    }
}
