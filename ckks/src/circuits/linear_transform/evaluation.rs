//! The baby-step giant-step evaluation `M·x = Σ_g rot_g(Σ_b p_{g,b} ⊙ rot_b(x))`.
//!
//! The input is decomposed once for all baby steps (hoisting). Each giant step's rotation of
//! its partial sum is left in the extended basis `Q_ℓ·P` and the rotated sums are added there,
//! so the whole transform ends with one mod-down by `P` (exact: `ModDown(P·y + u) = y +
//! ModDown(u)`). With [`Hoisting::Double`] the baby steps stay in `Q_ℓ·P` too and a partial
//! sum is rotated from the extended basis (only its `c_1` is brought down, to be decomposed:
//! [`Evaluator::rotate_extended`]); with [`Hoisting::Single`] every baby step is brought back to
//! `Q_ℓ`.
//!
//! The baby-step rotations, and the giant groups (partial sum, mod-down, rotation), are
//! independent: they run on the rayon pool.

use std::borrow::Cow;
use std::collections::BTreeMap;

use rayon::prelude::*;

use super::bsgs::{BsgsSplit, signed_step};
use super::transform::Hoisting;
use crate::circuits::CircuitError;
use crate::evaluator::{Evaluator, ExtendedCiphertext, HoistedCiphertext};
use crate::rlwe::GaloisKeys;
use crate::{Ciphertext, Plaintext};

/// The plaintexts of a giant group, in the order of its baby steps.
pub(crate) type GroupPlaintexts<'a> = dyn Fn(usize) -> Result<Cow<'a, [Plaintext]>, CircuitError> + Sync + 'a;

/// Evaluates the transform split by `split` on `ct`. With `batch`, the giant groups are
/// processed in one chunk per thread and each chunk's partial sums are computed together
/// (each rotated input is read from memory once for all sums of the chunk); without, one
/// group at a time (only the plaintexts of the groups in flight are in memory).
pub(crate) fn evaluate<'a>(
    evaluator: &Evaluator,
    ct: &Ciphertext,
    keys: &GaloisKeys,
    split: &BsgsSplit,
    hoisting: Hoisting,
    plaintexts: &GroupPlaintexts<'a>,
    batch: bool,
) -> Result<Ciphertext, CircuitError> {
    let slots = split.dimension();
    if ct.slots() != slots {
        return Err(crate::CkksError::SlotCountMismatch { left: ct.slots(), right: slots }.into());
    }
    let babies = split.baby_steps();
    let hoisted = if babies.iter().any(|&b| b != 0) { Some(evaluator.hoist(ct)?) } else { None };
    let giants = split.giant_steps();
    let chunk = if batch { giants.len().div_ceil(rayon::current_num_threads()).max(1) } else { 1 };
    // The rotation of a giant group's partial sum, in the extended basis (group 0 needs none).
    let rotate_partial = |g: usize, partial: &Ciphertext| -> Result<ExtendedCiphertext, CircuitError> {
        let hoisted = evaluator.hoist(partial)?;
        Ok(evaluator.rotate_hoisted_extended(&hoisted, signed_step(g, slots), keys)?)
    };
    let terms: Vec<ExtendedCiphertext> = match hoisting {
        Hoisting::Double => {
            let rotated = rotate_babies(hoisted.as_ref(), &babies, slots, |h, step| {
                Ok(match h {
                    Some(h) => evaluator.rotate_hoisted_extended(h, step, keys)?,
                    None => evaluator.lift_extended(ct)?,
                })
            })?;
            let per_chunk = giants
                .par_chunks(chunk)
                .map(|giant_chunk| -> Result<Vec<ExtendedCiphertext>, CircuitError> {
                    let group_plaintexts =
                        giant_chunk.iter().map(|&g| plaintexts(g)).collect::<Result<Vec<_>, CircuitError>>()?;
                    let terms: Vec<Vec<(&ExtendedCiphertext, &Plaintext)>> = giant_chunk
                        .iter()
                        .zip(&group_plaintexts)
                        .map(|(g, pts)| split.groups()[g].iter().map(|b| &rotated[b]).zip(pts.iter()).collect())
                        .collect();
                    let slices: Vec<&[(&ExtendedCiphertext, &Plaintext)]> = terms.iter().map(Vec::as_slice).collect();
                    let sums = evaluator.multiply_plain_sums_extended(&slices)?;
                    giant_chunk
                        .iter()
                        .zip(sums)
                        .map(|(&g, sum)| Ok(evaluator.rotate_extended(sum, signed_step(g, slots), keys)?))
                        .collect()
                })
                .collect::<Result<Vec<_>, CircuitError>>()?;
            per_chunk.into_iter().flatten().collect()
        }
        Hoisting::Single => {
            let rotated = rotate_babies(hoisted.as_ref(), &babies, slots, |h, step| {
                Ok(match h {
                    Some(h) => Cow::Owned(evaluator.rotate_hoisted(h, step, keys)?),
                    None => Cow::Borrowed(ct),
                })
            })?;
            giants
                .par_iter()
                .map(|&g| -> Result<ExtendedCiphertext, CircuitError> {
                    let pts = plaintexts(g)?;
                    let mut partial: Option<Ciphertext> = None;
                    for (b, pt) in split.groups()[&g].iter().zip(pts.iter()) {
                        let product = evaluator.multiply_plain(&rotated[b], pt)?;
                        match partial.as_mut() {
                            Some(sum) => evaluator.add_assign(sum, &product)?,
                            None => partial = Some(product),
                        }
                    }
                    let partial = partial.expect("every giant group holds at least one diagonal");
                    if g == 0 { Ok(evaluator.lift_extended(&partial)?) } else { rotate_partial(g, &partial) }
                })
                .collect::<Result<Vec<_>, CircuitError>>()?
        }
    };
    let mut terms = terms.into_iter();
    let mut sum = terms.next().expect("a transform has at least one diagonal");
    for term in terms {
        evaluator.add_extended_assign(&mut sum, &term)?;
    }
    Ok(evaluator.mod_down_extended(sum)?)
}

/// The baby-step rotations of `ct`, on the rayon pool: `rotate(Some(hoisted), step)` for a
/// non-zero step, `rotate(None, 0)` for step 0.
fn rotate_babies<T: Send>(
    hoisted: Option<&HoistedCiphertext>,
    babies: &[usize],
    slots: usize,
    rotate: impl Fn(Option<&HoistedCiphertext>, i64) -> Result<T, CircuitError> + Sync,
) -> Result<BTreeMap<usize, T>, CircuitError> {
    babies
        .par_iter()
        .map(|&b| {
            let step = signed_step(b, slots);
            let x = if b == 0 { rotate(None, 0)? } else { rotate(hoisted, step)? };
            Ok((b, x))
        })
        .collect()
}
