//! Switching keys: the gadget encryptions that key switching (see [`super::key_switch`])
//! multiplies the digits of a decomposition with.
//!
//! A switching key from `s'` to `s` holds, for every digit `j`, an RLWE sample over `Q·P`:
//! `(b_j, a_j)` with `b_j = -a_j·s + e_j + g_j·s'`, where the gadget factor `g_j` is `P` modulo
//! the primes of digit `j` and `0` modulo every other prime. Then for a decomposition `d_j` of
//! `c`, `Σ d_j·b_j + (Σ d_j·a_j)·s ≈ P·c·s'`, and dividing by `P` gives a ciphertext of `c·s'`
//! under `s` with noise `≈ Σ d_j·e_j / P`.

use rand_core::{CryptoRng, RngCore, SeedableRng};
use zeroize::Zeroize;

use super::context::Context;
use crate::error::CkksError;
use crate::params::Parameters;
use crate::ring::{Ntt, RingContext, RnsPoly, sampling};

/// A switching key in NTT form over `Q_ℓ·P` for its *level* `ℓ` (number of Q primes,
/// `1..=L`), with the seed of its uniform parts `a_j`.
///
/// A key at level `ℓ` holds the `ceil(ℓ/α)` digits that a decomposition at level `ℓ` or below
/// produces, each over the `ℓ` first Q primes and all P primes: it switches ciphertexts at any
/// level up to `ℓ`. It is exactly the restriction of the same key at level `L` (same seed: the
/// uniform expansion of a limb does not depend on the level), and takes
/// `2·ceil(ℓ/α)·(ℓ + k)` limbs instead of `2·dnum·(L + k)`.
#[derive(Debug, Clone)]
pub struct SwitchingKey {
    level: usize,
    digits: Vec<(RnsPoly<Ntt>, RnsPoly<Ntt>)>,
    seed: [u8; 32],
}

impl SwitchingKey {
    /// Generates a key at `level` (`1..=L`, checked by the caller) switching `from` (NTT form
    /// over `Q·P`) to the secret `to` (NTT form over `Q·P`).
    pub(crate) fn generate<G: RngCore + CryptoRng>(
        params: &Parameters,
        ring: &RingContext,
        level: usize,
        from: &RnsPoly<Ntt>,
        to: &RnsPoly<Ntt>,
        rng: &mut G,
    ) -> Self {
        debug_assert!((1..=params.max_level()).contains(&level));
        let seed = sampling::fresh_seed(rng);
        let p_count = params.p_primes().len();
        let alpha = params.primes_per_digit();
        let mut to = to.restricted(level, p_count);
        let digits = Self::uniform_parts(params, ring, level, seed)
            .into_iter()
            .enumerate()
            .map(|(j, a)| {
                let mut errors = sampling::sample_gaussian(rng, ring.n());
                let mut b = RnsPoly::from_small_signed(&errors, ring, level, p_count).into_ntt(ring);
                errors.zeroize();
                // b = e − a·s + g_j·s'
                let mut a_s = a.clone();
                a_s.mul_assign(&to, ring).expect("same basis");
                b.sub_assign(&a_s, ring).expect("same basis");
                a_s.zeroize();
                for i in j * alpha..((j + 1) * alpha).min(level) {
                    let m = ring.modulus(i);
                    // g_j mod q_i = P mod q_i.
                    let p_mod = ring
                        .prime_indices(0, p_count)
                        .fold(1u64, |acc, t| m.mul(acc, m.reduce(ring.modulus(t).value())));
                    let p_shoup = m.shoup(p_mod);
                    for (x, &s) in b.limb_mut(i).iter_mut().zip(from.limb(i)) {
                        *x = m.add(*x, m.mul_shoup(s, p_mod, p_shoup));
                    }
                }
                (b, a)
            })
            .collect();
        to.zeroize();
        Self { level, digits, seed }
    }

    /// Number of digits of a key at `level`: `ceil(level / α)`.
    pub(crate) fn digit_count(params: &Parameters, level: usize) -> usize {
        level.div_ceil(params.primes_per_digit())
    }

