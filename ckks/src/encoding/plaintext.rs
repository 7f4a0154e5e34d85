//! Plaintexts: encoded messages with their scale and slot count.

use zeroize::Zeroize;

use crate::ring::{Ntt, RnsPoly};

/// An encoded message: `Δ·m(X)` in NTT form at some level, with its scale `Δ` and slot count.
///
/// An *extended* plaintext also holds the special-prime limbs (P); it is what the
/// double-hoisted rotation sum multiplies in the `Q·P` basis. Extended plaintexts work
/// everywhere a plain one does.
#[derive(Debug, Clone)]
pub struct Plaintext {
    pub(crate) poly: RnsPoly<Ntt>,
    pub(crate) scale: f64,
    pub(crate) slots: usize,
    pub(crate) fingerprint: u64,
}

/// Overwrites the residues (e.g. of a decrypted result once it is decoded). Not on drop:
/// weight plaintexts are public and numerous, and wiping each would cost a memory pass.
impl Zeroize for Plaintext {
    fn zeroize(&mut self) {
        self.poly.zeroize();
    }
}

impl Plaintext {
    /// The level `ℓ`: the plaintext is over the `ℓ + 1` primes `q_0, …, q_ℓ` (and `P` when
    /// extended).
    pub fn level(&self) -> usize {
        self.q_limb_count() - 1
    }
    /// The number of Q primes, `level + 1`.
    pub(crate) fn q_limb_count(&self) -> usize {
        self.poly.q_limb_count()
    }
    /// The scale `Δ`.
    pub fn scale(&self) -> f64 {
        self.scale
    }
    /// Number of slots (a power of two `≤ N/2`).
    pub fn slots(&self) -> usize {
        self.slots
    }
    /// Whether the special-prime limbs are present.
    pub fn is_extended(&self) -> bool {
        self.poly.p_limb_count() > 0
    }
    /// The polynomial.
    pub fn poly(&self) -> &RnsPoly<Ntt> {
        &self.poly
    }
    /// Fingerprint of the parameters it was made under.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}
