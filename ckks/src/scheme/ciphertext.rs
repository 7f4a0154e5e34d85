//! Ciphertexts.

use crate::ring::{Ntt, RnsPoly};

/// A ciphertext `(c_0, c_1[, c_2])` in NTT form that decrypts to `c_0 + c_1·s [+ c_2·s²]`.
///
/// Its scale is tracked exactly (products of scales, quotients by the rescaled primes).
/// A fresh secret-key encryption keeps the seed of its uniform part `c_1` until it is modified
/// (for compressed serialization).
#[derive(Debug, Clone)]
pub struct Ciphertext {
    pub(crate) polys: Vec<RnsPoly<Ntt>>,
    pub(crate) scale: f64,
    pub(crate) slots: usize,
    pub(crate) fingerprint: u64,
    pub(crate) seed: Option<[u8; 32]>,
}

impl Ciphertext {
    /// The level `ℓ`: the ciphertext is over the `ℓ + 1` primes `q_0, …, q_ℓ` and can be
    /// rescaled `ℓ` more times.
    pub fn level(&self) -> usize {
        self.q_limb_count() - 1
    }
    /// The number of Q primes, `level + 1`.
    pub(crate) fn q_limb_count(&self) -> usize {
        self.polys[0].q_limb_count()
    }
    /// The scale.
    pub fn scale(&self) -> f64 {
        self.scale
    }
    /// Number of slots.
    pub fn slots(&self) -> usize {
        self.slots
    }
    /// Number of polynomials (2, or 3 after a multiplication without relinearization).
    pub fn size(&self) -> usize {
        self.polys.len()
    }
    /// The polynomials.
    pub fn polys(&self) -> &[RnsPoly<Ntt>] {
        &self.polys
    }
    /// The seed of `c_1` for a fresh secret-key encryption, `None` otherwise.
    pub fn seed(&self) -> Option<[u8; 32]> {
        self.seed
    }
    /// Fingerprint of the parameters it was made under.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
    /// A ciphertext with new polynomials and scale, and the slot count and parameters of `self`.
    pub(crate) fn derived(&self, polys: Vec<RnsPoly<Ntt>>, scale: f64) -> Ciphertext {
        Ciphertext { polys, scale, slots: self.slots, fingerprint: self.fingerprint, seed: None }
    }

    /// Mutable access to the polynomials; forgets the seed (the ciphertext is modified).
    pub(crate) fn polys_mut(&mut self) -> &mut Vec<RnsPoly<Ntt>> {
        self.seed = None;
        &mut self.polys
    }
}
