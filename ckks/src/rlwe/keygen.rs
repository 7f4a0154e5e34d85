//! Key generation.

use std::sync::Arc;

use spencnn_ntt::GaloisPermutation;
use zeroize::{Zeroize, Zeroizing};

use super::context::Context;
use super::evaluation_keys::{GaloisKey, GaloisKeys, RelinKey, galois_element_inverse};
use super::key_set::GaloisKeySet;
use super::keys::{PublicKey, SecretKey};
use super::switching_key::{KeyStorage, SwitchingKey};
use crate::error::CkksError;
use crate::params::SecretDistribution;
use crate::ring::{RnsPoly, SecretRng, sampling};

/// Whether [`KeyGenerator::galois_keys`] also makes the key of complex conjugation.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Conjugation {
    /// Make the conjugation key too.
    Include,
    /// Only the rotation keys.
    Exclude,
}

/// Generates secret, public and evaluation keys from a ChaCha20 generator.
///
/// ```
/// use spencnn_ckks::{Conjugation, Context, KeyGenerator, Parameters};
/// let params = Parameters::builder().log_n(10).q_bits(&[50, 40]).p_bits(&[50])
///     .insecure_for_testing_only().build().unwrap();
/// let ctx = Context::new(params).unwrap();
/// let mut keygen = KeyGenerator::new(&ctx);
/// let sk = keygen.secret_key();
/// let galois = keygen.galois_keys(&sk, &[1, -1], Conjugation::Include).unwrap();
/// assert_eq!(galois.len(), 3);
/// ```
#[derive(Debug)]
pub struct KeyGenerator {
    pub(super) ctx: Arc<Context>,
    pub(super) rng: SecretRng,
    pub(super) storage: KeyStorage,
}

impl KeyGenerator {
    /// A generator seeded from the operating system's randomness.
    ///
    /// # Panics
    /// When the operating system's random source fails (no safe way to continue).
    pub fn new(ctx: &Arc<Context>) -> Self {
        Self { ctx: Arc::clone(ctx), rng: SecretRng::from_os(), storage: KeyStorage::Expanded }
    }

    /// A deterministic generator (tests and reproducible experiments only: anyone with the
    /// seed can recompute the secret key).
    pub fn from_seed(ctx: &Arc<Context>, seed: [u8; 32]) -> Self {
        Self { ctx: Arc::clone(ctx), rng: SecretRng::from_seed(seed), storage: KeyStorage::Expanded }
    }

    /// The generator making its relinearization and Galois keys with `storage` (default
    /// [`KeyStorage::Expanded`]): `Compact` keys are made without ever holding the whole
    /// uniform half, and are identical to the expanded keys once expanded.
    pub fn with_key_storage(mut self, storage: KeyStorage) -> Self {
        self.storage = storage;
        self
    }

    /// [`KeyGenerator::with_key_storage`] on a generator in place (its random stream is
    /// unchanged: the same keys either way).
    pub fn set_key_storage(&mut self, storage: KeyStorage) {
        self.storage = storage;
    }

    /// The context the generator makes keys for.
    pub(crate) fn context(&self) -> Arc<Context> {
        Arc::clone(&self.ctx)
    }

    /// How the generator's switching keys hold their uniform half.
    pub fn key_storage(&self) -> KeyStorage {
        self.storage
    }

    /// A fresh secret key with the parameters' distribution.
    pub fn secret_key(&mut self) -> SecretKey {
        let ring = self.ctx.ring();
        let n = ring.n();
        let mut coefficients = match self.ctx.params().secret_distribution() {
            SecretDistribution::UniformTernary => sampling::sample_ternary(&mut self.rng, n),
            SecretDistribution::FixedHammingWeight { weight } => {
                sampling::sample_fixed_hamming_weight(&mut self.rng, n, weight)
            }
        };
        let poly = RnsPoly::from_small_signed(&coefficients, ring, ring.q_count(), ring.p_count()).into_ntt(ring);
        coefficients.zeroize();
        SecretKey { poly, fingerprint: self.ctx.params().fingerprint() }
    }

