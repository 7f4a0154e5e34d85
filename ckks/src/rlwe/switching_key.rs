//! Switching keys: the gadget encryptions that key switching (see [`super::key_switch`])
//! multiplies the digits of a decomposition with.
//!
//! A switching key from `s'` to `s` holds, for every digit `j`, an RLWE sample over `Q·P`:
//! `(b_j, a_j)` with `b_j = -a_j·s + e_j + g_j·s'`, where the gadget factor `g_j` is `P` modulo
//! the primes of digit `j` and `0` modulo every other prime. Then for a decomposition `d_j` of
//! `c`, `Σ d_j·b_j + (Σ d_j·a_j)·s ≈ P·c·s'`, and dividing by `P` gives a ciphertext of `c·s'`
//! under `s` with noise `≈ Σ d_j·e_j / P`.
//!
//! The uniform parts `a_j` are public and expanded from a 32-byte seed, so a key can keep them
//! ([`KeyStorage::Expanded`]) or only the seed ([`KeyStorage::Compact`], half the memory: key
//! switching then expands each `a_j` limb by limb, in cache-sized chunks, inside the inner
//! product).

use std::borrow::Cow;

use rand_core::{CryptoRng, RngCore, SeedableRng};
use zeroize::Zeroize;

use super::context::Context;
use crate::error::CkksError;
use crate::params::Parameters;
use crate::ring::{Ntt, RingContext, RnsPoly, Scratch, sampling};

/// How a switching key holds its uniform half `a_j` (which is public: a function of the key's
/// seed).
///
/// * `Expanded`: every `a_j` in memory, as generated; the fastest key switching.
/// * `Compact`: only the seed; key switching expands `a_j` in chunks as it multiplies (no
///   allocation of the key), the key takes half the memory, and each key switch pays the
///   ChaCha20 expansion of the key's uniform half over the primes it uses. The results are
///   bit-identical to those of the expanded key.
///
/// Choose per key set ([`KeyGenerator::with_key_storage`](super::KeyGenerator::with_key_storage),
/// [`GaloisKeys::with_storage`](super::GaloisKeys::with_storage), the `from_bytes_with_storage`
/// loaders); every evaluator operation accepts both.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default)]
pub enum KeyStorage {
    /// Keep every uniform part in memory.
    #[default]
    Expanded,
    /// Keep only the seed of the uniform parts; expand them during key switching.
    Compact,
}

/// The uniform half of a key.
#[derive(Debug, Clone)]
enum UniformHalf {
    /// `a_j` for every digit, NTT form over the key's primes.
    Expanded(Vec<RnsPoly<Ntt>>),
    /// Only the seeds (kept in the key).
    Compact,
}

/// A switching key in NTT form over `Q_ℓ·P` for its level `ℓ` (the `ℓ + 1` primes
/// `q_0, …, q_ℓ`, `0 ≤ ℓ ≤ L − 1`), with the seed of its uniform parts `a_j`, which it holds
/// expanded or not ([`KeyStorage`]).
///
/// A key at level `ℓ` holds the `ceil((ℓ + 1)/α)` digits that a decomposition at level `ℓ` or
/// below produces, each over the `ℓ + 1` first Q primes and all P primes: it switches
/// ciphertexts at any level up to `ℓ`. It is exactly the restriction of the same key at the top
/// level (same seed: the uniform expansion of a limb does not depend on the level), and takes
/// `2·ceil((ℓ + 1)/α)·(ℓ + 1 + k)` limbs instead of `2·dnum·(L + k)` (half of that when
/// compact).
#[derive(Debug, Clone)]
pub struct SwitchingKey {
    /// Number of Q primes covered: the level plus one.
    q_limbs: usize,
    /// `b_j` for every digit, NTT form over the key's primes.
    b_parts: Vec<RnsPoly<Ntt>>,
    uniform: UniformHalf,
    seed: [u8; 32],
    /// The seed of `a_j` for every digit, drawn from `seed` (see [`SwitchingKey::derive_digit_seeds`]).
    digit_seeds: Vec<[u8; 32]>,
}

