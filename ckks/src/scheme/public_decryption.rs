//! Decryption for results that leave the key holder: noise flooding and rounding before the
//! values are released, as a mitigation of the IND-CPA-D attack on CKKS.
//!
//! Li and Micciancio (EUROCRYPT 2021) showed that CKKS decryptions leak the secret key: a
//! decrypted value is `m + e` where the error `e` is a known linear function of the secret
//! (given the ciphertext), so an adversary who sees decryptions of ciphertexts it computed
//! recovers `s` by linear algebra. [`PublicDecryptor`] adds fresh noise from a CSPRNG to every
//! decrypted coefficient before decoding (noise flooding), then rounds the slot values to a
//! stated precision; see `docs/SECURITY.md` for how to choose the noise.

use std::sync::Arc;

use rand_core::RngCore;
use zeroize::Zeroize;

use super::ciphertext::Ciphertext;
use super::decryptor::Decryptor;
use crate::encoding::{Complex, Encoder};
use crate::error::CkksError;
use crate::ring::SecretRng;
use crate::rlwe::Context;
use crate::rlwe::SecretKey;

/// Largest flooding magnitude: `2^60`, so that coefficients plus noise stay well inside the
/// range where the decoder's `f64` arithmetic is meaningful.
pub const MAX_LOG2_FLOODING: u32 = 60;
/// Largest rounding precision in bits after the binary point.
pub const MAX_PRECISION_BITS: u32 = 52;

/// Noise added to every decrypted coefficient before decoding, in units of the plaintext's
/// integer coefficients (a noise of `x` there is about `x·sqrt(N/2)/scale` in a slot).
#[derive(Debug, Clone, Copy, PartialEq)]
#[non_exhaustive]
pub enum NoiseFlooding {
    /// No noise. Rounding alone does **not** defeat the IND-CPA-D attack.
    None,
    /// Uniform integers in `[-2^log2_bound, 2^log2_bound)`: the low `log2_bound + 1` bits of a
    /// CSPRNG word, shifted; constant time. By the smudging lemma it hides any error of
    /// magnitude `≤ B` with statistical distance `≤ B / 2^(log2_bound + 1)` per coefficient.
    Uniform {
        /// `log2` of the bound (at most [`MAX_LOG2_FLOODING`]).
        log2_bound: u32,
    },
    /// Rounded Gaussian of standard deviation `sigma` (Box–Muller on 53-bit CSPRNG uniforms;
    /// statistically close to the discrete Gaussian for `sigma ≥ 4`). Its timing depends on
    /// the sampled values (through `ln`, `sqrt`, `cos`), not on the key.
    Gaussian {
        /// The standard deviation (at most `2^MAX_LOG2_FLOODING`).
        sigma: f64,
    },
}

impl NoiseFlooding {
    /// Uniform flooding that hides a decryption error of at most `2^log2_error_bound` per
    /// coefficient with statistical distance at most `2^-statistical_security` over all `N`
    /// coefficients of one released ciphertext (smudging lemma with a union bound):
    /// `log2_bound = log2_error_bound + statistical_security + log2(N)` (the result is
    /// checked by [`PublicDecryptor::new`] against [`MAX_LOG2_FLOODING`]).
    pub fn smudging(log2_error_bound: u32, statistical_security: u32, n: usize) -> Self {
        let log2_bound = log2_error_bound.saturating_add(statistical_security).saturating_add(n.trailing_zeros());
        NoiseFlooding::Uniform { log2_bound }
    }

    fn log2_magnitude(self) -> f64 {
        match self {
            NoiseFlooding::None => 0.0,
            NoiseFlooding::Uniform { log2_bound } => f64::from(log2_bound),
            NoiseFlooding::Gaussian { sigma } if sigma >= 0.0 => sigma.log2(),
            NoiseFlooding::Gaussian { sigma } => sigma,
        }
    }
}

/// What a [`PublicDecryptor`] does before releasing values.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PublicDecoding {
    /// Noise added to the decrypted coefficients before decoding.
    pub flooding: NoiseFlooding,
    /// Round the real and imaginary part of every slot to a multiple of `2^-precision_bits`;
    /// `None` keeps the full `f64`.
    pub precision_bits: Option<u32>,
}

/// Decrypts and decodes results that will be shown to someone other than the key holder.
///
/// ```
/// use spencnn_ckks::*;
/// let params = Parameters::builder().log_n(10).q_bits(&[60, 40]).p_bits(&[60])
///     .insecure_for_testing_only().build().unwrap();
/// let ctx = Context::new(params).unwrap();
/// let mut keygen = KeyGenerator::new(&ctx);
/// let sk = keygen.secret_key();
/// let pt = Encoder::new(&ctx).encode_real(&[0.25, -1.5], 2, 1, 2f64.powi(40)).unwrap();
/// let ct = Encryptor::new(&ctx).encrypt_symmetric(&pt, &sk).unwrap();
/// // Flood with uniform noise of 2^20 (≈ 2^-15 in the slots at scale 2^40), keep 10 bits.
/// let policy = PublicDecoding { flooding: NoiseFlooding::Uniform { log2_bound: 20 }, precision_bits: Some(10) };
/// let mut public = PublicDecryptor::new(&ctx, policy).unwrap();
/// let released = public.decrypt_real(&ct, &sk).unwrap();
/// assert_eq!(&released[..2], &[0.25, -1.5]);
/// ```
#[derive(Debug)]
pub struct PublicDecryptor {
    encoder: Encoder,
    decryptor: Decryptor,
    policy: PublicDecoding,
    rng: SecretRng,
}

