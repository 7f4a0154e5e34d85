//! RNS polynomials with their representation in the type.

use std::fmt;
use std::marker::PhantomData;

use spencnn_ntt::vector;
use zeroize::Zeroize;

use super::buffer_pool;
use super::context::RingContext;
use super::representation::{Coefficient, Ntt, Representation};
use crate::error::CkksError;

/// A polynomial of `Z_{Q'·P'}[X]/(X^N + 1)` in RNS form, where `Q' = q_0⋯q_{m-1}` holds the
/// first `m` = [`RnsPoly::q_limb_count`] primes of `Q` and `P'` is either 1 or the whole special
/// modulus `P` ([`RnsPoly::p_limb_count`] is 0 or `k`). A ciphertext at level `ℓ` has
/// `m = ℓ + 1`.
///
/// Storage is limb-major and contiguous: limb `i` is `data[i·N..(i+1)·N]`, Q limbs first, then
/// P limbs. Every stored value is reduced modulo its limb's prime. The representation `R` is a
/// type parameter, so mixing coefficient and NTT forms does not compile.
#[derive(PartialEq, Eq)]
pub struct RnsPoly<R: Representation> {
    n: usize,
    q_limbs: usize,
    p_limbs: usize,
    data: Vec<u64>,
    _repr: PhantomData<R>,
}

impl<R: Representation> fmt::Debug for RnsPoly<R> {
    /// Shape only: polynomials may hold secrets, so no coefficient is printed.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("RnsPoly")
            .field("representation", &R::NAME)
            .field("n", &self.n)
            .field("q_limbs", &self.q_limbs)
            .field("p_limbs", &self.p_limbs)
            .finish_non_exhaustive()
    }
}

impl<R: Representation> Clone for RnsPoly<R> {
    fn clone(&self) -> Self {
        Self::from_data(self.n, self.q_limbs, self.p_limbs, buffer_pool::take_copy(&self.data))
    }
}

impl<R: Representation> Drop for RnsPoly<R> {
    fn drop(&mut self) {
        buffer_pool::recycle(std::mem::take(&mut self.data));
    }
}

/// Overwrites every residue with zero in place: the polynomial keeps its shape (it is the
/// zero polynomial afterwards), so a wiped key or plaintext is still a valid object.
impl<R: Representation> Zeroize for RnsPoly<R> {
    fn zeroize(&mut self) {
        self.data.as_mut_slice().zeroize();
    }
}

impl<R: Representation> RnsPoly<R> {
    /// The zero polynomial with `q_limbs ≤ L` Q limbs and `p_limbs` (0 or `k`) P limbs.
    pub(crate) fn zero(ring: &RingContext, q_limbs: usize, p_limbs: usize) -> Self {
        Self::from_data(ring.n(), q_limbs, p_limbs, buffer_pool::take_zeroed(ring.n() * (q_limbs + p_limbs)))
    }

    pub(crate) fn from_data(n: usize, q_limbs: usize, p_limbs: usize, data: Vec<u64>) -> Self {
        debug_assert_eq!(data.len(), n * (q_limbs + p_limbs));
        Self { n, q_limbs, p_limbs, data, _repr: PhantomData }
    }

