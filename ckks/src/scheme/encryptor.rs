//! Public-key and secret-key encryption.

use std::sync::Arc;

use spencnn_ntt::vector;
use zeroize::Zeroize;

use super::ciphertext::Ciphertext;
use crate::encoding::Plaintext;
use crate::error::CkksError;
use crate::ring::{Ntt, RnsPoly, SecretRng, sampling};
use crate::rlwe::Context;
use crate::rlwe::{PublicKey, SecretKey, mod_down};

/// The distribution of an encryption's small polynomials.
#[derive(Debug, Clone, Copy)]
enum Small {
    /// Coefficients uniform in `{-1, 0, 1}` (the ephemeral key `u`).
    Ternary,
    /// Discrete Gaussian errors.
    Gaussian,
}

/// Encrypts plaintexts; holds a ChaCha20 generator seeded from the OS.
#[derive(Debug)]
pub struct Encryptor {
    ctx: Arc<Context>,
    rng: SecretRng,
}

impl Encryptor {
    /// An encryptor seeded from the operating system's randomness.
    ///
    /// # Panics
    /// When the operating system's random source fails (no safe way to continue).
    pub fn new(ctx: &Arc<Context>) -> Self {
        Self { ctx: Arc::clone(ctx), rng: SecretRng::from_os() }
    }

    /// A deterministic encryptor (tests only: the seed reveals the encryption randomness).
    pub fn from_seed(ctx: &Arc<Context>, seed: [u8; 32]) -> Self {
        Self { ctx: Arc::clone(ctx), rng: SecretRng::from_seed(seed) }
    }

    /// A fresh small polynomial over `q_limbs` Q and `p_limbs` P primes, in NTT form.
    fn sample_small_ntt(&mut self, q_limbs: usize, p_limbs: usize, distribution: Small) -> RnsPoly<Ntt> {
        let ring = self.ctx.ring();
        let mut values = match distribution {
            Small::Ternary => sampling::sample_ternary(&mut self.rng, ring.n()),
            Small::Gaussian => sampling::sample_gaussian(&mut self.rng, ring.n()),
        };
        let poly = RnsPoly::from_small_signed(&values, ring, q_limbs, p_limbs).into_ntt(ring);
        values.zeroize();
        poly
    }

    /// Public-key encryption at the plaintext's level `ℓ`: `(u·b + e_0, u·a + e_1)` is formed
    /// over `Q_ℓ·P` (ternary `u`, Gaussian `e_0, e_1`), divided by `P` with rounding, and `m` is
    /// added. The division shrinks the encryption noise `u·e + e_0 + e_1·s` to about the
    /// rounding error, as in SEAL.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when the key or plaintext belongs to other parameters.
    pub fn encrypt(&mut self, pt: &Plaintext, pk: &PublicKey) -> Result<Ciphertext, CkksError> {
        self.ctx.check_fingerprint(pk.fingerprint)?;
        self.ctx.check_fingerprint(pt.fingerprint)?;
        let q_limbs = pt.q_limb_count();
        let special = self.ctx.ring().p_count();
        let mut u = self.sample_small_ntt(q_limbs, special, Small::Ternary);
        let mut c0 = self.sample_small_ntt(q_limbs, special, Small::Gaussian);
        let mut c1 = self.sample_small_ntt(q_limbs, special, Small::Gaussian);
        let ring = self.ctx.ring();
        for i in 0..q_limbs + special {
            // The public key holds every prime, so its limb index is the global prime index.
            let global = ring.prime_index(q_limbs, i);
            let m = ring.modulus(global);
            vector::multiply_accumulate(c0.limb_mut(i), &[(u.limb(i), pk.b.limb(global))], m)?;
            vector::multiply_accumulate(c1.limb_mut(i), &[(u.limb(i), pk.a.limb(global))], m)?;
        }
        u.zeroize();
        mod_down(&self.ctx, &mut c0)?;
        mod_down(&self.ctx, &mut c1)?;
        for i in 0..q_limbs {
            vector::add_assign(c0.limb_mut(i), pt.poly.limb(i), ring.modulus(i))?;
        }
        Ok(Ciphertext {
            polys: vec![c0, c1],
            scale: pt.scale,
            slots: pt.slots,
            fingerprint: pt.fingerprint,
            seed: None,
        })
    }

    /// Secret-key encryption at the plaintext's level: `(-a·s + e + m, a)` with `a` expanded
    /// from a fresh seed, which the ciphertext keeps (see [`Ciphertext::seed`]). Less noise
    /// than public-key encryption.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when the key or plaintext belongs to other parameters.
    pub fn encrypt_symmetric(&mut self, pt: &Plaintext, sk: &SecretKey) -> Result<Ciphertext, CkksError> {
        self.ctx.check_fingerprint(sk.fingerprint)?;
        self.ctx.check_fingerprint(pt.fingerprint)?;
        let q_limbs = pt.q_limb_count();
        let seed = sampling::fresh_seed(&mut self.rng);
        let mut c0 = self.sample_small_ntt(q_limbs, 0, Small::Gaussian);
        let ring = self.ctx.ring();
        let c1 = sampling::uniform_from_seed(seed, ring, q_limbs, 0);
        let mut a_s = vec![0u64; ring.n()];
        for i in 0..q_limbs {
            let m = ring.modulus(i);
            a_s.copy_from_slice(c1.limb(i));
            vector::mul_assign(&mut a_s, sk.poly.limb(i), m)?;
            vector::sub_assign(c0.limb_mut(i), &a_s, m)?;
            vector::add_assign(c0.limb_mut(i), pt.poly.limb(i), m)?;
        }
        a_s.zeroize();
        Ok(Ciphertext {
            polys: vec![c0, c1],
            scale: pt.scale,
            slots: pt.slots,
            fingerprint: pt.fingerprint,
            seed: Some(seed),
        })
    }
}