impl PublicDecryptor {
    /// A public decryptor with its own ChaCha20 generator seeded from the OS.
    ///
    /// # Errors
    /// [`CkksError::FloodingOutOfRange`], [`CkksError::PrecisionOutOfRange`].
    ///
    /// # Panics
    /// When the operating system's random source fails.
    pub fn new(ctx: &Arc<Context>, policy: PublicDecoding) -> Result<Self, CkksError> {
        Self::with_rng(ctx, policy, SecretRng::from_os())
    }

    /// A deterministic public decryptor (tests only: the seed reveals the flooding noise).
    ///
    /// # Errors
    /// As [`PublicDecryptor::new`].
    pub fn from_seed(ctx: &Arc<Context>, policy: PublicDecoding, seed: [u8; 32]) -> Result<Self, CkksError> {
        Self::with_rng(ctx, policy, SecretRng::from_seed(seed))
    }

    fn with_rng(ctx: &Arc<Context>, policy: PublicDecoding, rng: SecretRng) -> Result<Self, CkksError> {
        let log2_magnitude = policy.flooding.log2_magnitude();
        let max = f64::from(MAX_LOG2_FLOODING);
        let valid = match policy.flooding {
            NoiseFlooding::Gaussian { sigma } => sigma.is_finite() && sigma >= 0.0 && log2_magnitude <= max,
            _ => log2_magnitude <= max,
        };
        if !valid {
            return Err(CkksError::FloodingOutOfRange { log2_magnitude, max });
        }
        if let Some(bits) = policy.precision_bits
            && bits > MAX_PRECISION_BITS
        {
            return Err(CkksError::PrecisionOutOfRange { bits, max: MAX_PRECISION_BITS });
        }
        Ok(Self { encoder: Encoder::new(ctx), decryptor: Decryptor::new(ctx), policy, rng })
    }

    /// The policy applied to every decryption.
    pub fn policy(&self) -> PublicDecoding {
        self.policy
    }

    /// Decrypts, floods every coefficient with fresh noise, decodes, and rounds the slots.
    /// The unflooded plaintext and coefficients are wiped before returning.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when the key or ciphertext belongs to other parameters.
    pub fn decrypt_complex(&mut self, ct: &Ciphertext, sk: &SecretKey) -> Result<Vec<Complex>, CkksError> {
        let mut pt = self.decryptor.decrypt(ct, sk)?;
        let mut coefficients = self.encoder.centred_coefficients(&pt);
        pt.poly.zeroize();
        self.flood(&mut coefficients);
        let mut slots = self.encoder.slots_from_coefficients(&coefficients, pt.slots, pt.scale);
        coefficients.zeroize();
        if let Some(bits) = self.policy.precision_bits {
            let (up, down) = (f64::from(bits).exp2(), (-f64::from(bits)).exp2());
            for z in &mut slots {
                *z = Complex::new((z.re * up).round() * down, (z.im * up).round() * down);
            }
        }
        Ok(slots)
    }

    /// The real parts of [`PublicDecryptor::decrypt_complex`].
    ///
    /// # Errors
    /// As [`PublicDecryptor::decrypt_complex`].
    pub fn decrypt_real(&mut self, ct: &Ciphertext, sk: &SecretKey) -> Result<Vec<f64>, CkksError> {
        Ok(self.decrypt_complex(ct, sk)?.into_iter().map(|z| z.re).collect())
    }

    fn flood(&mut self, coefficients: &mut [f64]) {
        match self.policy.flooding {
            NoiseFlooding::None => {}
            NoiseFlooding::Uniform { log2_bound } => {
                let mask = (1u64 << (log2_bound + 1)) - 1;
                let offset = 1i64 << log2_bound;
                for c in coefficients {
                    *c += ((self.rng.next_u64() & mask) as i64 - offset) as f64;
                }
            }
            NoiseFlooding::Gaussian { sigma } => {
                let unit = |r: u64| (r >> 11) as f64 * (-53f64).exp2();
                for pair in coefficients.chunks_mut(2) {
                    // Box–Muller: u1 in (0, 1], u2 in [0, 1).
                    let u1 = 1.0 - unit(self.rng.next_u64());
                    let u2 = unit(self.rng.next_u64());
                    let radius = sigma * (-2.0 * u1.ln()).sqrt();
                    let angle = std::f64::consts::TAU * u2;
                    let noise = [(radius * angle.cos()).round(), (radius * angle.sin()).round()];
                    for (c, e) in pair.iter_mut().zip(noise) {
                        *c += e;
                    }
                }
            }
        }
    }
}
