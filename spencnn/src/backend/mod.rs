//! Backends that run a [`crate::plan::Schedule`]: the trait, the exact slot simulator, the CKKS
//! backend, and the one interpreter that drives any backend through a schedule.
//!
//! - [`SlotSimulator`] (`simulator`, `noise`): exact `f64` slots with CKKS's level and scale
//!   bookkeeping, optionally with simulated rounding noise;
//! - [`CkksBackend`] (`ckks`): the same operations on `spencnn-ckks` ciphertexts;
//! - [`runner`]: [`run`] executes a schedule layer by layer with independent instructions on
//!   the rayon pool ([`execute`]: the same on one thread); `dispatch` maps one instruction
//!   to its backend operation;
//! - [`run_simulated`]: image in, logits out, on the simulator;
//! - [`calibrate`]: times the cost model's primitives on this machine (the cost profile).
//!
//! The trait is shaped after what RNS-CKKS does efficiently:
//! - [`Backend::rotate_hoisted_extended`]: decompose one ciphertext once (ModUp), then one
//!   key-switch inner product per step; results stay in the extended basis `QP`;
//! - [`Backend::mul_acc_extended`]: `Σ pt_j ⊙ ext_j` in `QP` and one mod-down (double hoisting);
//! - [`Backend::rotate_sum`]: `Σ Rot_{k_j}(x_j)`, key-switch outputs accumulated in `QP`, one
//!   mod-down;
//! - the usual plaintext multiply/add, add, rescale, square (relinearised) and level drop.
//!
//! Every ciphertext carries a level and a scale; operations check them exactly like CKKS would.

pub mod calibrate;
pub(crate) mod ckks;
mod dispatch;
pub mod noise;
pub mod runner;
mod simulate;
mod simulator;

pub use ckks::{CkksBackend, CkksPlaintext};
pub use dispatch::{ExecError, encode_plaintext};
pub use runner::{LayerRun, Plaintexts, execute, run};
pub use simulate::{run_simulated, run_simulated_noisy};
pub use simulator::{SimCiphertext, SimExtended, SimPlaintext, SlotSimulator};

use thiserror::Error;

/// Errors raised by a backend operation.
#[derive(Debug, Error, Clone, PartialEq)]
#[non_exhaustive]
pub enum BackendError {
    /// Operands at different levels.
    #[error("{op}: level mismatch ({left} vs {right})")]
    LevelMismatch {
        /// Operation name.
        op: &'static str,
        /// Level of the first operand.
        left: usize,
        /// Level of the second operand.
        right: usize,
    },
    /// Operands with different scales.
    #[error("{op}: scale mismatch ({left:e} vs {right:e})")]
    ScaleMismatch {
        /// Operation name.
        op: &'static str,
        /// Scale of the first operand.
        left: f64,
        /// Scale of the second operand.
        right: f64,
    },
    /// Rescale or drop below level 0.
    #[error("{op}: no level left (level {level}, needs {needed})")]
    NoLevelLeft {
        /// Operation name.
        op: &'static str,
        /// Current level.
        level: usize,
        /// Levels needed.
        needed: usize,
    },
    /// A rotation with no Galois key.
    #[error("no rotation key for step {step}")]
    MissingRotationKey {
        /// The step.
        step: usize,
    },
    /// A plaintext encoded for the wrong basis (ordinary vs extended).
    #[error("{op}: plaintext encoded for the wrong basis")]
    WrongBasis {
        /// Operation name.
        op: &'static str,
    },
    /// A vector of the wrong length.
    #[error("expected {expected} slots, got {found}")]
    SlotCount {
        /// Slots per ciphertext.
        expected: usize,
        /// Length given.
        found: usize,
    },
    /// An operation with no operands.
    #[error("{op}: no operands")]
    Empty {
        /// Operation name.
        op: &'static str,
    },
    /// The result does not fit its modulus: `log2(max|m| · scale) ≥ log2(Q_ℓ) − 1`.
    #[error("{op}: value of 2^{log2_magnitude:.1} overflows the modulus 2^{log2_modulus:.1}")]
    Overflow {
        /// Operation name.
        op: &'static str,
        /// `log2(max|m| · scale)`.
        log2_magnitude: f64,
        /// `log2(Q_ℓ)`.
        log2_modulus: f64,
    },
    /// A polynomial activation received slot values outside `[-1, 1]` (its inputs are
    /// normalised by the interval radius): the approximation does not hold there.
    #[error(
        "polynomial activation input reaches {peak:.3} times its interval radius (must stay within 1): \
         widen the ReLU interval"
    )]
    OutsideInterval {
        /// Largest `|x| / R` seen.
        peak: f64,
    },
    /// A backend-specific failure (e.g. a CKKS parameter or key problem).
    #[error("{op} failed: {reason}")]
    Failed {
        /// Operation name.
        op: &'static str,
        /// What went wrong.
        reason: String,
    },
    /// A level or scale outside what the backend supports.
    #[error("{op}: level {level} / scale {scale:e} not supported")]
    Unsupported {
        /// Operation name.
        op: &'static str,
        /// Level asked for.
        level: usize,
        /// Scale asked for.
        scale: f64,
    },
}

