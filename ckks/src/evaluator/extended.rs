//! Rotated ciphertexts kept in the extended basis `Q_ℓ·P`, for sums that share rotations.
//!
//! [`super::RotationAccumulator`] recomputes the key-switch inner product for every term. When
//! the same rotation `Rot_k(x)` feeds several sums (a convolution: every output ciphertext
//! reads every hoisted baby step of every input), it is cheaper to compute each rotation once,
//! *before* its mod-down, and to reuse it:
//!
//! `Ext_k(x) = (σ(u_0) + P·σ(c_0), σ(u_1))` over `Q_ℓ·P`, where `(u_0, u_1)` is the inner
//! product of the decomposition of `c_1` with the key of `k`. It decrypts to `P·Rot_k(x)`
//! (plus the key-switching noise), so sums of `pt ⊙ Ext` stay in `Q_ℓ·P` and one mod-down
//! `ModDown(Σ pt ⊙ Ext)` returns `Σ pt ⊙ Rot(x)`. The result equals the accumulator's exactly:
//! `ModDown(P·y + u) = y + ModDown(u)` because `P·y` is divisible by `P`. Step 0 is the lift
//! `(P·c_0, P·c_1)` (no key needed).

use spencnn_ntt::vector;

use super::rotation::HoistedCiphertext;
use super::{Evaluator, check_level_and_slots, check_scales, check_size, find_key};
use crate::encoding::Plaintext;
use crate::error::CkksError;
use crate::ring::{Ntt, RnsPoly};
use crate::rlwe::{
    Decomposition, GaloisKeys, automorphism_hoisted_extended, galois_element_for_step, key_switch_extended,
    lift_to_extended, mod_down,
};
use crate::scheme::Ciphertext;

/// Coefficients per block of [`Evaluator::multiply_plain_sums_extended`]: a block of every
/// rotated input (both polynomials) of a convolution layer stays in a 1 MiB L2 cache.
const SUM_BLOCK: usize = 256;

/// A ciphertext times `P`, over `Q_ℓ·P` (two polynomials in NTT form); see the module
/// documentation. Made by [`Evaluator::rotate_hoisted_extended`] or [`Evaluator::lift_extended`],
/// combined by [`Evaluator::multiply_plain_sum_extended`] and
/// [`Evaluator::add_extended_assign`], and brought back by [`Evaluator::mod_down_extended`].
#[derive(Debug, Clone)]
pub struct ExtendedCiphertext {
    polys: [RnsPoly<Ntt>; 2],
    scale: f64,
    slots: usize,
    fingerprint: u64,
}

impl ExtendedCiphertext {
    /// The level `ℓ` of the ciphertext it will mod down to (it holds `ℓ + 1` Q primes and `P`).
    pub fn level(&self) -> usize {
        self.polys[0].q_limb_count() - 1
    }
    /// The scale (of the ciphertext it will mod down to).
    pub fn scale(&self) -> f64 {
        self.scale
    }
    /// Number of slots.
    pub fn slots(&self) -> usize {
        self.slots
    }
    /// Fingerprint of the parameters it was made under.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

impl Evaluator {
    /// `Ext_step(x)`: the rotation of a hoisted ciphertext by `step`, left in `Q_ℓ·P` (no
    /// mod-down). Step 0 is [`Evaluator::lift_extended`]. Cost: one key-switch inner product
    /// and two automorphisms.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::MissingGaloisKey`].
    pub fn rotate_hoisted_extended(
        &self,
        hoisted: &HoistedCiphertext,
        step: i64,
        keys: &GaloisKeys,
    ) -> Result<ExtendedCiphertext, CkksError> {
        let ct = &hoisted.ct;
        self.check_ct(ct)?;
        let ring = self.ctx.ring();
        let element = galois_element_for_step(step, ring.n());
        if element == 1 {
            return self.lift_extended(ct);
        }
        let key = find_key(&self.ctx, keys, element, Some(step))?;
        let polys = automorphism_hoisted_extended(&self.ctx, &ct.polys[0], &hoisted.decomposition, key)?;
        Ok(ExtendedCiphertext { polys, scale: ct.scale, slots: ct.slots, fingerprint: ct.fingerprint })
    }