    /// A fresh secret of exactly `weight` non-zero coefficients in `{−1, 1}`, as signed
    /// coefficients (wiped on drop), whatever the parameters' distribution: the ephemeral
    /// secret of a sparse-secret encapsulation, carried to its own small chain with
    /// [`SecretKey::from_signed_coefficients`] (`1 ≤ weight ≤ N`, checked by the caller).
    pub(crate) fn sparse_secret_coefficients(&mut self, weight: usize) -> Zeroizing<Vec<i64>> {
        Zeroizing::new(sampling::sample_fixed_hamming_weight(&mut self.rng, self.ctx.ring().n(), weight))
    }

    /// A seed drawn from this generator, for a generator of another context that must follow
    /// deterministically from this one.
    pub(crate) fn derived_seed(&mut self) -> [u8; 32] {
        sampling::fresh_seed(&mut self.rng)
    }

    /// The key switching from the secret `from` to the secret `to` (both under this
    /// generator's parameters) for ciphertexts up to `level`, held as the generator's storage
    /// says.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when a secret belongs to other parameters,
    /// [`CkksError::LevelOutOfRange`] when `level` is above the top level.
    pub(crate) fn switching_key_at_level(
        &mut self,
        from: &SecretKey,
        to: &SecretKey,
        level: usize,
    ) -> Result<SwitchingKey, CkksError> {
        self.ctx.check_fingerprint(from.fingerprint)?;
        self.ctx.check_fingerprint(to.fingerprint)?;
        let q_limbs = self.ctx.q_limbs_at(level)?;
        let ring = self.ctx.ring();
        Ok(SwitchingKey::generate(self.ctx.params(), ring, q_limbs, &from.poly, &to.poly, self.storage, &mut self.rng))
    }

    /// The public key `(-a·s + e, a)` over `Q·P` (the P limbs let encryption divide its noise
    /// by `P`).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when `sk` belongs to other parameters.
    pub fn public_key(&mut self, sk: &SecretKey) -> Result<PublicKey, CkksError> {
        self.ctx.check_fingerprint(sk.fingerprint)?;
        let ring = self.ctx.ring();
        let (level, special) = (ring.q_count(), ring.p_count());
        let seed = sampling::fresh_seed(&mut self.rng);
        let a = sampling::uniform_from_seed(seed, ring, level, special);
        let mut errors = sampling::sample_gaussian(&mut self.rng, ring.n());
        let mut b = RnsPoly::from_small_signed(&errors, ring, level, special).into_ntt(ring);
        errors.zeroize();
        let mut a_s = a.clone();
        a_s.mul_assign(&sk.poly, ring)?;
        b.sub_assign(&a_s, ring)?;
        // a·s and the public a reveal s: wipe before the buffer returns to the pool.
        a_s.zeroize();
        Ok(PublicKey { b, a, seed, fingerprint: sk.fingerprint })
    }

    /// The relinearization key (switching from `s²` to `s`) for every level.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when `sk` belongs to other parameters.
    pub fn relin_key(&mut self, sk: &SecretKey) -> Result<RelinKey, CkksError> {
        self.relin_key_at_level(sk, self.ctx.params().max_level())
    }

    /// The relinearization key for ciphertexts up to `level` (smaller and faster to make than
    /// the full key when the circuit multiplies only below the top level).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelOutOfRange`] when `level` is above
    /// the top level.
    pub fn relin_key_at_level(&mut self, sk: &SecretKey, level: usize) -> Result<RelinKey, CkksError> {
        self.ctx.check_fingerprint(sk.fingerprint)?;
        let q_limbs = self.ctx.q_limbs_at(level)?;
        let ring = self.ctx.ring();
        let mut s_squared = sk.poly.clone();
        s_squared.mul_assign(&sk.poly, ring)?;
        let key =
            SwitchingKey::generate(self.ctx.params(), ring, q_limbs, &s_squared, &sk.poly, self.storage, &mut self.rng);
        s_squared.zeroize();
        Ok(RelinKey { key, fingerprint: sk.fingerprint })
    }

    /// The key of one Galois element (odd, below `2N`) for every level.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], or an NTT error for an invalid element.
    pub fn galois_key(&mut self, sk: &SecretKey, galois_element: u64) -> Result<GaloisKey, CkksError> {
        self.galois_key_at_level(sk, galois_element, self.ctx.params().max_level())
    }

