//! The cost model: seconds per operation, from a measured [`CostProfile`].
//!
//! Every instruction is priced as the primitives it performs ([`Primitive`]), each at its
//! level, for the special primes and digit size of the parameters and the worker threads of
//! the run. Prices are *throughputs* at that thread count (what the runner achieves when a
//! layer has enough independent work); [`super::latency`] adds the critical path of
//! layers that do not, to predict the latency of a whole schedule. Plaintext encoding is priced
//! separately ([`CostModel::encode_seconds`]): pre-encoded weights cost nothing online.

use std::collections::BTreeSet;

use serde::Serialize;

use super::counts::OpCounts;
use super::ir::{Instr, Op};
use super::profile::{CostProfile, LinearFit, Primitive};

/// Special primes assumed before parameters are chosen (the zoo's choice at `N = 2^14`).
pub const DEFAULT_SPECIAL_PRIMES: usize = 2;
/// Q primes per key-switching digit assumed before parameters are chosen.
pub const DEFAULT_PRIMES_PER_DIGIT: usize = 2;

/// Seconds per primitive at one ring degree, parameter shape and thread count.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct CostModel {
    /// `log2 N` of the profile entry used.
    pub log_n: u32,
    /// Special (key-switching) primes `k`.
    pub special: usize,
    /// Q primes per key-switching digit `α`.
    pub primes_per_digit: usize,
    /// Worker threads the run uses.
    pub threads: usize,
    /// Fits measured on one thread (for work that cannot be split).
    serial: [LinearFit; Primitive::ALL.len()],
    /// Throughput fits at `threads` threads.
    parallel: [LinearFit; Primitive::ALL.len()],
}

impl CostModel {
    /// The model of `profile` at ring degree `2^log_n` for `threads` worker threads, `special`
    /// special primes and `primes_per_digit` Q primes per digit.
    pub fn from_profile(
        profile: &CostProfile,
        log_n: u32,
        threads: usize,
        special: usize,
        primes_per_digit: usize,
    ) -> Self {
        let serial = profile.entry(log_n, 1);
        let parallel = profile.entry(log_n, threads.max(1));
        Self {
            log_n: serial.log_n,
            special,
            primes_per_digit: primes_per_digit.max(1),
            threads: threads.max(1),
            serial: serial.fits(),
            parallel: parallel.fits(),
        }
    }

    /// The active profile's ([`CostProfile::active`]) model at `2^log_n`, one thread, default
    /// key-switching shape.
    pub fn for_ring(log_n: u32) -> Self {
        Self::from_profile(&CostProfile::active(), log_n, 1, DEFAULT_SPECIAL_PRIMES, DEFAULT_PRIMES_PER_DIGIT)
    }

    /// The same model for `threads` worker threads (from the active profile).
    pub fn with_threads(self, threads: usize) -> Self {
        let profile = CostProfile::active();
        Self::from_profile(&profile, self.log_n, threads, self.special, self.primes_per_digit)
    }

    /// The same model for other key-switching parameters.
    pub fn with_key_switching(mut self, special: usize, primes_per_digit: usize) -> Self {
        self.special = special;
        self.primes_per_digit = primes_per_digit.max(1);
        self
    }

    fn price(&self, fits: &[LinearFit; Primitive::ALL.len()], p: Primitive, level: usize) -> f64 {
        fits[p.index()].seconds(p.work(level, self.special, self.primes_per_digit))
    }

    /// Seconds of one `p` at `level` (throughput at [`CostModel::threads`]).
    pub fn seconds(&self, p: Primitive, level: usize) -> f64 {
        self.price(&self.parallel, p, level)
    }

    /// Seconds of one `p` at `level` on one thread.
    pub fn serial_seconds(&self, p: Primitive, level: usize) -> f64 {
        self.price(&self.serial, p, level)
    }

    /// An addition of two extended (`Q_ℓ·P`) values: an addition over `ℓ + 1 + k` limbs.
    fn add_extended(&self, level: usize) -> f64 {
        self.seconds(Primitive::Add, level + self.special)
    }

