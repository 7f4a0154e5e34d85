//! The CKKS backend: the planner's [`Backend`] operations on `spencnn-ckks`.
//!
//! Levels are the planner's and `spencnn-ckks`'s alike: level `ℓ` holds the primes
//! `q_0, …, q_ℓ` (0 = only `q_0` left). Rotation steps are the planner's left rotations in
//! `[0, S)`, realised by the Galois element `5^k` (the encoder's slot order, as SEAL).
//!
//! Extended values are [`ExtendedCiphertext`]s (`P·Rot_k(x)` over `Q_ℓ·P`): a hoisted
//! rotation group decomposes its input once and computes each step's key-switch inner product
//! once; every fused multiply-accumulate that reads it multiplies by extended plaintexts in
//! `Q_ℓ·P` and ends with one mod-down. Independent steps, terms and sources run on the rayon
//! pool; every operation is exact modular arithmetic, so results do not depend on the thread
//! count.

use std::sync::Arc;

use rayon::prelude::*;
use spencnn_ckks::{
    Ciphertext, CkksError, Context, Encoder, Evaluator, ExtendedCiphertext, GaloisKeys, Plaintext, RelinKey,
};

use spencnn_ckks::circuits::polynomial::{CompositePolynomial, PolynomialEvaluator};

use super::{Backend, BackendError};
use crate::plan::PlainId;

/// Terms per parallel chunk of a fused multiply-accumulate.
pub(crate) const TERMS_PER_CHUNK: usize = 8;

/// Maps a CKKS error to the planner's backend error, keeping level and scale mismatches typed.
fn failed(op: &'static str) -> impl Fn(CkksError) -> BackendError {
    move |e| match e {
        CkksError::LevelMismatch { left, right } => BackendError::LevelMismatch { op, left, right },
        CkksError::ScaleMismatch { left, right } => BackendError::ScaleMismatch { op, left, right },
        CkksError::PlaintextNotExtended => BackendError::WrongBasis { op },
        CkksError::MissingGaloisKey { step: Some(step), .. } => {
            BackendError::MissingRotationKey { step: step.max(0) as usize }
        }
        other => BackendError::Failed { op, reason: other.to_string() },
    }
}

/// A CKKS plaintext tagged with the basis it was encoded for.
#[derive(Debug, Clone)]
pub struct CkksPlaintext(pub Plaintext);

/// The CKKS backend of a server: public context and evaluation keys only.
#[derive(Debug)]
pub struct CkksBackend<'k> {
    evaluator: Evaluator,
    encoder: Encoder,
    galois: &'k GaloisKeys,
    relin: Option<&'k RelinKey>,
    slots: usize,
}

impl<'k> CkksBackend<'k> {
    /// A backend over `ctx` with a client's Galois keys and, when the schedule squares, its
    /// relinearization key.
    pub fn new(ctx: &Arc<Context>, galois: &'k GaloisKeys, relin: Option<&'k RelinKey>) -> Self {
        Self {
            evaluator: Evaluator::new(ctx),
            encoder: Encoder::new(ctx),
            galois,
            relin,
            slots: ctx.params().max_slots(),
        }
    }

    /// The evaluator.
    pub fn evaluator(&self) -> &Evaluator {
        &self.evaluator
    }

    fn check_level(&self, op: &'static str, level: usize, scale: f64) -> Result<(), BackendError> {
        let top = self.evaluator.context().params().max_level();
        if level > top {
            return Err(BackendError::Unsupported { op, level, scale });
        }
        Ok(())
    }

    /// `Σ pt ⊙ ext` in `Q_ℓ·P`, in parallel chunks added together (exact, order-free).
    fn extended_sum(&self, terms: &[(&ExtendedCiphertext, &Plaintext)]) -> Result<ExtendedCiphertext, CkksError> {
        let e = &self.evaluator;
        let partials: Vec<ExtendedCiphertext> = terms
            .par_chunks(TERMS_PER_CHUNK)
            .map(|chunk| e.multiply_plain_sum_extended(chunk))
            .collect::<Result<_, _>>()?;
        let mut iter = partials.into_iter();
        let mut acc = iter.next().ok_or(CkksError::EmptyAccumulator)?;
        for p in iter {
            e.add_extended_assign(&mut acc, &p)?;
        }
        Ok(acc)
    }
}

fn step_i64(step: usize) -> i64 {
    step as i64
}

