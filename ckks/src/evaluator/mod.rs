//! The homomorphic evaluator: arithmetic, multiplication with relinearization, rescaling,
//! rotations and conjugation, hoisted rotations and the double-hoisted rotation sum.
//!
//! Every operation checks that its operands belong to the evaluator's parameters, are at the
//! same level, and (where values are added) have the same scale within
//! [`SCALE_RELATIVE_TOLERANCE`]; a mismatch is a typed error.

mod accumulator;
mod arithmetic;
mod extended;
mod integer_combination;
mod managed;
mod multiply;
mod rescale;
mod rotation;
mod scale_ladder;
mod scale_matching;

use std::sync::Arc;

pub use accumulator::RotationAccumulator;
pub use extended::ExtendedCiphertext;
pub use managed::ManagedEvaluator;
pub use rotation::HoistedCiphertext;
pub use scale_ladder::ScaleLadder;
pub(crate) use scale_matching::{LOWEST_LEVEL, format_log2};

use crate::encoding::Plaintext;
use crate::error::CkksError;
use crate::rlwe::{Context, GaloisKey, GaloisKeys};
use crate::scheme::Ciphertext;

/// Two scales are "equal" when they differ by at most this relative amount. Scales are tracked
/// exactly as products and quotients of `f64`s, so honest computations agree to ~`1e-15`.
pub const SCALE_RELATIVE_TOLERANCE: f64 = 1e-9;

/// Evaluates homomorphic operations. Holds only the shared [`Context`], so it is cheap to clone
/// and `Send + Sync`: one evaluator can serve many threads.
#[derive(Debug, Clone)]
pub struct Evaluator {
    ctx: Arc<Context>,
}

impl Evaluator {
    /// An evaluator for the context's parameters.
    pub fn new(ctx: &Arc<Context>) -> Self {
        Self { ctx: Arc::clone(ctx) }
    }

    /// The context.
    pub fn context(&self) -> &Arc<Context> {
        &self.ctx
    }

    fn check_ct(&self, ct: &Ciphertext) -> Result<(), CkksError> {
        self.ctx.check_fingerprint(ct.fingerprint)
    }

    fn check_pt(&self, pt: &Plaintext) -> Result<(), CkksError> {
        self.ctx.check_fingerprint(pt.fingerprint)
    }
}

/// Checks that two operands are at the same level and have the same slot count.
fn check_level_and_slots(left: (usize, usize), right: (usize, usize)) -> Result<(), CkksError> {
    if left.0 != right.0 {
        return Err(CkksError::LevelMismatch { left: left.0, right: right.0 });
    }
    if left.1 != right.1 {
        return Err(CkksError::SlotCountMismatch { left: left.1, right: right.1 });
    }
    Ok(())
}

/// Checks that two scales agree within [`SCALE_RELATIVE_TOLERANCE`].
fn check_scales(left: f64, right: f64) -> Result<(), CkksError> {
    if (left - right).abs() <= SCALE_RELATIVE_TOLERANCE * left.abs().max(right.abs()) {
        Ok(())
    } else {
        Err(CkksError::ScaleMismatch { left, right })
    }
}

/// The key of `element` in `keys` (made under `ctx`'s parameters); `step` names the rotation in
/// the error (`None` for conjugation).
fn find_key<'k>(
    ctx: &Context,
    keys: &'k GaloisKeys,
    element: u64,
    step: Option<i64>,
) -> Result<&'k GaloisKey, CkksError> {
    ctx.check_fingerprint(keys.fingerprint)?;
    keys.get(element).ok_or(CkksError::MissingGaloisKey { galois_element: element, step })
}

/// Checks the size of a ciphertext.
fn check_size(ct: &Ciphertext, expected: usize) -> Result<(), CkksError> {
    if ct.size() == expected { Ok(()) } else { Err(CkksError::CiphertextSize { size: ct.size(), expected }) }
}