    /// Seconds to encode one plaintext at `level` (extended or not).
    pub fn encode_seconds(&self, level: usize, extended: bool) -> f64 {
        self.seconds(if extended { Primitive::EncodeExtended } else { Primitive::Encode }, level)
    }

    /// Seconds of `counts` operations at `level` (plaintext multiplies and additions in the
    /// extended basis when `extended`), plaintexts pre-encoded.
    pub fn cost(&self, counts: &OpCounts, level: usize, extended: bool) -> f64 {
        use Primitive::*;
        let s = |p| self.seconds(p, level);
        let (pmult, add) = if extended { (s(MulAcc), self.add_extended(level)) } else { (s(MulPlain), s(Add)) };
        // A squaring's own decomposition and mod-down are inside its measured time.
        let decompositions = counts.decompositions.saturating_sub(counts.squares);
        let mod_downs = counts.mod_downs.saturating_sub(counts.squares);
        decompositions as f64 * s(Decompose)
            + counts.rotations as f64 * s(InnerProduct)
            + mod_downs as f64 * s(ModDown)
            + counts.pmults as f64 * pmult
            + counts.adds as f64 * add
            + counts.rescales as f64 * s(Rescale)
            + counts.squares as f64 * s(SquareRelin)
            + counts.drops as f64 * s(Add)
    }

    /// Seconds (throughput) of one hoisted rotation group at `level`: one decomposition when a
    /// step rotates, an inner product per non-zero step, a lift per step 0.
    pub fn hoisted_rotations_seconds(&self, level: usize, rotated: usize, lifts: usize) -> f64 {
        use Primitive::*;
        let decompose = if rotated > 0 { self.seconds(Decompose, level) } else { 0.0 };
        decompose + rotated as f64 * self.seconds(InnerProduct, level) + lifts as f64 * self.seconds(Lift, level)
    }

    /// Seconds (throughput) of a fused multiply-accumulate of `terms` extended terms and its
    /// mod-down.
    pub fn fused_sum_seconds(&self, level: usize, terms: usize) -> f64 {
        terms as f64 * self.seconds(Primitive::MulAcc, level) + self.seconds(Primitive::ModDown, level)
    }

    /// Seconds (throughput) of a rotate-sum at `level`: a decomposition per distinct rotated
    /// source, an inner product per rotated term, a lift per unrotated term, the extended
    /// additions and one mod-down.
    pub fn rotate_sum_seconds(&self, level: usize, sources: usize, rotated: usize, lifts: usize) -> f64 {
        use Primitive::*;
        let terms = rotated + lifts;
        if terms == 0 {
            return 0.0;
        }
        sources as f64 * self.seconds(Decompose, level)
            + rotated as f64 * self.seconds(InnerProduct, level)
            + lifts as f64 * self.seconds(Lift, level)
            + (terms - 1) as f64 * self.add_extended(level)
            + self.seconds(ModDown, level)
    }

    /// Seconds of one instruction (throughput), plaintexts pre-encoded.
    pub fn instr_cost(&self, instr: &Instr) -> f64 {
        self.instr_parts(instr).throughput
    }

    /// Seconds of a whole program (sum of throughputs), plaintexts pre-encoded.
    pub fn program_cost(&self, instrs: &[Instr]) -> f64 {
        instrs.iter().map(|i| self.instr_cost(i)).sum()
    }