impl Backend for CkksBackend<'_> {
    type Ciphertext = Ciphertext;
    type Extended = ExtendedCiphertext;
    type Plaintext = CkksPlaintext;

    fn encode(&self, values: &[f64], level: usize, scale: f64, extended: bool) -> Result<CkksPlaintext, BackendError> {
        if values.len() != self.slots {
            return Err(BackendError::SlotCount { expected: self.slots, found: values.len() });
        }
        self.check_level("encode", level, scale)?;
        let encoded = if extended {
            self.encoder.encode_real_extended(values, self.slots, level, scale)
        } else {
            self.encoder.encode_real(values, self.slots, level, scale)
        };
        encoded.map(CkksPlaintext).map_err(failed("encode"))
    }

    fn rotate_hoisted_extended(
        &self,
        ct: &Ciphertext,
        steps: &[usize],
    ) -> Result<Vec<ExtendedCiphertext>, BackendError> {
        let op = "rotate_hoisted_extended";
        let e = &self.evaluator;
        if steps.iter().all(|&s| s == 0) {
            return steps.iter().map(|_| e.lift_extended(ct).map_err(failed(op))).collect();
        }
        let hoisted = e.hoist(ct).map_err(failed(op))?;
        steps
            .par_iter()
            .map(|&s| e.rotate_hoisted_extended(&hoisted, step_i64(s), self.galois).map_err(failed(op)))
            .collect()
    }

    fn mul_acc_extended(&self, terms: &[(&ExtendedCiphertext, &CkksPlaintext)]) -> Result<Ciphertext, BackendError> {
        let op = "mul_acc_extended";
        if terms.is_empty() {
            return Err(BackendError::Empty { op });
        }
        let pairs: Vec<(&ExtendedCiphertext, &Plaintext)> = terms.iter().map(|(x, p)| (*x, &p.0)).collect();
        let sum = self.extended_sum(&pairs).map_err(failed(op))?;
        self.evaluator.mod_down_extended(sum).map_err(failed(op))
    }

    /// Chunks of `TERMS_PER_CHUNK` terms in parallel: each chunk encodes its plaintexts,
    /// multiplies and accumulates them in `Q_ℓ·P`, and drops them; one mod-down at the end.
    /// At most a chunk of plaintexts per thread is alive (a whole instruction's can be over a
    /// GiB at `N = 2^16`). Exact modular sums: the same result as [`Backend::mul_acc_extended`].
    fn mul_acc_extended_encoding(
        &self,
        terms: &[(&ExtendedCiphertext, PlainId)],
        encode: &(dyn Fn(PlainId) -> Result<CkksPlaintext, BackendError> + Sync),
    ) -> Result<Ciphertext, BackendError> {
        let op = "mul_acc_extended";
        let e = &self.evaluator;
        let partials: Vec<ExtendedCiphertext> = terms
            .par_chunks(TERMS_PER_CHUNK)
            .map(|chunk| {
                let plaintexts = chunk.iter().map(|(_, id)| encode(*id)).collect::<Result<Vec<_>, _>>()?;
                let pairs: Vec<(&ExtendedCiphertext, &Plaintext)> =
                    chunk.iter().zip(&plaintexts).map(|((x, _), p)| (*x, &p.0)).collect();
                e.multiply_plain_sum_extended(&pairs).map_err(failed(op))
            })
            .collect::<Result<_, _>>()?;
        let mut iter = partials.into_iter();
        let mut acc = iter.next().ok_or(BackendError::Empty { op })?;
        for p in iter {
            e.add_extended_assign(&mut acc, &p).map_err(failed(op))?;
        }
        e.mod_down_extended(acc).map_err(failed(op))
    }

    fn mul_acc_extended_many(
        &self,
        sums: &[Vec<(&ExtendedCiphertext, &CkksPlaintext)>],
    ) -> Vec<Result<Ciphertext, BackendError>> {
        let op = "mul_acc_extended";
        let e = &self.evaluator;
        // One group of sums per thread; inside a group the sums share cache-blocked reads.
        let groups = rayon::current_num_threads().clamp(1, sums.len().max(1));
        let per_group = sums.len().div_ceil(groups).max(1);
        let extended: Vec<Result<ExtendedCiphertext, BackendError>> = sums
            .par_chunks(per_group)
            .flat_map_iter(|chunk| {
                let pairs: Vec<Vec<(&ExtendedCiphertext, &Plaintext)>> =
                    chunk.iter().map(|terms| terms.iter().map(|(x, p)| (*x, &p.0)).collect()).collect();
                let views: Vec<&[(&ExtendedCiphertext, &Plaintext)]> = pairs.iter().map(Vec::as_slice).collect();
                match e.multiply_plain_sums_extended(&views) {
                    Ok(extended) => extended.into_iter().map(Ok).collect::<Vec<_>>(),
                    Err(err) => chunk.iter().map(|_| Err(failed(op)(err.clone()))).collect(),
                }
            })
            .collect();
        extended.into_par_iter().map(|r| r.and_then(|x| e.mod_down_extended(x).map_err(failed(op)))).collect()
    }

    fn rotate_sum(&self, terms: &[(&Ciphertext, usize)]) -> Result<Ciphertext, BackendError> {
        let op = "rotate_sum";
        let e = &self.evaluator;
        if terms.is_empty() {
            return Err(BackendError::Empty { op });
        }
        // Group the terms by source (pointer identity): one decomposition per source.
        let mut sources: Vec<(&Ciphertext, Vec<usize>)> = Vec::new();
        for &(ct, step) in terms {
            match sources.iter_mut().find(|(c, _)| std::ptr::eq(*c, ct)) {
                Some((_, steps)) => steps.push(step),
                None => sources.push((ct, vec![step])),
            }
        }
        let rotated: Vec<Vec<ExtendedCiphertext>> =
            sources.par_iter().map(|(ct, steps)| self.rotate_hoisted_extended(ct, steps)).collect::<Result<_, _>>()?;
        let mut iter = rotated.into_iter().flatten();
        let mut acc = iter.next().ok_or(BackendError::Empty { op })?;
        for x in iter {
            e.add_extended_assign(&mut acc, &x).map_err(failed(op))?;
        }
        e.mod_down_extended(acc).map_err(failed(op))
    }

    fn mul_plain(&self, ct: &Ciphertext, pt: &CkksPlaintext) -> Result<Ciphertext, BackendError> {
        if pt.0.is_extended() {
            return Err(BackendError::WrongBasis { op: "mul_plain" });
        }
        self.evaluator.multiply_plain(ct, &pt.0).map_err(failed("mul_plain"))
    }

    fn add_plain(&self, ct: &Ciphertext, pt: &CkksPlaintext) -> Result<Ciphertext, BackendError> {
        if pt.0.is_extended() {
            return Err(BackendError::WrongBasis { op: "add_plain" });
        }
        self.evaluator.add_plain(ct, &pt.0).map_err(failed("add_plain"))
    }

    fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext, BackendError> {
        self.evaluator.add(a, b).map_err(failed("add"))
    }

    fn rescale(&self, ct: &Ciphertext) -> Result<Ciphertext, BackendError> {
        if ct.level() == 0 {
            return Err(BackendError::NoLevelLeft { op: "rescale", level: 0, needed: 1 });
        }
        self.evaluator.rescale(ct).map_err(failed("rescale"))
    }

    fn square(&self, ct: &Ciphertext) -> Result<Ciphertext, BackendError> {
        let rlk = self
            .relin
            .ok_or(BackendError::Failed { op: "square", reason: "no relinearization key was sent".to_string() })?;
        self.evaluator.square_relin(ct, rlk).map_err(failed("square"))
    }

    fn polynomial(
        &self,
        ct: &Ciphertext,
        poly: &CompositePolynomial,
        levels: usize,
    ) -> Result<Ciphertext, BackendError> {
        let rlk = self
            .relin
            .ok_or(BackendError::Failed { op: "polynomial", reason: "no relinearization key was sent".to_string() })?;
        let evaluator = PolynomialEvaluator::new(&self.evaluator, rlk);
        let consumed = evaluator.levels_consumed_composite(poly, ct);
        if consumed != levels || consumed > ct.level() {
            return Err(BackendError::NoLevelLeft { op: "polynomial", level: ct.level(), needed: consumed });
        }
        evaluator
            .evaluate_composite(ct, poly)
            .map_err(|e| BackendError::Failed { op: "polynomial", reason: e.to_string() })
    }

    fn drop_levels(&self, ct: &Ciphertext, levels: usize) -> Result<Ciphertext, BackendError> {
        if levels > ct.level() {
            return Err(BackendError::NoLevelLeft { op: "drop_levels", level: ct.level(), needed: levels });
        }
        self.evaluator.drop_to_level(ct, ct.level() - levels).map_err(failed("drop_levels"))
    }
}