/// The operations a schedule needs. Implemented by [`SlotSimulator`] and [`CkksBackend`].
///
/// Rotation steps are left rotations in `[0, S)`: `Rot_k(x)[i] = x[(i + k) mod S]`.
pub trait Backend {
    /// An ordinary ciphertext (level, scale, two polynomials mod `Q_ℓ`).
    type Ciphertext;
    /// A ciphertext in the extended basis `Q_ℓ·P` (output of hoisted rotations).
    type Extended;
    /// An encoded plaintext.
    type Plaintext;

    /// Encodes `values` (length `S`) at `level` and `scale`, in the extended basis if `extended`.
    fn encode(&self, values: &[f64], level: usize, scale: f64, extended: bool)
    -> Result<Self::Plaintext, BackendError>;

    /// `Rot_{steps[j]}(ct)` for every step, sharing one decomposition; step 0 is a lift.
    fn rotate_hoisted_extended(
        &self,
        ct: &Self::Ciphertext,
        steps: &[usize],
    ) -> Result<Vec<Self::Extended>, BackendError>;

    /// `ModDown(Σ_j ext_j ⊙ pt_j)` (equal levels and scales, extended plaintexts).
    fn mul_acc_extended(&self, terms: &[(&Self::Extended, &Self::Plaintext)])
    -> Result<Self::Ciphertext, BackendError>;

    /// Several independent [`Backend::mul_acc_extended`] sums at once (e.g. every output
    /// ciphertext of a layer); a backend may share memory traffic between them. The default
    /// computes them one by one.
    fn mul_acc_extended_many(
        &self,
        sums: &[Vec<(&Self::Extended, &Self::Plaintext)>],
    ) -> Vec<Result<Self::Ciphertext, BackendError>> {
        sums.iter().map(|terms| self.mul_acc_extended(terms)).collect()
    }

    /// [`Backend::mul_acc_extended`] with the plaintexts made by `encode` when they are
    /// needed: a backend may encode and consume them a few at a time, so that an instruction
    /// never holds all its plaintexts at once (on-demand encoding of large layers). The result
    /// is the same as [`Backend::mul_acc_extended`]'s. The default encodes them all first.
    fn mul_acc_extended_encoding(
        &self,
        terms: &[(&Self::Extended, crate::plan::PlainId)],
        encode: &(dyn Fn(crate::plan::PlainId) -> Result<Self::Plaintext, BackendError> + Sync),
    ) -> Result<Self::Ciphertext, BackendError> {
        let plaintexts = terms.iter().map(|(_, id)| encode(*id)).collect::<Result<Vec<_>, _>>()?;
        let pairs: Vec<(&Self::Extended, &Self::Plaintext)> =
            terms.iter().zip(&plaintexts).map(|((x, _), p)| (*x, p)).collect();
        self.mul_acc_extended(&pairs)
    }

    /// `Σ_j Rot_{step_j}(ct_j)` with one mod-down (equal levels and scales).
    fn rotate_sum(&self, terms: &[(&Self::Ciphertext, usize)]) -> Result<Self::Ciphertext, BackendError>;

    /// `Σ_j ct_j ⊙ pt_j` (equal levels and scales, ordinary plaintexts). The default multiplies
    /// and adds one term at a time (one product alive at once).
    fn mul_acc(&self, terms: &[(&Self::Ciphertext, &Self::Plaintext)]) -> Result<Self::Ciphertext, BackendError> {
        let ((first, first_pt), rest) = terms.split_first().ok_or(BackendError::Empty { op: "mul_acc" })?;
        let mut acc = self.mul_plain(first, first_pt)?;
        for (ct, pt) in rest {
            acc = self.add(&acc, &self.mul_plain(ct, pt)?)?;
        }
        Ok(acc)
    }

    /// `ct ⊙ pt` (same level, ordinary plaintext); scales multiply.
    fn mul_plain(&self, ct: &Self::Ciphertext, pt: &Self::Plaintext) -> Result<Self::Ciphertext, BackendError>;

    /// `ct + pt` (same level and scale).
    fn add_plain(&self, ct: &Self::Ciphertext, pt: &Self::Plaintext) -> Result<Self::Ciphertext, BackendError>;

    /// `a + b` (same level and scale).
    fn add(&self, a: &Self::Ciphertext, b: &Self::Ciphertext) -> Result<Self::Ciphertext, BackendError>;

    /// Divides by the prime of the current level; one level down.
    fn rescale(&self, ct: &Self::Ciphertext) -> Result<Self::Ciphertext, BackendError>;

    /// `ct ⊙ ct`, relinearised; the scale squares.
    fn square(&self, ct: &Self::Ciphertext) -> Result<Self::Ciphertext, BackendError>;

    /// `poly(ct)` slot-wise for a composite polynomial on `[-1, 1]`, consuming exactly
    /// `levels` levels and keeping the scale. Inputs outside `[-1, 1]` are an error where the
    /// backend can see them ([`BackendError::OutsideInterval`]).
    fn polynomial(
        &self,
        ct: &Self::Ciphertext,
        poly: &spencnn_ckks::circuits::polynomial::CompositePolynomial,
        levels: usize,
    ) -> Result<Self::Ciphertext, BackendError>;

    /// Drops `levels` moduli without changing the scale.
    fn drop_levels(&self, ct: &Self::Ciphertext, levels: usize) -> Result<Self::Ciphertext, BackendError>;
}