    /// `(P·c_0, P·c_1)` over `Q_ℓ·P`: a ciphertext in the extended basis, unrotated.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::CiphertextSize`] unless size 2.
    pub fn lift_extended(&self, ct: &Ciphertext) -> Result<ExtendedCiphertext, CkksError> {
        self.check_ct(ct)?;
        check_size(ct, 2)?;
        let polys = [lift_to_extended(&self.ctx, &ct.polys[0])?, lift_to_extended(&self.ctx, &ct.polys[1])?];
        Ok(ExtendedCiphertext { polys, scale: ct.scale, slots: ct.slots, fingerprint: ct.fingerprint })
    }

    /// `Σ_j pt_j ⊙ x_j` in `Q_ℓ·P`, with one delayed reduction per limb. Every plaintext must be
    /// extended and every term at the same level, slot count and scale `x.scale · pt.scale`.
    ///
    /// # Errors
    /// [`CkksError::EmptyAccumulator`], [`CkksError::ParameterMismatch`],
    /// [`CkksError::LevelMismatch`], [`CkksError::SlotCountMismatch`],
    /// [`CkksError::ScaleMismatch`], [`CkksError::PlaintextNotExtended`].
    pub fn multiply_plain_sum_extended(
        &self,
        terms: &[(&ExtendedCiphertext, &Plaintext)],
    ) -> Result<ExtendedCiphertext, CkksError> {
        let mut sums = self.multiply_plain_sums_extended(&[terms])?;
        Ok(sums.pop().expect("one sum per input"))
    }

    /// Several sums [`Evaluator::multiply_plain_sum_extended`] at once. When sums share
    /// ciphertexts (the outputs of a convolution all read the same rotated inputs), the work
    /// is done limb by limb in blocks of 256 coefficients, so each ciphertext block
    /// is read from memory once and reused from cache by every sum; the plaintexts are
    /// streamed once. (Done sum by sum, the products are memory-bound: every term reads its
    /// plaintext and ciphertext limbs from DRAM.)
    ///
    /// # Errors
    /// As [`Evaluator::multiply_plain_sum_extended`], for any of the sums.
    pub fn multiply_plain_sums_extended(
        &self,
        sums: &[&[(&ExtendedCiphertext, &Plaintext)]],
    ) -> Result<Vec<ExtendedCiphertext>, CkksError> {
        let ring = self.ctx.ring();
        let k = ring.p_count();
        let mut outputs = Vec::with_capacity(sums.len());
        for terms in sums {
            let (first, first_pt) = terms.first().ok_or(CkksError::EmptyAccumulator)?;
            let (level, slots) = (first.level(), first.slots);
            let scale = first.scale * first_pt.scale;
            for (x, pt) in terms.iter() {
                self.ctx.check_fingerprint(x.fingerprint)?;
                self.check_pt(pt)?;
                check_level_and_slots((level, slots), (x.level(), x.slots))?;
                check_level_and_slots((level, slots), (pt.level(), pt.slots))?;
                if !pt.is_extended() {
                    return Err(CkksError::PlaintextNotExtended);
                }
                check_scales(scale, x.scale * pt.scale)?;
            }
            let q_limbs = first.polys[0].q_limb_count();
            let polys = [RnsPoly::zero(ring, q_limbs, k), RnsPoly::zero(ring, q_limbs, k)];
            outputs.push(ExtendedCiphertext { polys, scale, slots, fingerprint: first.fingerprint });
        }
        let limbs = outputs.iter().map(|o| o.polys[0].limb_count()).max().unwrap_or(0);
        let mut pairs: Vec<(&[u64], &[u64])> = Vec::new();
        for i in 0..limbs {
            for start in (0..ring.n()).step_by(SUM_BLOCK) {
                let end = (start + SUM_BLOCK).min(ring.n());
                for (out, terms) in outputs.iter_mut().zip(sums) {
                    if i >= out.polys[0].limb_count() {
                        continue;
                    }
                    let modulus = ring.modulus(ring.prime_index(out.polys[0].q_limb_count(), i));
                    for (component, acc) in out.polys.iter_mut().enumerate() {
                        pairs.clear();
                        pairs.extend(
                            terms
                                .iter()
                                .map(|(x, pt)| (&pt.poly.limb(i)[start..end], &x.polys[component].limb(i)[start..end])),
                        );
                        vector::multiply_accumulate(&mut acc.limb_mut(i)[start..end], &pairs, modulus)?;
                    }
                }
            }
        }
        Ok(outputs)
    }

