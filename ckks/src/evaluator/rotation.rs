//! Rotations and conjugation, plain and hoisted.
//!
//! With the pre-permuted Galois keys (see [`crate::rlwe::GaloisKey`]), applying `σ_g` to
//! `(c_0, c_1)` is: decompose `c_1` (key-independent), inner product with the key, mod-down by
//! `P`, add `c_0`, and permute the two results. Hoisting keeps the decomposition and repeats
//! only the last three steps per rotation.

use super::{Evaluator, check_size};
use crate::error::CkksError;
use crate::ring::{Ntt, RnsPoly};
use crate::rlwe::{Decomposition, GaloisKey, GaloisKeys, galois_element_for_conjugation, galois_element_for_step};
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
    /// Number of active Q primes.
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
    fn find_key<'k>(&self, keys: &'k GaloisKeys, element: u64, step: Option<i64>) -> Result<&'k GaloisKey, CkksError> {
        self.ctx.check_fingerprint(keys.fingerprint)?;
        keys.get(element).ok_or(CkksError::MissingGaloisKey { galois_element: element, step })
    }

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
        let key = self.find_key(keys, element, Some(step))?;
        let decomposition = Decomposition::new(self.ctx.ring(), self.ctx.decomposition(), &ct.polys[1]);
        self.apply_galois(&ct.polys[0], &decomposition, key, ct)
    }

    /// Conjugates every slot.
    ///
    /// # Errors
    /// As [`Evaluator::rotate`].
    pub fn conjugate(&self, ct: &Ciphertext, keys: &GaloisKeys) -> Result<Ciphertext, CkksError> {
        self.check_ct(ct)?;
        check_size(ct, 2)?;
        let key = self.find_key(keys, galois_element_for_conjugation(self.ctx.ring().n()), None)?;
        let decomposition = Decomposition::new(self.ctx.ring(), self.ctx.decomposition(), &ct.polys[1]);
        self.apply_galois(&ct.polys[0], &decomposition, key, ct)
    }

    /// `σ_g(c_0 + c_1·s)` re-encrypted under `s`, from the decomposition of `c_1`.
    fn apply_galois(
        &self,
        c0: &RnsPoly<Ntt>,
        decomposition: &Decomposition,
        key: &GaloisKey,
        like: &Ciphertext,
    ) -> Result<Ciphertext, CkksError> {
        let ring = self.ctx.ring();
        let [mut u0, mut u1] = key.key.inner_product(ring, decomposition)?;
        self.ctx.mod_down().apply(ring, &mut u0);
        self.ctx.mod_down().apply(ring, &mut u1);
        u0.add_assign(c0, ring)?;
        Ok(like.derived(vec![u0.permuted(&key.permutation), u1.permuted(&key.permutation)], like.scale))
    }

    /// Computes the key-switching decomposition of `ct` once, for many rotations.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::CiphertextSize`] unless size 2.
    pub fn hoist(&self, ct: &Ciphertext) -> Result<HoistedCiphertext, CkksError> {
        self.check_ct(ct)?;
        check_size(ct, 2)?;
        let decomposition = Decomposition::new(self.ctx.ring(), self.ctx.decomposition(), &ct.polys[1]);
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
        let key = self.find_key(keys, element, Some(step))?;
        self.apply_galois(&ct.polys[0], &hoisted.decomposition, key, ct)
    }
}
