//! Decryption.

use std::sync::Arc;

use spencnn_ntt::vector;

use super::ciphertext::Ciphertext;
use crate::encoding::Plaintext;
use crate::error::CkksError;
use crate::ring::{Ntt, RnsPoly};
use crate::rlwe::Context;
use crate::rlwe::SecretKey;

/// Decrypts ciphertexts with a secret key.
#[derive(Debug, Clone)]
pub struct Decryptor {
    ctx: Arc<Context>,
}

impl Decryptor {
    /// A decryptor for the context's parameters.
    pub fn new(ctx: &Arc<Context>) -> Self {
        Self { ctx: Arc::clone(ctx) }
    }

    /// `c_0 + c_1·s [+ c_2·s²]` as a plaintext at the ciphertext's level and scale (in NTT
    /// form; decoding transforms back only the limbs it needs).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when the key or ciphertext belongs to other parameters.
    pub fn decrypt(&self, ct: &Ciphertext, sk: &SecretKey) -> Result<Plaintext, CkksError> {
        self.ctx.check_fingerprint(sk.fingerprint)?;
        self.ctx.check_fingerprint(ct.fingerprint)?;
        let ring = self.ctx.ring();
        let q_limbs = ct.q_limb_count();
        let mut out: RnsPoly<Ntt> = ct.polys[0].clone();
        let mut s_squared = vec![0u64; ring.n()];
        for i in 0..q_limbs {
            let m = ring.modulus(i);
            let s = sk.poly.limb(i);
            vector::multiply_accumulate(out.limb_mut(i), &[(ct.polys[1].limb(i), s)], m)?;
            if let Some(c2) = ct.polys.get(2) {
                s_squared.copy_from_slice(s);
                vector::mul_assign(&mut s_squared, s, m)?;
                vector::multiply_accumulate(out.limb_mut(i), &[(c2.limb(i), &s_squared)], m)?;
            }
        }
        zeroize::Zeroize::zeroize(&mut s_squared);
        Ok(Plaintext { poly: out, scale: ct.scale, slots: ct.slots, fingerprint: ct.fingerprint })
    }
}