    /// `a += b` in `Q_ℓ·P` (same level, slots and scale).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelMismatch`],
    /// [`CkksError::SlotCountMismatch`], [`CkksError::ScaleMismatch`].
    pub fn add_extended_assign(&self, a: &mut ExtendedCiphertext, b: &ExtendedCiphertext) -> Result<(), CkksError> {
        self.ctx.check_fingerprint(a.fingerprint)?;
        self.ctx.check_fingerprint(b.fingerprint)?;
        check_level_and_slots((a.level(), a.slots), (b.level(), b.slots))?;
        check_scales(a.scale, b.scale)?;
        let ring = self.ctx.ring();
        for (x, y) in a.polys.iter_mut().zip(&b.polys) {
            x.add_assign(y, ring)?;
        }
        Ok(())
    }

    /// The mod-down by `P`: the ciphertext that `x` is `P` times.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`].
    pub fn mod_down_extended(&self, x: ExtendedCiphertext) -> Result<Ciphertext, CkksError> {
        self.ctx.check_fingerprint(x.fingerprint)?;
        let [mut c0, mut c1] = x.polys;
        mod_down(&self.ctx, &mut c0)?;
        mod_down(&self.ctx, &mut c1)?;
        Ok(Ciphertext { polys: vec![c0, c1], scale: x.scale, slots: x.slots, fingerprint: x.fingerprint, seed: None })
    }

    /// `Ext_step` of the ciphertext that `x` is `P` times, without bringing its `c_0` back to
    /// `Q_ℓ`: only `c_1` is divided by `P`, decomposed and switched, and the extended `c_0`,
    /// which already carries the factor `P`, is added as it is. This is the giant step of a
    /// double-hoisted linear transform: against
    /// `rotate_hoisted_extended(hoist(mod_down_extended(x)))` it saves the mod-down of `c_0` and
    /// its lift; the two differ by rounding noise only (the remainder of `c_1`'s division
    /// times `s`, the size of a mod-down's rounding). Step 0 returns `x`.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::MissingGaloisKey`],
    /// [`CkksError::KeyLevelTooLow`].
    pub fn rotate_extended(
        &self,
        x: ExtendedCiphertext,
        step: i64,
        keys: &GaloisKeys,
    ) -> Result<ExtendedCiphertext, CkksError> {
        self.ctx.check_fingerprint(x.fingerprint)?;
        let element = galois_element_for_step(step, self.ctx.ring().n());
        if element == 1 {
            return Ok(x);
        }
        let key = find_key(&self.ctx, keys, element, Some(step))?;
        let [c0, mut c1] = x.polys;
        mod_down(&self.ctx, &mut c1)?;
        let decomposition = Decomposition::new(&self.ctx, &c1)?;
        let [mut u0, u1] = key_switch_extended(&self.ctx, &decomposition, key.switching_key())?;
        u0.add_assign(&c0, self.ctx.ring())?;
        let polys = [u0.permuted(key.permutation()), u1.permuted(key.permutation())];
        Ok(ExtendedCiphertext { polys, scale: x.scale, slots: x.slots, fingerprint: x.fingerprint })
    }
}
