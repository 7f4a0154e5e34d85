//! Ciphertext products and relinearization.

use spencnn_ntt::vector;

use super::{Evaluator, check_level_and_slots, check_size};
use crate::error::CkksError;
use crate::ring::{Ntt, RnsPoly};
use crate::rlwe::{RelinKey, key_switch};
use crate::scheme::Ciphertext;

impl Evaluator {
    /// `a ⊗ b` without relinearization: a size-3 ciphertext `(a_0 b_0, a_0 b_1 + a_1 b_0, a_1 b_1)`
    /// whose scale is the product of the scales.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelMismatch`],
    /// [`CkksError::SlotCountMismatch`], [`CkksError::CiphertextSize`] unless both have size 2.
    pub fn multiply(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext, CkksError> {
        self.check_ct(a)?;
        self.check_ct(b)?;
        check_size(a, 2)?;
        check_size(b, 2)?;
        check_level_and_slots((a.level(), a.slots), (b.level(), b.slots))?;
        let ring = self.ctx.ring();
        let q_limbs = a.q_limb_count();
        let [a0, a1] = [&a.polys[0], &a.polys[1]];
        let [b0, b1] = [&b.polys[0], &b.polys[1]];
        let mut d0 = a0.clone();
        let mut d1 = RnsPoly::<Ntt>::zero(ring, q_limbs, 0);
        let mut d2 = a1.clone();
        for i in 0..q_limbs {
            let m = ring.modulus(i);
            vector::mul_assign(d0.limb_mut(i), b0.limb(i), m)?;
            vector::multiply_accumulate(d1.limb_mut(i), &[(a0.limb(i), b1.limb(i)), (a1.limb(i), b0.limb(i))], m)?;
            vector::mul_assign(d2.limb_mut(i), b1.limb(i), m)?;
        }
        Ok(a.derived(vec![d0, d1, d2], a.scale * b.scale))
    }

    /// `a ⊗ a` without relinearization (size 3; one product fewer than [`Evaluator::multiply`]).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::CiphertextSize`].
    pub fn square(&self, a: &Ciphertext) -> Result<Ciphertext, CkksError> {
        self.check_ct(a)?;
        check_size(a, 2)?;
        let ring = self.ctx.ring();
        let [a0, a1] = [&a.polys[0], &a.polys[1]];
        let mut d0 = a0.clone();
        let mut d1 = a0.clone();
        let mut d2 = a1.clone();
        for i in 0..a.q_limb_count() {
            let m = ring.modulus(i);
            vector::mul_assign(d0.limb_mut(i), a0.limb(i), m)?;
            vector::mul_assign(d1.limb_mut(i), a1.limb(i), m)?;
            vector::mul_scalar_assign(d1.limb_mut(i), 2, m);
            vector::mul_assign(d2.limb_mut(i), a1.limb(i), m)?;
        }
        Ok(a.derived(vec![d0, d1, d2], a.scale * a.scale))
    }

    /// Relinearizes a size-3 ciphertext to size 2 by key switching `c_2` from `s²` to `s`.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::CiphertextSize`] unless size 3.
    pub fn relinearize(&self, ct: &Ciphertext, rlk: &RelinKey) -> Result<Ciphertext, CkksError> {
        self.check_ct(ct)?;
        self.ctx.check_fingerprint(rlk.fingerprint)?;
        check_size(ct, 3)?;
        let ring = self.ctx.ring();
        let [mut u0, mut u1] = key_switch(&self.ctx, &ct.polys[2], &rlk.key)?;
        u0.add_assign(&ct.polys[0], ring)?;
        u1.add_assign(&ct.polys[1], ring)?;
        Ok(ct.derived(vec![u0, u1], ct.scale))
    }

    /// `relinearize(multiply(a, b))`.
    ///
    /// # Errors
    /// As [`Evaluator::multiply`] and [`Evaluator::relinearize`].
    pub fn multiply_relin(&self, a: &Ciphertext, b: &Ciphertext, rlk: &RelinKey) -> Result<Ciphertext, CkksError> {
        self.relinearize(&self.multiply(a, b)?, rlk)
    }

    /// `relinearize(square(a))`.
    ///
    /// # Errors
    /// As [`Evaluator::square`] and [`Evaluator::relinearize`].
    pub fn square_relin(&self, a: &Ciphertext, rlk: &RelinKey) -> Result<Ciphertext, CkksError> {
        self.relinearize(&self.square(a)?, rlk)
    }
}