    /// The uniform parts `a_0, …, a_{d-1}` (NTT form over `Q_ℓ·P`, `d` digits at `level`)
    /// expanded from a key's seed: digit `j` uses the `j`-th 32-byte seed drawn from a ChaCha20
    /// stream keyed by `seed`, so the parts at a lower level are restrictions of these.
    pub(crate) fn uniform_parts(
        params: &Parameters,
        ring: &RingContext,
        level: usize,
        seed: [u8; 32],
    ) -> Vec<RnsPoly<Ntt>> {
        let p_count = params.p_primes().len();
        let mut digit_seeds = rand_chacha::ChaCha20Rng::from_seed(seed);
        (0..Self::digit_count(params, level))
            .map(|_| sampling::uniform_from_seed(sampling::fresh_seed(&mut digit_seeds), ring, level, p_count))
            .collect()
    }

    /// A key from its level, `(b_j, a_j)` pairs and seed (the loaders check that they agree).
    pub(crate) fn from_parts(level: usize, digits: Vec<(RnsPoly<Ntt>, RnsPoly<Ntt>)>, seed: [u8; 32]) -> Self {
        Self { level, digits, seed }
    }

    /// The number of Q primes the key covers: it switches ciphertexts up to this level.
    pub fn level(&self) -> usize {
        self.level
    }

    /// The same key restricted to `level` (a copy of its first digits and limbs): exactly the
    /// key generation would give at `level` with the same seed and errors.
    ///
    /// # Errors
    /// [`CkksError::LevelOutOfRange`] unless `1 ≤ level ≤` the key's level.
    pub fn restricted(&self, params: &Parameters, level: usize) -> Result<Self, CkksError> {
        if !(1..=self.level).contains(&level) {
            return Err(CkksError::LevelOutOfRange { level, min: 1, max: self.level });
        }
        let p_count = params.p_primes().len();
        let digits = self.digits[..Self::digit_count(params, level)]
            .iter()
            .map(|(b, a)| (b.restricted(level, p_count), a.restricted(level, p_count)))
            .collect();
        Ok(Self { level, digits, seed: self.seed })
    }

    /// The `(b_j, a_j)` pairs.
    pub fn digits(&self) -> &[(RnsPoly<Ntt>, RnsPoly<Ntt>)] {
        &self.digits
    }

    /// The seed from which every `a_j` is expanded (for compressed serialization).
    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    /// Bytes of polynomial data the key holds.
    pub fn memory_bytes(&self) -> usize {
        self.digits.iter().map(|(b, a)| (b.data().len() + a.data().len()) * 8).sum()
    }

    /// The number of Q primes the key covers (its level plus one; see [`SwitchingKey::level`]).
    pub(crate) fn q_limb_count(&self) -> usize {
        self.level
    }

    /// Checks that the key switches a polynomial with `q_limbs` Q limbs and that its digits
    /// have the shape of the context's keys at its level.
    ///
    /// # Errors
    /// [`CkksError::KeyLevelTooLow`], [`CkksError::UnexpectedBasis`].
    pub(crate) fn check_covers(&self, ctx: &Context, q_limbs: usize) -> Result<(), CkksError> {
        if q_limbs > self.level {
            return Err(CkksError::KeyLevelTooLow { key_level: self.level, level: q_limbs });
        }
        let ring = ctx.ring();
        let expected_digits = Self::digit_count(ctx.params(), self.level);
        let shaped = |poly: &RnsPoly<Ntt>| {
            poly.n() == ring.n() && poly.q_limb_count() == self.level && poly.p_limb_count() == ring.p_count()
        };
        if self.level > ring.q_count()
            || self.digits.len() != expected_digits
            || !self.digits.iter().all(|(b, a)| shaped(b) && shaped(a))
        {
            let (n, p_limbs) = self.digits.first().map_or((0, 0), |(b, _)| (b.n(), b.p_limb_count()));
            return Err(CkksError::UnexpectedBasis {
                n,
                q_limbs: self.level,
                p_limbs,
                expected: "a switching key of the context's parameters",
            });
        }
        Ok(())
    }
}