    /// Ring degree.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of Q limbs (the first primes of `Q`).
    pub fn q_limb_count(&self) -> usize {
        self.q_limbs
    }
    /// Number of P limbs (0 or `k`).
    pub fn p_limb_count(&self) -> usize {
        self.p_limbs
    }
    /// Total number of limbs.
    pub fn limb_count(&self) -> usize {
        self.q_limbs + self.p_limbs
    }
    /// Limb `i` (Q limbs first).
    #[inline]
    pub fn limb(&self, i: usize) -> &[u64] {
        &self.data[i * self.n..(i + 1) * self.n]
    }
    /// Limb `i`, mutable.
    #[inline]
    pub fn limb_mut(&mut self, i: usize) -> &mut [u64] {
        &mut self.data[i * self.n..(i + 1) * self.n]
    }
    /// All limbs in order.
    pub fn limbs(&self) -> std::slice::ChunksExact<'_, u64> {
        self.data.chunks_exact(self.n)
    }
    /// All limbs in order, mutable.
    pub fn limbs_mut(&mut self) -> std::slice::ChunksExactMut<'_, u64> {
        self.data.chunks_exact_mut(self.n)
    }
    /// The raw limb-major data.
    pub fn data(&self) -> &[u64] {
        &self.data
    }

    fn check_same_basis(&self, other: &Self) -> Result<(), CkksError> {
        if self.q_limbs == other.q_limbs && self.p_limbs == other.p_limbs && self.n == other.n {
            Ok(())
        } else {
            Err(CkksError::BasisMismatch { left_limbs: self.limb_count(), right_limbs: other.limb_count() })
        }
    }

    fn for_each_limb_pair(
        &mut self,
        other: &Self,
        ring: &RingContext,
        mut f: impl FnMut(&mut [u64], &[u64], &spencnn_ntt::Modulus),
    ) -> Result<(), CkksError> {
        self.check_same_basis(other)?;
        let q_limbs = self.q_limbs;
        for (i, (a, b)) in self.data.chunks_exact_mut(self.n).zip(other.data.chunks_exact(other.n)).enumerate() {
            f(a, b, ring.modulus(ring.prime_index(q_limbs, i)));
        }
        Ok(())
    }

    /// `self += other`.
    ///
    /// # Errors
    /// [`CkksError::BasisMismatch`] when the limbs differ.
    pub fn add_assign(&mut self, other: &Self, ring: &RingContext) -> Result<(), CkksError> {
        self.for_each_limb_pair(other, ring, |a, b, m| vector::add_assign(a, b, m).expect("equal limb lengths"))
    }

    /// `self -= other`.
    ///
    /// # Errors
    /// [`CkksError::BasisMismatch`] when the limbs differ.
    pub fn sub_assign(&mut self, other: &Self, ring: &RingContext) -> Result<(), CkksError> {
        self.for_each_limb_pair(other, ring, |a, b, m| vector::sub_assign(a, b, m).expect("equal limb lengths"))
    }

    /// `self = -self`.
    pub fn neg_assign(&mut self, ring: &RingContext) {
        let q_limbs = self.q_limbs;
        for (i, limb) in self.data.chunks_exact_mut(self.n).enumerate() {
            vector::neg_assign(limb, ring.modulus(ring.prime_index(q_limbs, i)));
        }
    }

    /// `self = c · self` for an integer constant (its residue is taken modulo every prime).
    pub fn mul_integer_assign(&mut self, c: i128, ring: &RingContext) {
        let q_limbs = self.q_limbs;
        for (i, limb) in self.data.chunks_exact_mut(self.n).enumerate() {
            let m = ring.modulus(ring.prime_index(q_limbs, i));
            vector::mul_scalar_assign(limb, residue_of_i128(c, m), m);
        }
    }

    /// Drops the `count` trailing limbs (the last Q limb when there are no P limbs, or the P
    /// limbs), keeping the allocation.
    pub(crate) fn drop_trailing_limbs(&mut self, count: usize) {
        debug_assert!(count <= self.limb_count());
        self.data.truncate((self.limb_count() - count) * self.n);
        if self.p_limbs >= count {
            self.p_limbs -= count;
        } else {
            self.q_limbs -= count - self.p_limbs;
            self.p_limbs = 0;
        }
    }

    /// A copy restricted to the first `q_limbs` Q limbs, keeping `p_limbs` P limbs from `self`.
    pub(crate) fn restricted(&self, q_limbs: usize, p_limbs: usize) -> Self {
        debug_assert!(q_limbs <= self.q_limbs && p_limbs <= self.p_limbs);
        let mut data = buffer_pool::take_copy(&self.data[..q_limbs * self.n]);
        let p_start = self.q_limbs * self.n;
        data.extend_from_slice(&self.data[p_start..p_start + p_limbs * self.n]);
        Self::from_data(self.n, q_limbs, p_limbs, data)
    }
}

impl RnsPoly<Coefficient> {
    /// The polynomial with the given small signed coefficients (`|v| < q_i` for every prime,
    /// `values.len() == N`): secrets, errors and encryption randomness. The conversion has no
    /// branch and no data-dependent timing on the values
    /// (`spencnn_ntt::vector::small_signed_to_residues`).
    pub(crate) fn from_small_signed(values: &[i64], ring: &RingContext, q_limbs: usize, p_limbs: usize) -> Self {
        let mut poly = Self::zero(ring, q_limbs, p_limbs);
        for (i, limb) in poly.data.chunks_exact_mut(ring.n()).enumerate() {
            vector::small_signed_to_residues(limb, values, ring.modulus(ring.prime_index(q_limbs, i)))
                .expect("one value per coefficient");
        }
        poly
    }