impl SwitchingKey {
    /// Generates a key over the first `q_limbs` Q primes (`1..=L`, checked by the caller)
    /// switching `from` (NTT form over `Q·P`) to the secret `to` (NTT form over `Q·P`).
    ///
    /// Draws from `rng` exactly [`SwitchingKey::rng_words`] 32-bit words (a parallel generator
    /// skips that many per key to stay identical to a sequential one).
    pub(crate) fn generate<G: RngCore + CryptoRng>(
        params: &Parameters,
        ring: &RingContext,
        q_limbs: usize,
        from: &RnsPoly<Ntt>,
        to: &RnsPoly<Ntt>,
        storage: KeyStorage,
        rng: &mut G,
    ) -> Self {
        debug_assert!((1..=ring.q_count()).contains(&q_limbs));
        let seed = sampling::fresh_seed(rng);
        let p_count = params.p_primes().len();
        let alpha = params.primes_per_digit();
        // −s restricted to the key's primes: b_j = e_j + a_j·(−s) + g_j·s' is one fused
        // multiply-accumulate per limb, with a_j expanded limb by limb (never held whole when
        // the key is compact).
        let mut minus_to = to.restricted(q_limbs, p_count);
        minus_to.neg_assign(ring);
        let digit_seeds = Self::derive_digit_seeds(params, q_limbs, seed);
        let mut b_parts = Vec::with_capacity(digit_seeds.len());
        let mut a_parts = Vec::with_capacity(digit_seeds.len());
        let mut compact_limb = Scratch::zeroed(ring.n());
        for (j, digit_seed) in digit_seeds.iter().enumerate() {
            let mut errors = sampling::sample_gaussian(rng, ring.n());
            let mut b = RnsPoly::from_small_signed(&errors, ring, q_limbs, p_count).into_ntt(ring);
            errors.zeroize();
            let mut a = (storage == KeyStorage::Expanded).then(|| RnsPoly::<Ntt>::zero(ring, q_limbs, p_count));
            for i in 0..b.limb_count() {
                let prime = ring.prime_index(q_limbs, i);
                let a_limb: &mut [u64] = match &mut a {
                    Some(a) => a.limb_mut(i),
                    None => &mut compact_limb,
                };
                sampling::uniform_limb_sampler(digit_seed, ring, prime).fill(a_limb);
                spencnn_ntt::vector::multiply_accumulate(
                    b.limb_mut(i),
                    &[(&*a_limb, minus_to.limb(i))],
                    ring.modulus(prime),
                )
                .expect("limbs of the ring degree");
            }
            for i in j * alpha..((j + 1) * alpha).min(q_limbs) {
                let m = ring.modulus(i);
                // g_j mod q_i = P mod q_i.
                let p_mod =
                    ring.prime_indices(0, p_count).fold(1u64, |acc, t| m.mul(acc, m.reduce(ring.modulus(t).value())));
                let p_shoup = m.shoup(p_mod);
                for (x, &s) in b.limb_mut(i).iter_mut().zip(from.limb(i)) {
                    *x = m.add(*x, m.mul_shoup(s, p_mod, p_shoup));
                }
            }
            b_parts.push(b);
            a_parts.extend(a);
        }
        minus_to.zeroize();
        let uniform = match storage {
            KeyStorage::Expanded => UniformHalf::Expanded(a_parts),
            KeyStorage::Compact => UniformHalf::Compact,
        };
        Self { q_limbs, b_parts, uniform, seed, digit_seeds }
    }

    /// The number of 32-bit words [`SwitchingKey::generate`] draws from its generator for a
    /// key over `q_limbs` Q primes: the seed (8 words) and one 64-bit Gaussian draw per
    /// coefficient of every digit's error.
    pub(crate) fn rng_words(params: &Parameters, q_limbs: usize) -> u128 {
        8 + 2 * (Self::digit_count(params, q_limbs) * params.n()) as u128
    }

    /// Number of digits of a key over `q_limbs` Q primes: `ceil(q_limbs / α)`.
    pub(crate) fn digit_count(params: &Parameters, q_limbs: usize) -> usize {
        q_limbs.div_ceil(params.primes_per_digit())
    }

