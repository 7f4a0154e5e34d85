//! Steps 2 and 3 of hybrid key switching: the inner product of a [`Decomposition`] with a
//! switching key over `Q_ℓ·P`, and the mod-down by `P` (in [`crate::ring::DivideRound`]).
//!
//! A switching key from `s'` to `s` holds, for every digit `j`, an RLWE sample over `Q·P`:
//! `(b_j, a_j)` with `b_j = -a_j·s + e_j + g_j·s'`, where the gadget factor `g_j` is `P` modulo
//! the primes of digit `j` and `0` modulo every other prime. Then for a decomposition `d_j` of
//! `c`, `Σ d_j·b_j + (Σ d_j·a_j)·s ≈ P·c·s'`, and dividing by `P` gives a ciphertext of `c·s'`
//! under `s` with noise `≈ Σ d_j·e_j / P`.

use rand_core::{CryptoRng, RngCore, SeedableRng};
use zeroize::Zeroize;

use super::decomposition::Decomposition;
use crate::params::Parameters;
use crate::ring::{Ntt, RingContext, RnsPoly, sampling};

/// A switching key in NTT form over all of `Q·P` (`dnum` digits), with the seed of its
/// uniform parts `a_j`.
#[derive(Debug, Clone)]
pub struct SwitchingKey {
    digits: Vec<(RnsPoly<Ntt>, RnsPoly<Ntt>)>,
    seed: [u8; 32],
}

impl SwitchingKey {
    /// Generates a key switching `from` (NTT form over `Q·P`) to the secret `to` (NTT form over
    /// `Q·P`).
    pub fn generate<G: RngCore + CryptoRng>(
        params: &Parameters,
        ring: &RingContext,
        from: &RnsPoly<Ntt>,
        to: &RnsPoly<Ntt>,
        rng: &mut G,
    ) -> Self {
        let seed = sampling::fresh_seed(rng);
        let (q_count, p_count) = (params.max_level(), params.p_primes().len());
        let alpha = params.primes_per_digit();
        let digits = Self::uniform_parts(params, ring, seed)
            .into_iter()
            .enumerate()
            .map(|(j, a)| {
                let mut errors = sampling::sample_gaussian(rng, ring.n());
                let mut b = RnsPoly::from_small_signed(&errors, ring, q_count, p_count).into_ntt(ring);
                errors.zeroize();
                // b = e − a·s + g_j·s'
                let mut a_s = a.clone();
                a_s.mul_assign(to, ring).expect("same basis");
                b.sub_assign(&a_s, ring).expect("same basis");
                a_s.zeroize();
                for i in j * alpha..((j + 1) * alpha).min(q_count) {
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
        Self { digits, seed }
    }

    /// The uniform parts `a_0, …, a_{dnum-1}` (NTT form over `Q·P`) expanded from a key's seed:
    /// digit `j` uses the `j`-th 32-byte seed drawn from a ChaCha20 stream keyed by `seed`.
    pub(crate) fn uniform_parts(params: &Parameters, ring: &RingContext, seed: [u8; 32]) -> Vec<RnsPoly<Ntt>> {
        let (q_count, p_count) = (params.max_level(), params.p_primes().len());
        let mut digit_seeds = rand_chacha::ChaCha20Rng::from_seed(seed);
        (0..params.dnum())
            .map(|_| sampling::uniform_from_seed(sampling::fresh_seed(&mut digit_seeds), ring, q_count, p_count))
            .collect()
    }

    /// A key from its `(b_j, a_j)` pairs and seed (the loaders check that they agree).
    pub(crate) fn from_parts(digits: Vec<(RnsPoly<Ntt>, RnsPoly<Ntt>)>, seed: [u8; 32]) -> Self {
        Self { digits, seed }
    }

    /// The `(b_j, a_j)` pairs.
    pub fn digits(&self) -> &[(RnsPoly<Ntt>, RnsPoly<Ntt>)] {
        &self.digits
    }

    /// The seed from which every `a_j` is expanded (for compressed serialization).
    pub fn seed(&self) -> [u8; 32] {
        self.seed
    }

    /// `(Σ_j d_j ⊙ b_j, Σ_j d_j ⊙ a_j)` over `Q_ℓ·P`, with one delayed reduction per limb.
    pub fn inner_product(&self, ring: &RingContext, decomposition: &Decomposition) -> [RnsPoly<Ntt>; 2] {
        let level = decomposition.level();
        let digits = decomposition.digits();
        let mut out =
            [RnsPoly::<Ntt>::zero(ring, level, ring.p_count()), RnsPoly::<Ntt>::zero(ring, level, ring.p_count())];
        for (component, acc) in out.iter_mut().enumerate() {
            for i in 0..acc.limb_count() {
                // The key has all Q limbs, so its local limb index equals the global prime index.
                let global = ring.prime_index(level, i);
                let pairs: Vec<(&[u64], &[u64])> = digits
                    .iter()
                    .zip(&self.digits)
                    .map(|(d, (b, a))| (d.limb(i), if component == 0 { b.limb(global) } else { a.limb(global) }))
                    .collect();
                spencnn_ntt::vector::multiply_accumulate(acc.limb_mut(i), &pairs, ring.modulus(global))
                    .expect("limb length is the ring degree");
            }
        }
        out
    }
}
