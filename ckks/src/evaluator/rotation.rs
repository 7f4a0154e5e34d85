//! Rotations and conjugation, plain and hoisted.
//!
//! A rotation decomposes `c_1` and applies [`crate::rlwe::automorphism_hoisted`]; a hoisted
//! ciphertext keeps the decomposition, so every further rotation skips that step.

use super::{Evaluator, check_size, find_key};
use crate::error::CkksError;
use crate::rlwe::{
    Decomposition, GaloisKey, GaloisKeys, automorphism_hoisted, galois_element_for_conjugation, galois_element_for_step,
};
use crate::scheme::Ciphertext;

/// A ciphertext with its key-switching decomposition computed once, ready for many rotations
/// ([`Evaluator::rotate_hoisted`]) or for the double-hoisted sum ([`super::RotationAccumulator`]).
#[derive(Debug, Clone)]
pub struct HoistedCiphertext {
    pub(crate) ct: Ciphertext,
    pub(crate) decomposition: Decomposition,
}

impl HoistedCiphertext {
    /// The ciphertext that was hoisted.
    pub fn ciphertext(&self) -> &Ciphertext {
        &self.ct
    }
    /// The level of the hoisted ciphertext.
    pub fn level(&self) -> usize {
        self.ct.level()
    }
    /// The scale.
    pub fn scale(&self) -> f64 {
        self.ct.scale
    }
    /// Number of slots.
    pub fn slots(&self) -> usize {
        self.ct.slots
    }
}

impl Evaluator {
    /// Rotates the slots left by `step` (slot `i` receives slot `i + step`, cyclically over the
    /// ciphertext's slot count); negative steps rotate right.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::CiphertextSize`] unless size 2,
    /// [`CkksError::MissingGaloisKey`], [`CkksError::KeyLevelTooLow`] when the key was made for
    /// a lower level.
    pub fn rotate(&self, ct: &Ciphertext, step: i64, keys: &GaloisKeys) -> Result<Ciphertext, CkksError> {
        self.check_ct(ct)?;
        check_size(ct, 2)?;
        let element = galois_element_for_step(step, self.ctx.ring().n());
        if element == 1 {
            return Ok(ct.clone());
        }
        let key = find_key(&self.ctx, keys, element, Some(step))?;
        let decomposition = Decomposition::new(&self.ctx, &ct.polys[1])?;
        self.apply_galois(ct, &decomposition, key)
    }

    /// Conjugates every slot.
    ///
    /// # Errors
    /// As [`Evaluator::rotate`].
    pub fn conjugate(&self, ct: &Ciphertext, keys: &GaloisKeys) -> Result<Ciphertext, CkksError> {
        self.check_ct(ct)?;
        check_size(ct, 2)?;
        let key = find_key(&self.ctx, keys, galois_element_for_conjugation(self.ctx.ring().n()), None)?;
        let decomposition = Decomposition::new(&self.ctx, &ct.polys[1])?;
        self.apply_galois(ct, &decomposition, key)
    }

    /// `σ_g(c_0 + c_1·s)` re-encrypted under `s`, from the decomposition of `c_1` of `ct`.
    fn apply_galois(
        &self,
        ct: &Ciphertext,
        decomposition: &Decomposition,
        key: &GaloisKey,
    ) -> Result<Ciphertext, CkksError> {
        let [c0, c1] = automorphism_hoisted(&self.ctx, &ct.polys[0], decomposition, key)?;
        Ok(ct.derived(vec![c0, c1], ct.scale))
    }

    /// Computes the key-switching decomposition of `ct` once, for many rotations.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::CiphertextSize`] unless size 2.
    pub fn hoist(&self, ct: &Ciphertext) -> Result<HoistedCiphertext, CkksError> {
        self.check_ct(ct)?;
        check_size(ct, 2)?;
        let decomposition = Decomposition::new(&self.ctx, &ct.polys[1])?;
        Ok(HoistedCiphertext { ct: ct.derived(ct.polys.clone(), ct.scale), decomposition })
    }

    /// Rotation of a hoisted ciphertext: the same result as [`Evaluator::rotate`] without
    /// repeating the decomposition.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::MissingGaloisKey`],
    /// [`CkksError::KeyLevelTooLow`].
    pub fn rotate_hoisted(
        &self,
        hoisted: &HoistedCiphertext,
        step: i64,
        keys: &GaloisKeys,
    ) -> Result<Ciphertext, CkksError> {
        let ct = &hoisted.ct;
        self.check_ct(ct)?;
        let element = galois_element_for_step(step, self.ctx.ring().n());
        if element == 1 {
            return Ok(ct.clone());
        }
        let key = find_key(&self.ctx, keys, element, Some(step))?;
        self.apply_galois(ct, &hoisted.decomposition, key)
    }
}