    /// The seeds of the uniform parts of a key over `q_limbs` Q primes: digit `j` uses the
    /// `j`-th 32-byte seed drawn from a ChaCha20 stream keyed by the key's `seed`, and expands
    /// it with [`sampling::uniform_from_seed`] (so the parts at a lower level are restrictions
    /// of these).
    fn derive_digit_seeds(params: &Parameters, q_limbs: usize, seed: [u8; 32]) -> Vec<[u8; 32]> {
        let mut stream = rand_chacha::ChaCha20Rng::from_seed(seed);
        (0..Self::digit_count(params, q_limbs)).map(|_| sampling::fresh_seed(&mut stream)).collect()
    }

    /// The uniform parts `a_0, a_1, …` of a key over `q_limbs` Q primes with `seed`, each
    /// expanded when the iterator reaches it.
    pub(crate) fn uniform_parts_from_seed(
        ctx: &Context,
        q_limbs: usize,
        seed: [u8; 32],
    ) -> impl Iterator<Item = RnsPoly<Ntt>> + '_ {
        let ring = ctx.ring();
        Self::derive_digit_seeds(ctx.params(), q_limbs, seed)
            .into_iter()
            .map(move |digit_seed| sampling::uniform_from_seed(digit_seed, ring, q_limbs, ring.p_count()))
    }

    /// A key over `q_limbs` Q primes from its `b_j`, its seed, and (when expanded) its `a_j`
    /// (the loaders check that they agree with the seed).
    pub(crate) fn from_parts(
        params: &Parameters,
        q_limbs: usize,
        b_parts: Vec<RnsPoly<Ntt>>,
        a_parts: Option<Vec<RnsPoly<Ntt>>>,
        seed: [u8; 32],
    ) -> Self {
        let uniform = a_parts.map_or(UniformHalf::Compact, UniformHalf::Expanded);
        Self { q_limbs, b_parts, uniform, seed, digit_seeds: Self::derive_digit_seeds(params, q_limbs, seed) }
    }

    /// The key's level: it switches ciphertexts at this level and below.
    pub fn level(&self) -> usize {
        self.q_limbs - 1
    }

    /// How the key holds its uniform half.
    pub fn storage(&self) -> KeyStorage {
        match self.uniform {
            UniformHalf::Expanded(_) => KeyStorage::Expanded,
            UniformHalf::Compact => KeyStorage::Compact,
        }
    }

    /// The same key with its uniform half held as `storage`: dropping the uniform parts
    /// (`Compact`) or expanding them from the seed (`Expanded`, which allocates and costs
    /// the expansion of every part). Switching results do not change.
    ///
    /// # Errors
    /// [`CkksError::UnexpectedBasis`] when the key does not belong to `ctx`'s parameters.
    pub fn with_storage(mut self, ctx: &Context, storage: KeyStorage) -> Result<Self, CkksError> {
        self.check_covers(ctx, self.q_limbs)?;
        if storage != self.storage() {
            self.uniform = match storage {
                KeyStorage::Expanded => UniformHalf::Expanded(
                    (0..self.digit_seeds.len()).map(|j| self.expand_uniform_part(ctx, j)).collect(),
                ),
                KeyStorage::Compact => UniformHalf::Compact,
            };
        }
        Ok(self)
    }

    /// The same key restricted to `level` (a copy of its first digits and limbs): exactly the
    /// key generation would give at `level` with the same seed and errors, with the same
    /// storage.
    ///
    /// # Errors
    /// [`CkksError::LevelOutOfRange`] when `level` is above the key's level.
    pub fn restricted(&self, params: &Parameters, level: usize) -> Result<Self, CkksError> {
        if level > self.level() {
            return Err(CkksError::LevelOutOfRange { level, min: 0, max: self.level() });
        }
        let (q_limbs, p_count) = (level + 1, params.p_primes().len());
        let digits = Self::digit_count(params, q_limbs);
        let restrict = |parts: &[RnsPoly<Ntt>]| -> Vec<RnsPoly<Ntt>> {
            parts[..digits].iter().map(|poly| poly.restricted(q_limbs, p_count)).collect()
        };
        let uniform = match &self.uniform {
            UniformHalf::Expanded(parts) => UniformHalf::Expanded(restrict(parts)),
            UniformHalf::Compact => UniformHalf::Compact,
        };
        Ok(Self {
            q_limbs,
            b_parts: restrict(&self.b_parts),
            uniform,
            seed: self.seed,
            digit_seeds: self.digit_seeds[..digits].to_vec(),
        })
    }

    /// The `b_j` of every digit (NTT form over the key's primes).
    pub fn b_parts(&self) -> &[RnsPoly<Ntt>] {
        &self.b_parts
    }

    /// The `a_j` of every digit when the key is expanded; `None` for a compact key (see
    /// [`SwitchingKey::uniform_part`]).
    pub fn a_parts(&self) -> Option<&[RnsPoly<Ntt>]> {
        match &self.uniform {
            UniformHalf::Expanded(parts) => Some(parts),
            UniformHalf::Compact => None,
        }
    }

    /// `a_j`: borrowed from an expanded key, expanded from the seed for a compact one.
    ///
    /// # Panics
    /// When `digit` is not below the number of digits (`b_parts().len()`).
    pub fn uniform_part(&self, ctx: &Context, digit: usize) -> Cow<'_, RnsPoly<Ntt>> {
        match &self.uniform {
            UniformHalf::Expanded(parts) => Cow::Borrowed(&parts[digit]),
            UniformHalf::Compact => Cow::Owned(self.expand_uniform_part(ctx, digit)),
        }
    }

    fn expand_uniform_part(&self, ctx: &Context, digit: usize) -> RnsPoly<Ntt> {
        sampling::uniform_from_seed(self.digit_seeds[digit], ctx.ring(), self.q_limbs, ctx.ring().p_count())
    }

    /// The seed from which every `a_j` is expanded (for compressed serialization).
    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    /// The seed of `a_j` (for streaming the expansion of the uniform half).
    pub(crate) fn digit_seed(&self, digit: usize) -> &[u8; 32] {
        &self.digit_seeds[digit]
    }

    /// Bytes of polynomial data the key holds (the `b_j`, and the `a_j` when expanded).
    pub fn memory_bytes(&self) -> usize {
        let uniform = self.a_parts().map_or(0, |parts| parts.iter().map(|a| a.data().len() * 8).sum());
        self.b_parts.iter().map(|b| b.data().len() * 8).sum::<usize>() + uniform
    }

    /// The number of Q primes the key covers (its level plus one).
    pub(crate) fn q_limb_count(&self) -> usize {
        self.q_limbs
    }

    /// Checks that the key switches a polynomial with `q_limbs` Q limbs and that its parts
    /// have the shape of the context's keys at its level.
    ///
    /// # Errors
    /// [`CkksError::KeyLevelTooLow`], [`CkksError::UnexpectedBasis`].
    pub(crate) fn check_covers(&self, ctx: &Context, q_limbs: usize) -> Result<(), CkksError> {
        if q_limbs > self.q_limbs {
            return Err(CkksError::KeyLevelTooLow { key_level: self.level(), level: q_limbs - 1 });
        }
        let ring = ctx.ring();
        let expected_digits = Self::digit_count(ctx.params(), self.q_limbs);
        let shaped = |parts: &[RnsPoly<Ntt>]| {
            parts.len() == expected_digits
                && parts.iter().all(|poly| {
                    poly.n() == ring.n() && poly.q_limb_count() == self.q_limbs && poly.p_limb_count() == ring.p_count()
                })
        };
        if self.q_limbs > ring.q_count()
            || self.digit_seeds.len() != expected_digits
            || !shaped(&self.b_parts)
            || !self.a_parts().is_none_or(shaped)
        {
            let (n, p_limbs) = self.b_parts.first().map_or((0, 0), |b| (b.n(), b.p_limb_count()));
            return Err(CkksError::UnexpectedBasis {
                n,
                q_limbs: self.q_limbs,
                p_limbs,
                expected: "a switching key of the context's parameters",
            });
        }
        Ok(())
    }
}
