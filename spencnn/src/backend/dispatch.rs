//! One instruction on any [`Backend`]: the values of a running schedule, the errors, and the
//! dispatch from an [`Op`] to the backend operation. The interpreter around it is
//! [`super::runner`].

use thiserror::Error;

use super::{Backend, BackendError};
use crate::model::ModelError;
use crate::plan::{Op, PlainId, Schedule, ValueId};

/// Errors while executing a schedule.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ExecError {
    /// A backend operation failed.
    #[error("instruction {instr}: {source}")]
    Backend {
        /// Index of the failing instruction.
        instr: usize,
        /// The backend error.
        source: BackendError,
    },
    /// Wrong number of input ciphertexts.
    #[error("the schedule takes {expected} input ciphertexts, got {found}")]
    InputCount {
        /// Expected inputs.
        expected: usize,
        /// Given inputs.
        found: usize,
    },
    /// An instruction reads a value that is not (or no longer) available, or of the wrong kind.
    #[error("instruction {instr} reads unavailable value {value}")]
    MissingValue {
        /// Instruction index.
        instr: usize,
        /// Value id.
        value: u32,
    },
    /// The image does not match the model.
    #[error(transparent)]
    Image(#[from] ModelError),
    /// The worker thread of a sequential run could not be started.
    #[error("cannot start the worker thread: {reason}")]
    Threads {
        /// The system's reason.
        reason: String,
    },
}

/// A value of a running schedule: an ordinary or an extended-basis ciphertext.
pub(crate) enum Stored<C, E> {
    Ct(C),
    Ext(E),
}

/// What one instruction produced.
pub(crate) type Produced<C, E> = Vec<(ValueId, Stored<C, E>)>;

/// Encodes plaintext `id` of `schedule` on `backend` (its values materialised from the stages).
pub fn encode_plaintext<B: Backend>(
    schedule: &Schedule,
    backend: &B,
    id: PlainId,
) -> Result<B::Plaintext, BackendError> {
    let spec = &schedule.plaintexts[id.0 as usize];
    backend.encode(&schedule.plaintext_values(id), spec.level, spec.scale, spec.extended)
}

/// Runs instruction `instr` (operation `op`) on `backend`, reading its ciphertexts from `store`
/// and its encoded plaintexts from `plaintext`.
pub(crate) fn dispatch<'p, B: Backend>(
    backend: &B,
    op: &Op,
    instr: usize,
    store: &[Option<Stored<B::Ciphertext, B::Extended>>],
    plaintext: impl Fn(PlainId) -> Option<&'p B::Plaintext>,
) -> Result<Produced<B::Ciphertext, B::Extended>, ExecError>
where
    B::Plaintext: 'p,
{
    let missing = |v: ValueId| ExecError::MissingValue { instr, value: v.0 };
    let ct = |v: ValueId| match store[v.0 as usize].as_ref() {
        Some(Stored::Ct(c)) => Ok(c),
        _ => Err(missing(v)),
    };
    let ext = |v: ValueId| match store[v.0 as usize].as_ref() {
        Some(Stored::Ext(e)) => Ok(e),
        _ => Err(missing(v)),
    };
    let pt = |id: PlainId| {
        plaintext(id).ok_or_else(|| ExecError::Backend {
            instr,
            source: BackendError::Failed { op: "plaintext", reason: format!("plaintext {} not encoded", id.0) },
        })
    };
    let fail = |source| ExecError::Backend { instr, source };
    let one = |dst: ValueId, c: Result<B::Ciphertext, BackendError>| Ok(vec![(dst, Stored::Ct(c.map_err(fail)?))]);
    match op {
        Op::RotateHoistedExt { src, steps, dsts } => {
            let outs = backend.rotate_hoisted_extended(ct(*src)?, steps).map_err(fail)?;
            Ok(dsts.iter().copied().zip(outs.into_iter().map(Stored::Ext)).collect())
        }
        Op::MulAccExt { dst, terms } => {
            let pairs = terms.iter().map(|t| Ok((ext(t.0)?, pt(t.1)?))).collect::<Result<Vec<_>, ExecError>>()?;
            one(*dst, backend.mul_acc_extended(&pairs))
        }
        Op::RotateSum { dst, terms } => {
            let pairs = terms.iter().map(|t| Ok((ct(t.0)?, t.1))).collect::<Result<Vec<_>, ExecError>>()?;
            one(*dst, backend.rotate_sum(&pairs))
        }
        Op::MulAcc { dst, terms } => {
            let pairs = terms.iter().map(|t| Ok((ct(t.0)?, pt(t.1)?))).collect::<Result<Vec<_>, ExecError>>()?;
            one(*dst, backend.mul_acc(&pairs))
        }
        Op::MulPlain { dst, src, pt: p } => one(*dst, backend.mul_plain(ct(*src)?, pt(*p)?)),
        Op::AddPlain { dst, src, pt: p } => one(*dst, backend.add_plain(ct(*src)?, pt(*p)?)),
        Op::Add { dst, lhs, rhs } => one(*dst, backend.add(ct(*lhs)?, ct(*rhs)?)),
        Op::Rescale { dst, src } => one(*dst, backend.rescale(ct(*src)?)),
        Op::Square { dst, src } => one(*dst, backend.square(ct(*src)?)),
        Op::Polynomial { dst, src, poly, levels, .. } => one(*dst, backend.polynomial(ct(*src)?, poly, *levels)),
        Op::DropLevels { dst, src, levels } => one(*dst, backend.drop_levels(ct(*src)?, *levels)),
    }
}
