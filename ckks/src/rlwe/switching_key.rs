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

/// A switching key in NTT form over `Q_ℓ·P` for its level `ℓ` (the `ℓ + 1` primes
/// `q_0, …, q_ℓ`, `0 ≤ ℓ ≤ L − 1`), with the seed of its uniform parts `a_j`.
///
/// A key at level `ℓ` holds the `ceil((ℓ + 1)/α)` digits that a decomposition at level `ℓ` or
/// below produces, each over the `ℓ + 1` first Q primes and all P primes: it switches
/// ciphertexts at any level up to `ℓ`. It is exactly the restriction of the same key at the top
/// level (same seed: the uniform expansion of a limb does not depend on the level), and takes
/// `2·ceil((ℓ + 1)/α)·(ℓ + 1 + k)` limbs instead of `2·dnum·(L + k)`.
#[derive(Debug, Clone)]
pub struct SwitchingKey {
    /// Number of Q primes covered: the level plus one.
    q_limbs: usize,
    digits: Vec<(RnsPoly<Ntt>, RnsPoly<Ntt>)>,
    seed: [u8; 32],
}

impl SwitchingKey {
    /// Generates a key over the first `q_limbs` Q primes (`1..=L`, checked by the caller)
    /// switching `from` (NTT form over `Q·P`) to the secret `to` (NTT form over `Q·P`).
    pub(crate) fn generate<G: RngCore + CryptoRng>(
        params: &Parameters,
        ring: &RingContext,
        q_limbs: usize,
        from: &RnsPoly<Ntt>,
        to: &RnsPoly<Ntt>,
        rng: &mut G,
    ) -> Self {
        debug_assert!((1..=ring.q_count()).contains(&q_limbs));
        let seed = sampling::fresh_seed(rng);
        let p_count = params.p_primes().len();
        let alpha = params.primes_per_digit();
        let mut to = to.restricted(q_limbs, p_count);
        let digits = Self::uniform_parts(params, ring, q_limbs, seed)
            .into_iter()
            .enumerate()
            .map(|(j, a)| {
                let mut errors = sampling::sample_gaussian(rng, ring.n());
                let mut b = RnsPoly::from_small_signed(&errors, ring, q_limbs, p_count).into_ntt(ring);
                errors.zeroize();
                // b = e − a·s + g_j·s'
                let mut a_s = a.clone();
                a_s.mul_assign(&to, ring).expect("same basis");
                b.sub_assign(&a_s, ring).expect("same basis");
                a_s.zeroize();
                for i in j * alpha..((j + 1) * alpha).min(q_limbs) {
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
        Self { q_limbs, digits, seed }
    }

    /// Number of digits of a key over `q_limbs` Q primes: `ceil(q_limbs / α)`.
    pub(crate) fn digit_count(params: &Parameters, q_limbs: usize) -> usize {
        q_limbs.div_ceil(params.primes_per_digit())
    }

    /// The uniform parts `a_0, …, a_{d-1}` (NTT form over the first `q_limbs` Q primes and P,
    /// `d` digits) expanded from a key's seed: digit `j` uses the `j`-th 32-byte seed drawn
    /// from a ChaCha20 stream keyed by `seed`, so the parts at a lower level are restrictions
    /// of these.
    pub(crate) fn uniform_parts(
        params: &Parameters,
        ring: &RingContext,
        q_limbs: usize,
        seed: [u8; 32],
    ) -> Vec<RnsPoly<Ntt>> {
        let p_count = params.p_primes().len();
        let mut digit_seeds = rand_chacha::ChaCha20Rng::from_seed(seed);
        (0..Self::digit_count(params, q_limbs))
            .map(|_| sampling::uniform_from_seed(sampling::fresh_seed(&mut digit_seeds), ring, q_limbs, p_count))
            .collect()
    }

    /// A key over `q_limbs` Q primes from its `(b_j, a_j)` pairs and seed (the loaders check
    /// that they agree).
    pub(crate) fn from_parts(q_limbs: usize, digits: Vec<(RnsPoly<Ntt>, RnsPoly<Ntt>)>, seed: [u8; 32]) -> Self {
        Self { q_limbs, digits, seed }
    }

    /// The key's level: it switches ciphertexts at this level and below.
    pub fn level(&self) -> usize {
        self.q_limbs - 1
    }

    /// The same key restricted to `level` (a copy of its first digits and limbs): exactly the
    /// key generation would give at `level` with the same seed and errors.
    ///
    /// # Errors
    /// [`CkksError::LevelOutOfRange`] when `level` is above the key's level.
    pub fn restricted(&self, params: &Parameters, level: usize) -> Result<Self, CkksError> {
        if level > self.level() {
            return Err(CkksError::LevelOutOfRange { level, min: 0, max: self.level() });
        }
        let (q_limbs, p_count) = (level + 1, params.p_primes().len());
        let digits = self.digits[..Self::digit_count(params, q_limbs)]
            .iter()
            .map(|(b, a)| (b.restricted(q_limbs, p_count), a.restricted(q_limbs, p_count)))
            .collect();
        Ok(Self { q_limbs, digits, seed: self.seed })
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

    /// The number of Q primes the key covers (its level plus one).
    pub(crate) fn q_limb_count(&self) -> usize {
        self.q_limbs
    }

    /// Checks that the key switches a polynomial with `q_limbs` Q limbs and that its digits
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
        let shaped = |poly: &RnsPoly<Ntt>| {
            poly.n() == ring.n() && poly.q_limb_count() == self.q_limbs && poly.p_limb_count() == ring.p_count()
        };
        if self.q_limbs > ring.q_count()
            || self.digits.len() != expected_digits
            || !self.digits.iter().all(|(b, a)| shaped(b) && shaped(a))
        {
            let (n, p_limbs) = self.digits.first().map_or((0, 0), |(b, _)| (b.n(), b.p_limb_count()));
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
