//! The double-hoisted rotation sum `Σ_j pt_j ⊙ Rot_{k_j}(x_j)`.
//!
//! Each term needs only the inner product of the (hoisted) decomposition of `x_j` with the key
//! of `k_j`; the products with the plaintexts are accumulated in the extended basis `Q_ℓ·P`,
//! and the mod-down by `P` (inverse and forward NTTs) happens once for the whole sum. The `c_0`
//! and step-0 contributions never need `P` and are accumulated over `Q_ℓ` apart:
//!
//! `out = (ModDown(Σ pt⊙σ(u_0)) + Σ pt⊙σ(c_0), ModDown(Σ pt⊙σ(u_1)))`, which equals
//! `Σ pt ⊙ Rot(x)` because `ModDown(P·y) = y` exactly.

use spencnn_ntt::vector;

use super::rotation::HoistedCiphertext;
use super::{Evaluator, check_level_and_slots, check_scales, find_key};
use crate::encoding::Plaintext;
use crate::error::CkksError;
use crate::ring::{Ntt, RnsPoly, Scratch};
use crate::rlwe::{GaloisKeys, galois_element_for_step, key_switch_extended, mod_down};
use crate::scheme::Ciphertext;

/// Accumulates `Σ pt ⊙ Rot_k(x)` over hoisted ciphertexts; see the module documentation.
/// Create with [`Evaluator::rotation_accumulator`], add terms, then [`RotationAccumulator::finish`].
#[derive(Debug)]
pub struct RotationAccumulator<'e> {
    evaluator: &'e Evaluator,
    level: usize,
    /// The number of Q primes at `level`.
    q_limbs: usize,
    slots: usize,
    scale: Option<f64>,
    /// `Σ pt ⊙ σ(u_0)`, `Σ pt ⊙ σ(u_1)` over `Q_ℓ·P`.
    extended: [RnsPoly<Ntt>; 2],
    /// `Σ pt ⊙ σ(c_0)` and the step-0 `Σ pt ⊙ c_1`, over `Q_ℓ`.
    direct: [RnsPoly<Ntt>; 2],
    terms: usize,
}

impl Evaluator {
    /// An empty accumulator for ciphertexts at `level` with `slots` slots.
    ///
    /// # Errors
    /// [`CkksError::LevelOutOfRange`].
    pub fn rotation_accumulator(&self, level: usize, slots: usize) -> Result<RotationAccumulator<'_>, CkksError> {
        let q_limbs = self.ctx.q_limbs_at(level)?;
        let ring = self.ctx.ring();
        let k = ring.p_count();
        Ok(RotationAccumulator {
            evaluator: self,
            level,
            q_limbs,
            slots,
            scale: None,
            extended: [RnsPoly::zero(ring, q_limbs, k), RnsPoly::zero(ring, q_limbs, k)],
            direct: [RnsPoly::zero(ring, q_limbs, 0), RnsPoly::zero(ring, q_limbs, 0)],
            terms: 0,
        })
    }

    /// `Σ_x Σ_(k, pt) pt ⊙ Rot_k(x)` for several hoisted inputs, with one mod-down in total.
    ///
    /// # Errors
    /// As [`RotationAccumulator::add_term`] and [`RotationAccumulator::finish`].
    pub fn multiply_rotated_sum(
        &self,
        inputs: &[(&HoistedCiphertext, &[(i64, &Plaintext)])],
        keys: &GaloisKeys,
    ) -> Result<Ciphertext, CkksError> {
        let first = inputs.first().map(|(x, _)| (x.level(), x.slots())).ok_or(CkksError::EmptyAccumulator)?;
        let mut acc = self.rotation_accumulator(first.0, first.1)?;
        for (x, terms) in inputs {
            for &(step, pt) in terms.iter() {
                acc.add_term(x, step, pt, keys)?;
            }
        }
        acc.finish()
    }
}

impl RotationAccumulator<'_> {
    /// Adds `pt ⊙ Rot_step(x)`. `pt` must be extended (encoded with `encode_*_extended`) and at
    /// the accumulator's level; every term must have the same scale `x.scale · pt.scale`.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelMismatch`],
    /// [`CkksError::SlotCountMismatch`], [`CkksError::ScaleMismatch`],
    /// [`CkksError::PlaintextNotExtended`], [`CkksError::MissingGaloisKey`].
    pub fn add_term(
        &mut self,
        x: &HoistedCiphertext,
        step: i64,
        pt: &Plaintext,
        keys: &GaloisKeys,
    ) -> Result<(), CkksError> {
        let ctx = &self.evaluator.ctx;
        ctx.check_fingerprint(x.ct.fingerprint)?;
        ctx.check_fingerprint(pt.fingerprint)?;
        check_level_and_slots((self.level, self.slots), (x.level(), x.slots()))?;
        check_level_and_slots((self.level, self.slots), (pt.level(), pt.slots))?;
        if !pt.is_extended() {
            return Err(CkksError::PlaintextNotExtended);
        }
        let scale = x.scale() * pt.scale;
        match self.scale {
            Some(existing) => check_scales(existing, scale)?,
            None => self.scale = Some(scale),
        }
        let ring = ctx.ring();
        let element = galois_element_for_step(step, ring.n());
        if element == 1 {
            for (acc, c) in self.direct.iter_mut().zip([&x.ct.polys[0], &x.ct.polys[1]]) {
                for i in 0..self.q_limbs {
                    vector::multiply_accumulate(acc.limb_mut(i), &[(pt.poly.limb(i), c.limb(i))], ring.modulus(i))?;
                }
            }
        } else {
            let key = find_key(ctx, keys, element, Some(step))?;
            // Gather σ(u) into a scratch limb, then one fused multiply-accumulate: both are
            // whole-limb `spencnn_ntt` kernels (vectorised there).
            let u = key_switch_extended(ctx, &x.decomposition, &key.key)?;
            let mut rotated = Scratch::zeroed(ring.n());
            for (acc, u) in self.extended.iter_mut().zip(&u) {
                for i in 0..acc.limb_count() {
                    let m = ring.modulus(ring.prime_index(self.q_limbs, i));
                    key.permutation.apply(u.limb(i), &mut rotated)?;
                    vector::multiply_accumulate(acc.limb_mut(i), &[(pt.poly.limb(i), &rotated)], m)?;
                }
            }
            for i in 0..self.q_limbs {
                key.permutation.apply(x.ct.polys[0].limb(i), &mut rotated)?;
                vector::multiply_accumulate(
                    self.direct[0].limb_mut(i),
                    &[(pt.poly.limb(i), &rotated)],
                    ring.modulus(i),
                )?;
            }
        }
        self.terms += 1;
        Ok(())
    }

    /// Number of terms added.
    pub fn terms(&self) -> usize {
        self.terms
    }

    /// The single mod-down, returning the ciphertext of the sum.
    ///
    /// # Errors
    /// [`CkksError::EmptyAccumulator`] when no term was added.
    pub fn finish(self) -> Result<Ciphertext, CkksError> {
        let scale = self.scale.ok_or(CkksError::EmptyAccumulator)?;
        let ctx = &self.evaluator.ctx;
        let ring = ctx.ring();
        let [mut e0, mut e1] = self.extended;
        let [d0, d1] = self.direct;
        mod_down(ctx, &mut e0)?;
        mod_down(ctx, &mut e1)?;
        e0.add_assign(&d0, ring)?;
        e1.add_assign(&d1, ring)?;
        Ok(Ciphertext {
            polys: vec![e0, e1],
            scale,
            slots: self.slots,
            fingerprint: ctx.params().fingerprint(),
            seed: None,
        })
    }
}