    /// The polynomial with the given signed integer coefficients (`values.len() == N`), any
    /// magnitude (tests; secrets go through [`RnsPoly::from_small_signed`]).
    #[cfg(test)]
    pub(crate) fn from_signed(values: &[i64], ring: &RingContext, q_limbs: usize, p_limbs: usize) -> Self {
        let mut poly = Self::zero(ring, q_limbs, p_limbs);
        for (i, limb) in poly.data.chunks_exact_mut(ring.n()).enumerate() {
            vector::signed_to_residues(limb, values, ring.modulus(ring.prime_index(q_limbs, i)))
                .expect("one value per coefficient");
        }
        poly
    }

    /// Forward NTT of every limb.
    pub fn into_ntt(mut self, ring: &RingContext) -> RnsPoly<Ntt> {
        let q_limbs = self.q_limbs;
        for (i, limb) in self.data.chunks_exact_mut(self.n).enumerate() {
            ring.plan(ring.prime_index(q_limbs, i)).forward(limb).expect("limb length is the ring degree");
        }
        RnsPoly::from_data(self.n, self.q_limbs, self.p_limbs, std::mem::take(&mut self.data))
    }
}

impl RnsPoly<Ntt> {
    /// Inverse NTT of every limb.
    pub fn into_coefficient(mut self, ring: &RingContext) -> RnsPoly<Coefficient> {
        let q_limbs = self.q_limbs;
        for (i, limb) in self.data.chunks_exact_mut(self.n).enumerate() {
            ring.plan(ring.prime_index(q_limbs, i)).inverse(limb).expect("limb length is the ring degree");
        }
        RnsPoly::from_data(self.n, self.q_limbs, self.p_limbs, std::mem::take(&mut self.data))
    }

    /// `self ⊙= other` (the negacyclic product).
    ///
    /// # Errors
    /// [`CkksError::BasisMismatch`] when the limbs differ.
    pub fn mul_assign(&mut self, other: &Self, ring: &RingContext) -> Result<(), CkksError> {
        self.for_each_limb_pair(other, ring, |a, b, m| vector::mul_assign(a, b, m).expect("equal limb lengths"))
    }

    /// `self += Σ_i a_i ⊙ b_i` with one delayed reduction per group of products.
    ///
    /// # Errors
    /// [`CkksError::BasisMismatch`] when any operand's limbs differ from `self`'s.
    pub fn multiply_accumulate(&mut self, pairs: &[(&Self, &Self)], ring: &RingContext) -> Result<(), CkksError> {
        for (a, b) in pairs {
            self.check_same_basis(a)?;
            self.check_same_basis(b)?;
        }
        let q_limbs = self.q_limbs;
        for (i, acc) in self.data.chunks_exact_mut(self.n).enumerate() {
            let limb_pairs: Vec<(&[u64], &[u64])> = pairs.iter().map(|(a, b)| (a.limb(i), b.limb(i))).collect();
            vector::multiply_accumulate(acc, &limb_pairs, ring.modulus(ring.prime_index(q_limbs, i)))
                .expect("equal limb lengths");
        }
        Ok(())
    }

    /// Adds the constant polynomial `c` (an integer) to every evaluation.
    pub fn add_integer_assign(&mut self, c: i128, ring: &RingContext) {
        let q_limbs = self.q_limbs;
        for (i, limb) in self.data.chunks_exact_mut(self.n).enumerate() {
            let m = ring.modulus(ring.prime_index(q_limbs, i));
            vector::add_scalar_assign(limb, residue_of_i128(c, m), m);
        }
    }

    /// Applies an automorphism given by its NTT-domain gather (`spencnn_ntt::GaloisPermutation`).
    pub fn permuted(&self, permutation: &spencnn_ntt::GaloisPermutation) -> Self {
        // Every word is written by the gather below.
        let mut out = buffer_pool::take_for_overwrite(self.data.len());
        for (dst, src) in out.chunks_exact_mut(self.n).zip(self.data.chunks_exact(self.n)) {
            permutation.apply(src, dst).expect("limb length is the ring degree");
        }
        Self::from_data(self.n, self.q_limbs, self.p_limbs, out)
    }
}

/// `c mod q` for a signed 128-bit integer.
pub(crate) fn residue_of_i128(c: i128, modulus: &spencnn_ntt::Modulus) -> u64 {
    let r = modulus.reduce_u128(c.unsigned_abs());
    spencnn_ntt::select(c < 0, modulus.neg(r), r)
}