    /// An instruction's price as a throughput and as the time it takes alone (its serial
    /// part on one thread, the rest split over the threads).
    pub(crate) fn instr_parts(&self, instr: &Instr) -> InstrTime {
        use Primitive::*;
        let level = instr.level;
        let par = |p| self.seconds(p, level);
        let ser = |p| self.serial_seconds(p, level);
        match &instr.op {
            Op::RotateHoistedExt { steps, .. } => {
                let rotated = steps.iter().filter(|&&s| s != 0).count();
                let lifts = steps.len() - rotated;
                let decompose = if rotated > 0 { 1.0 } else { 0.0 };
                let throughput = self.hoisted_rotations_seconds(level, rotated, lifts);
                let (rotated, lifts) = (rotated as f64, lifts as f64);
                let steps_alone = if steps.len() > 1 {
                    rotated * par(InnerProduct) + lifts * par(Lift)
                } else {
                    rotated * ser(InnerProduct) + lifts * ser(Lift)
                };
                InstrTime { throughput, alone: decompose * ser(Decompose) + steps_alone }
            }
            Op::MulAccExt { terms, .. } => InstrTime {
                throughput: self.fused_sum_seconds(level, terms.len()),
                alone: terms.len() as f64 * ser(MulAcc) + ser(ModDown),
            },
            Op::RotateSum { terms, .. } => {
                let rotated = terms.iter().filter(|t| t.1 != 0).count();
                let sources: BTreeSet<_> = terms.iter().filter(|t| t.1 != 0).map(|t| t.0).collect();
                let lifts = terms.len() - rotated;
                let throughput = self.rotate_sum_seconds(level, sources.len(), rotated, lifts);
                let alone = if sources.len() > 1 {
                    throughput
                } else {
                    let adds = terms.len().saturating_sub(1) as f64 * self.add_extended(level);
                    let mod_down = if terms.is_empty() { 0.0 } else { ser(ModDown) };
                    let (rotated, lifts) = (rotated as f64, lifts as f64);
                    sources.len() as f64 * ser(Decompose)
                        + if terms.len() > 1 { rotated * par(InnerProduct) } else { rotated * ser(InnerProduct) }
                        + lifts * par(Lift)
                        + adds
                        + mod_down
                };
                InstrTime { throughput, alone }
            }
            Op::MulAcc { terms, .. } => {
                let (n, adds) = (terms.len() as f64, terms.len().saturating_sub(1) as f64);
                InstrTime::serial(n * par(MulPlain) + adds * par(Add), n * ser(MulPlain) + adds * ser(Add))
            }
            Op::MulPlain { .. } => InstrTime::serial(par(MulPlain), ser(MulPlain)),
            Op::AddPlain { .. } | Op::Add { .. } | Op::DropLevels { .. } => InstrTime::serial(par(Add), ser(Add)),
            Op::Rescale { .. } => InstrTime::serial(par(Rescale), ser(Rescale)),
            Op::Square { .. } => InstrTime::serial(par(SquareRelin), ser(SquareRelin)),
            Op::Polynomial { levels, products, .. } => {
                let (p, l) = (*products as f64, *levels as f64);
                InstrTime::serial(p * par(SquareRelin) + l * par(Rescale), p * ser(SquareRelin) + l * ser(Rescale))
            }
        }
    }
}

/// An instruction's time as a throughput and alone (see [`CostModel::instr_parts`]).
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct InstrTime {
    /// Seconds when other instructions keep every thread busy.
    pub throughput: f64,
    /// Seconds when it runs alone.
    pub alone: f64,
}

impl InstrTime {
    fn serial(throughput: f64, alone: f64) -> Self {
        Self { throughput, alone }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn costs_grow_with_level_and_hoisting_pays_per_rotation() {
        let m = CostModel::for_ring(14);
        for p in Primitive::ALL {
            assert!(m.seconds(p, 8) >= m.seconds(p, 1), "{p:?}");
        }
        let one = OpCounts { rotations: 1, decompositions: 1, mod_downs: 1, ..OpCounts::default() };
        let hoisted = OpCounts { rotations: 8, decompositions: 1, mod_downs: 1, ..OpCounts::default() };
        let separate = OpCounts { rotations: 8, decompositions: 8, mod_downs: 8, ..OpCounts::default() };
        assert!(m.cost(&one, 5, false) < m.cost(&hoisted, 5, false));
        assert!(m.cost(&hoisted, 5, false) < m.cost(&separate, 5, false));
    }
}
