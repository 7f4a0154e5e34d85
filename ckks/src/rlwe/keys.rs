//! Secret and public keys.

use std::fmt;

use zeroize::{Zeroize, ZeroizeOnDrop, Zeroizing};

use super::context::Context;
use crate::error::CkksError;
use crate::ring::{Ntt, RnsPoly};

/// The secret key `s`, in NTT form over all of `Q·P`.
///
/// Wiped from memory on drop; its `Debug` output shows no coefficient.
pub struct SecretKey {
    pub(crate) poly: RnsPoly<Ntt>,
    pub(crate) fingerprint: u64,
}

impl SecretKey {
    /// The secret in NTT form over `Q·P` (for advanced use, e.g. noise measurements).
    pub fn poly(&self) -> &RnsPoly<Ntt> {
        &self.poly
    }
    /// Fingerprint of the parameters the key was made under.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }

    /// The secret with the small signed coefficients `coefficients` (`N` of them, each far
    /// below every prime) under `ctx`'s parameters: the same secret carried to another chain
    /// of the same degree (sparse-secret encapsulation).
    pub(crate) fn from_signed_coefficients(ctx: &Context, coefficients: &[i64]) -> Self {
        let ring = ctx.ring();
        debug_assert_eq!(coefficients.len(), ring.n());
        let poly = RnsPoly::from_small_signed(coefficients, ring, ring.q_count(), ring.p_count()).into_ntt(ring);
        SecretKey { poly, fingerprint: ctx.params().fingerprint() }
    }

    /// The signed coefficients of the secret (centred modulo `q_0`; every secret
    /// distribution has coefficients far below `q_0/2`), wiped on drop.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when the key belongs to other parameters than `ctx`.
    pub(crate) fn signed_coefficients(&self, ctx: &Context) -> Result<Zeroizing<Vec<i64>>, CkksError> {
        ctx.check_fingerprint(self.fingerprint)?;
        let ring = ctx.ring();
        let mut coefficients = self.poly.clone().into_coefficient(ring);
        let q0 = ring.modulus(0);
        let signed = Zeroizing::new(coefficients.limb(0).iter().map(|&x| q0.center(x)).collect());
        coefficients.zeroize();
        Ok(signed)
    }
}

impl Zeroize for SecretKey {
    /// Overwrites every residue with 0 (the key is unusable afterwards).
    fn zeroize(&mut self) {
        self.poly.zeroize();
    }
}

impl Drop for SecretKey {
    fn drop(&mut self) {
        self.zeroize();
    }
}

impl ZeroizeOnDrop for SecretKey {}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SecretKey")
            .field("fingerprint", &format_args!("{:#018x}", self.fingerprint))
            .finish_non_exhaustive()
    }
}

/// The public key `(b, a) = (-a·s + e, a)` over `Q·P` in NTT form; `a` is expanded from `seed`.
#[derive(Debug, Clone)]
pub struct PublicKey {
    pub(crate) b: RnsPoly<Ntt>,
    pub(crate) a: RnsPoly<Ntt>,
    pub(crate) seed: [u8; 32],
    pub(crate) fingerprint: u64,
}

impl PublicKey {
    /// The `(b, a)` pair.
    pub fn components(&self) -> (&RnsPoly<Ntt>, &RnsPoly<Ntt>) {
        (&self.b, &self.a)
    }
    /// The seed from which `a` is expanded (for compressed serialization).
    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }
    /// Fingerprint of the parameters the key was made under.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}
