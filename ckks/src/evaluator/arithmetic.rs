//! Additions, subtractions, negation, and products with plaintexts and constants.

use spencnn_ntt::vector;

use super::{Evaluator, check_level_and_slots, check_scales};
use crate::encoding::{Plaintext, check_scaled_magnitude, rounded_integer};
use crate::error::CkksError;
use crate::scheme::Ciphertext;

/// Whether a combination adds or subtracts its second operand.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Combine {
    Add,
    Subtract,
}

impl Evaluator {
    /// `a + b`.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelMismatch`],
    /// [`CkksError::SlotCountMismatch`], [`CkksError::ScaleMismatch`].
    pub fn add(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext, CkksError> {
        let mut out = a.clone();
        self.add_assign(&mut out, b)?;
        Ok(out)
    }

    /// `a += b`.
    ///
    /// # Errors
    /// As [`Evaluator::add`].
    pub fn add_assign(&self, a: &mut Ciphertext, b: &Ciphertext) -> Result<(), CkksError> {
        self.combine_assign(a, b, Combine::Add)
    }

    /// `a - b`.
    ///
    /// # Errors
    /// As [`Evaluator::add`].
    pub fn sub(&self, a: &Ciphertext, b: &Ciphertext) -> Result<Ciphertext, CkksError> {
        let mut out = a.clone();
        self.sub_assign(&mut out, b)?;
        Ok(out)
    }

    /// `a -= b`.
    ///
    /// # Errors
    /// As [`Evaluator::add`].
    pub fn sub_assign(&self, a: &mut Ciphertext, b: &Ciphertext) -> Result<(), CkksError> {
        self.combine_assign(a, b, Combine::Subtract)
    }

    fn combine_assign(&self, a: &mut Ciphertext, b: &Ciphertext, combine: Combine) -> Result<(), CkksError> {
        self.check_ct(a)?;
        self.check_ct(b)?;
        check_level_and_slots((a.level(), a.slots), (b.level(), b.slots))?;
        check_scales(a.scale, b.scale)?;
        let ring = self.ctx.ring();
        let polys = a.polys_mut();
        for (i, pb) in b.polys.iter().enumerate() {
            if i < polys.len() {
                match combine {
                    Combine::Add => polys[i].add_assign(pb, ring)?,
                    Combine::Subtract => polys[i].sub_assign(pb, ring)?,
                }
            } else {
                let mut extra = pb.clone();
                if combine == Combine::Subtract {
                    extra.neg_assign(ring);
                }
                polys.push(extra);
            }
        }
        Ok(())
    }

    /// `-a`.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`].
    pub fn negate(&self, a: &Ciphertext) -> Result<Ciphertext, CkksError> {
        let mut out = a.clone();
        self.negate_assign(&mut out)?;
        Ok(out)
    }

    /// `a = -a`.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`].
    pub fn negate_assign(&self, a: &mut Ciphertext) -> Result<(), CkksError> {
        self.check_ct(a)?;
        let ring = self.ctx.ring();
        for poly in a.polys_mut() {
            poly.neg_assign(ring);
        }
        Ok(())
    }

    fn check_plain(&self, ct: &Ciphertext, pt: &Plaintext) -> Result<(), CkksError> {
        self.check_ct(ct)?;
        self.check_pt(pt)?;
        check_level_and_slots((ct.level(), ct.slots), (pt.level(), pt.slots))
    }

    /// `ct + pt` (same level, slots and scale).
    ///
    /// # Errors
    /// As [`Evaluator::add`].
    pub fn add_plain(&self, ct: &Ciphertext, pt: &Plaintext) -> Result<Ciphertext, CkksError> {
        let mut out = ct.clone();
        self.add_plain_assign(&mut out, pt)?;
        Ok(out)
    }

    /// `ct - pt` (same level, slots and scale).
    ///
    /// # Errors
    /// As [`Evaluator::add`].
    pub fn sub_plain(&self, ct: &Ciphertext, pt: &Plaintext) -> Result<Ciphertext, CkksError> {
        let mut out = ct.clone();
        self.sub_plain_assign(&mut out, pt)?;
        Ok(out)
    }

    /// `ct += pt` (same level, slots and scale).
    ///
    /// # Errors
    /// As [`Evaluator::add`].
    pub fn add_plain_assign(&self, ct: &mut Ciphertext, pt: &Plaintext) -> Result<(), CkksError> {
        self.combine_plain_assign(ct, pt, Combine::Add)
    }

    /// `ct -= pt` (same level, slots and scale).
    ///
    /// # Errors
    /// As [`Evaluator::add`].
    pub fn sub_plain_assign(&self, ct: &mut Ciphertext, pt: &Plaintext) -> Result<(), CkksError> {
        self.combine_plain_assign(ct, pt, Combine::Subtract)
    }

    fn combine_plain_assign(&self, ct: &mut Ciphertext, pt: &Plaintext, combine: Combine) -> Result<(), CkksError> {
        self.check_plain(ct, pt)?;
        check_scales(ct.scale, pt.scale)?;
        let ring = self.ctx.ring();
        let c0 = &mut ct.polys_mut()[0];
        for i in 0..c0.q_limb_count() {
            let m = ring.modulus(i);
            match combine {
                Combine::Add => vector::add_assign(c0.limb_mut(i), pt.poly.limb(i), m)?,
                Combine::Subtract => vector::sub_assign(c0.limb_mut(i), pt.poly.limb(i), m)?,
            }
        }
        Ok(())
    }

    /// `ct + value` in every slot (a real constant, encoded at the ciphertext's scale).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::EncodingOverflow`],
    /// [`CkksError::ValueExceedsModulus`] as for [`crate::Encoder::encode_real`] at the
    /// ciphertext's level.
    pub fn add_const(&self, ct: &Ciphertext, value: f64) -> Result<Ciphertext, CkksError> {
        self.check_ct(ct)?;
        check_scaled_magnitude(&self.ctx, ct.level(), (value * ct.scale).abs())?;
        let scaled = rounded_integer(value * ct.scale)?;
        let mut out = ct.clone();
        // A constant polynomial is the same constant at every NTT evaluation point.
        out.polys_mut()[0].add_integer_assign(scaled, self.ctx.ring());
        Ok(out)
    }

    /// `ct ⊙ pt` (same level and slots); the result's scale is the product of the scales.
    /// No rescale is done.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelMismatch`],
    /// [`CkksError::SlotCountMismatch`].
    pub fn multiply_plain(&self, ct: &Ciphertext, pt: &Plaintext) -> Result<Ciphertext, CkksError> {
        let mut out = ct.clone();
        self.multiply_plain_assign(&mut out, pt)?;
        Ok(out)
    }

    /// `ct ⊙= pt`.
    ///
    /// # Errors
    /// As [`Evaluator::multiply_plain`].
    pub fn multiply_plain_assign(&self, ct: &mut Ciphertext, pt: &Plaintext) -> Result<(), CkksError> {
        self.check_plain(ct, pt)?;
        let ring = self.ctx.ring();
        ct.scale *= pt.scale;
        for poly in ct.polys_mut() {
            for i in 0..poly.q_limb_count() {
                vector::mul_assign(poly.limb_mut(i), pt.poly.limb(i), ring.modulus(i))?;
            }
        }
        Ok(())
    }

    /// `ct · value` for a real constant encoded as the integer `round(value · constant_scale)`;
    /// the result's scale is `ct.scale · constant_scale`. Choosing `constant_scale` equal to
    /// the prime the next rescale divides by restores the scale exactly after that rescale.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::InvalidScale`],
    /// [`CkksError::EncodingOverflow`].
    pub fn multiply_const(&self, ct: &Ciphertext, value: f64, constant_scale: f64) -> Result<Ciphertext, CkksError> {
        self.check_ct(ct)?;
        if !(constant_scale.is_finite() && constant_scale > 0.0) {
            return Err(CkksError::InvalidScale { scale: constant_scale });
        }
        let mut out = self.multiply_integer(ct, rounded_integer(value * constant_scale)?)?;
        out.scale *= constant_scale;
        Ok(out)
    }

    /// `ct · k` for an integer `k`; the scale is unchanged.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`].
    pub fn multiply_integer(&self, ct: &Ciphertext, k: i128) -> Result<Ciphertext, CkksError> {
        self.check_ct(ct)?;
        let mut out = ct.clone();
        let ring = self.ctx.ring();
        for poly in out.polys_mut() {
            poly.mul_integer_assign(k, ring);
        }
        Ok(out)
    }
}
