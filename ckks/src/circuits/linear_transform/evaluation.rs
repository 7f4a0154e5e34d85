//! The baby-step giant-step evaluation `M·x = Σ_g rot_g(Σ_b p_{g,b} ⊙ rot_b(x))`.
//!
//! The input is decomposed once for all baby steps (hoisting). Each giant step's rotation of
//! its partial sum is left in the extended basis `Q_ℓ·P` and the rotated sums are added there,
//! so the whole transform ends with one mod-down by `P` (exact: `ModDown(P·y + u) = y +
//! ModDown(u)`). With [`Hoisting::Double`] the baby steps stay in `Q_ℓ·P` too and every partial
//! sum is one mod-down; with [`Hoisting::Single`] every baby step is brought back to `Q_ℓ`.

use std::borrow::Cow;
use std::collections::BTreeMap;

use super::bsgs::{BsgsSplit, signed_step};
use super::transform::Hoisting;
use crate::circuits::CircuitError;
use crate::error::CkksError;
use crate::evaluator::{Evaluator, ExtendedCiphertext};
use crate::rlwe::GaloisKeys;
use crate::{Ciphertext, Plaintext};

/// The plaintexts of a giant group, in the order of its baby steps.
pub(crate) type GroupPlaintexts<'a> = dyn Fn(usize) -> Result<Cow<'a, [Plaintext]>, CircuitError> + 'a;

/// Evaluates the transform split by `split` on `ct`. With `batch`, every group's plaintexts are
/// requested up front and the partial sums are computed together (each rotated input is read
/// from memory once for all sums); without, one group at a time.
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
        return Err(CkksError::SlotCountMismatch { left: ct.slots(), right: slots }.into());
    }
    let babies = split.baby_steps();
    let hoisted = if babies.iter().any(|&b| b != 0) { Some(evaluator.hoist(ct)?) } else { None };
    let giants: Vec<usize> = split.giant_steps();
    let mut accumulator: Option<ExtendedCiphertext> = None;
    let mut add = |term: ExtendedCiphertext| -> Result<(), CircuitError> {
        match accumulator.as_mut() {
            Some(sum) => Ok(evaluator.add_extended_assign(sum, &term)?),
            None => {
                accumulator = Some(term);
                Ok(())
            }
        }
    };
    let chunk = if batch { giants.len() } else { 1 };
    match hoisting {
        Hoisting::Double => {
            let rotated: BTreeMap<usize, ExtendedCiphertext> = babies
                .iter()
                .map(|&b| {
                    let x = match &hoisted {
                        Some(h) if b != 0 => evaluator.rotate_hoisted_extended(h, signed_step(b, slots), keys)?,
                        _ => evaluator.lift_extended(ct)?,
                    };
                    Ok((b, x))
                })
                .collect::<Result<_, CircuitError>>()?;
            for giant_chunk in giants.chunks(chunk) {
                let group_plaintexts =
                    giant_chunk.iter().map(|&g| plaintexts(g)).collect::<Result<Vec<_>, CircuitError>>()?;
                let terms: Vec<Vec<(&ExtendedCiphertext, &Plaintext)>> = giant_chunk
                    .iter()
                    .zip(&group_plaintexts)
                    .map(|(g, pts)| split.groups()[g].iter().map(|b| &rotated[b]).zip(pts.iter()).collect())
                    .collect();
                let term_slices: Vec<&[(&ExtendedCiphertext, &Plaintext)]> = terms.iter().map(Vec::as_slice).collect();
                let sums = evaluator.multiply_plain_sums_extended(&term_slices)?;
                for (&g, sum) in giant_chunk.iter().zip(sums) {
                    if g == 0 {
                        add(sum)?;
                    } else {
                        let partial = evaluator.mod_down_extended(sum)?;
                        add(evaluator.rotate_hoisted_extended(
                            &evaluator.hoist(&partial)?,
                            signed_step(g, slots),
                            keys,
                        )?)?;
                    }
                }
            }
        }
        Hoisting::Single => {
            let rotated: BTreeMap<usize, Cow<'_, Ciphertext>> = babies
                .iter()
                .map(|&b| {
                    let x = match &hoisted {
                        Some(h) if b != 0 => Cow::Owned(evaluator.rotate_hoisted(h, signed_step(b, slots), keys)?),
                        _ => Cow::Borrowed(ct),
                    };
                    Ok((b, x))
                })
                .collect::<Result<_, CircuitError>>()?;
            for &g in &giants {
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
                if g == 0 {
                    add(evaluator.lift_extended(&partial)?)?;
                } else {
                    add(evaluator.rotate_hoisted_extended(
                        &evaluator.hoist(&partial)?,
                        signed_step(g, slots),
                        keys,
                    )?)?;
                }
            }
        }
    }
    let sum = accumulator.expect("a transform has at least one diagonal");
    Ok(evaluator.mod_down_extended(sum)?)
}