    /// The key of one Galois element for ciphertexts up to `level` `ℓ`:
    /// `2·ceil((ℓ + 1)/α)·(ℓ + 1 + k)` limbs instead of `2·dnum·(L + k)` (see [`SwitchingKey`]).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelOutOfRange`] when `level` is above
    /// the top level, or an NTT error for an invalid element.
    pub fn galois_key_at_level(
        &mut self,
        sk: &SecretKey,
        galois_element: u64,
        level: usize,
    ) -> Result<GaloisKey, CkksError> {
        self.ctx.check_fingerprint(sk.fingerprint)?;
        let q_limbs = self.ctx.q_limbs_at(level)?;
        Self::make_galois_key(&self.ctx, self.storage, sk, galois_element, q_limbs, &mut self.rng)
    }

    /// The key of `galois_element` over `q_limbs` Q primes from `rng` (checked by the callers:
    /// `sk` belongs to `ctx`, `1 ≤ q_limbs ≤ L`). Draws
    /// [`SwitchingKey::rng_words`]`(q_limbs)` words from `rng`.
    pub(super) fn make_galois_key(
        ctx: &Context,
        storage: KeyStorage,
        sk: &SecretKey,
        galois_element: u64,
        q_limbs: usize,
        rng: &mut SecretRng,
    ) -> Result<GaloisKey, CkksError> {
        let ring = ctx.ring();
        let n = ring.n();
        let permutation = GaloisPermutation::new(n, galois_element)?;
        let inverse = GaloisPermutation::new(n, galois_element_inverse(galois_element, n))?;
        // The key switches from s to σ_g^{-1}(s); see `GaloisKey`.
        let mut permuted_secret = sk.poly.permuted(&inverse);
        let key = SwitchingKey::generate(ctx.params(), ring, q_limbs, &sk.poly, &permuted_secret, storage, rng);
        permuted_secret.zeroize();
        Ok(GaloisKey { galois_element, permutation, key })
    }

    /// Galois keys for the rotation `steps` (slot `i` receives slot `i + step`; negative steps
    /// rotate right) and, with [`Conjugation::Include`], for complex conjugation, for every
    /// level. Steps that map to the same Galois element share one key; step 0 needs none.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when `sk` belongs to other parameters.
    pub fn galois_keys(
        &mut self,
        sk: &SecretKey,
        steps: &[i64],
        conjugation: Conjugation,
    ) -> Result<GaloisKeys, CkksError> {
        let set = GaloisKeySet::for_steps(self.ctx.params(), steps, conjugation);
        self.galois_key_set(sk, &set)
    }

    /// Galois keys for `(step, level)` pairs: each rotation step with the highest level at
    /// which it is applied (keys for deep layers are much smaller). Steps that map to the same
    /// Galois element share one key at the highest of their levels; step 0 needs none.
    ///
    /// ```
    /// use spencnn_ckks::{Context, KeyGenerator, Parameters};
    /// let params = Parameters::builder().log_n(10).q_bits(&[50, 40, 40]).p_bits(&[50])
    ///     .dnum(3).insecure_for_testing_only().build().unwrap();
    /// let ctx = Context::new(params).unwrap();
    /// let mut keygen = KeyGenerator::new(&ctx);
    /// let sk = keygen.secret_key();
    /// // Three Q primes: levels 0, 1 and 2 (the top).
    /// let keys = keygen.galois_keys_at_levels(&sk, &[(1, 2), (2, 0)]).unwrap();
    /// let levels: Vec<usize> = keys.elements().map(|g| keys.get(g).unwrap().level()).collect();
    /// assert_eq!(levels.len(), 2);
    /// assert!(levels.contains(&0) && levels.contains(&2));
    /// ```
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelOutOfRange`].
    pub fn galois_keys_at_levels(&mut self, sk: &SecretKey, steps: &[(i64, usize)]) -> Result<GaloisKeys, CkksError> {
        let set = GaloisKeySet::for_steps_at_levels(self.ctx.params(), steps)?;
        self.galois_key_set(sk, &set)
    }
}
