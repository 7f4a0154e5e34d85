//! Sparse-secret encapsulation (Bossuat, Troncoso-Pastoriza, Hubaux, ACNS 2022): ModRaise
//! under an ephemeral sparse secret, everything else under the user's dense secret.
//!
//! ModRaise adds `q_0·I` with `|I| ≤ (h + 1)/2` for a secret of Hamming weight `h`; a dense
//! (uniform ternary) secret needs a long EvalMod (`K = 512` at `N = 2^16`). Here the ciphertext
//! at the lowest level (`q_0` only) is first switched to a secret `s'` of weight `h = 32`, with
//! a key that lives on a separate small chain `q_0 · P'` (one special prime `P'`); it is then
//! raised under `s'` (`|I| ≤ 16`, so `K = 16` can never fail), and switched back to the dense
//! secret `s` at the top level with a key of the main chain before the trace and
//! CoeffsToSlots.
//!
//! **Security.** The sparse secret `s'` is the RLWE secret of one key only: the
//! dense-to-sparse key, modulo `q_0·P'`. The sparse-to-dense key is an RLWE sample under the
//! dense secret at the main chain's modulus (certified by the standard's table), with `s'` as
//! its message. The small chain is built by [`crate::params::ParametersBuilder`] with the
//! sparse secret, so it is certified by [`crate::params::certified_security`]: at `N = 2^16`,
//! `h = 32` and `log2(q_0·P') ≤ 121` (the cited estimate, see `crate::params`); any other
//! weight, degree or a larger `P'` is refused with a typed error unless the main parameters
//! were built with the insecure opt-in.

use std::sync::Arc;

use super::MIN_LEVEL;
use crate::circuits::CircuitError;
use crate::error::CkksError;
use crate::params::{Parameters, SecretDistribution};
use crate::ring::{Coefficient, RnsPoly};
use crate::rlwe::{KeyGenerator, SecretKey, SwitchingKey, key_switch};
use crate::serialization::{SerializedForm, sizes};
use crate::{Ciphertext, Context};

/// The ephemeral sparse secret of a bootstrapping circuit and the special prime of its small
/// chain `q_0·P'`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct SparseEncapsulation {
    /// The Hamming weight `h` of the ephemeral secret (certified: 32 at `N = 2^16`).
    pub hamming_weight: usize,
    /// The bit size of the special prime `P'` of the small chain (`log2(q_0) + this ≤ 121`
    /// for the certified secret).
    pub special_prime_bits: u32,
}

impl SparseEncapsulation {
    /// `h = 32` with a 61-bit `P'`: `log2(q_0·P') = 121` for a 60-bit `q_0`, the cited bound.
    pub const H32: SparseEncapsulation = SparseEncapsulation { hamming_weight: 32, special_prime_bits: 61 };

    /// The small chain of `params`: the same degree and `q_0`, one special prime of
    /// `special_prime_bits` (distinct from `q_0`), the sparse secret. Built with the insecure
    /// opt-in only when `params` have it.
    ///
    /// # Errors
    /// [`CkksError::HammingWeightOutOfRange`], [`CkksError::UncertifiedSecretDistribution`]
    /// (no cited estimate for this weight and degree), [`CkksError::SecurityBoundExceeded`]
    /// (`q_0·P'` above the cited bound), [`CkksError::PrimeBitsOutOfRange`],
    /// [`CkksError::SpecialModulusTooSmall`] (`P'` more than 8 bits below `q_0`).
    pub fn parameters(&self, params: &Parameters) -> Result<Parameters, CkksError> {
        let builder = Parameters::builder()
            .log_n(params.log_n())
            .q_primes(&params.q_primes()[..1])
            .p_bits(&[self.special_prime_bits])
            .log_scale(params.log_scale())
            .secret_distribution(SecretDistribution::FixedHammingWeight { weight: self.hamming_weight });
        if params.is_insecure() { builder.insecure_for_testing_only() } else { builder }.build()
    }
}

/// The two switching keys of a sparse-secret encapsulation.
#[derive(Debug, Clone)]
pub struct EncapsulationKeys {
    /// Dense to sparse, over the small chain `q_0·P'` (one digit).
    to_sparse: SwitchingKey,
    /// Sparse to dense, over the main chain at the top level.
    to_dense: SwitchingKey,
    /// Fingerprint of the small chain's parameters.
    small_fingerprint: u64,
    /// Fingerprint of the main parameters.
    fingerprint: u64,
}

impl EncapsulationKeys {
    /// Bytes of polynomial data held in memory by the two keys.
    pub fn memory_bytes(&self) -> usize {
        self.to_sparse.memory_bytes() + self.to_dense.memory_bytes()
    }

    /// The dense-to-sparse key (over `q_0·P'`).
    pub fn to_sparse(&self) -> &SwitchingKey {
        &self.to_sparse
    }

    /// The sparse-to-dense key (over the main chain at the top level).
    pub fn to_dense(&self) -> &SwitchingKey {
        &self.to_dense
    }
}

/// The encapsulation of a [`super::Bootstrapper`]: the small chain's context.
#[derive(Debug, Clone)]
pub(crate) struct Encapsulation {
    small: Arc<Context>,
}

impl Encapsulation {
    /// The encapsulation `config` of the main parameters `params`.
    ///
    /// # Errors
    /// As [`SparseEncapsulation::parameters`].
    pub(crate) fn new(params: &Parameters, config: &SparseEncapsulation) -> Result<Self, CircuitError> {
        Ok(Self { small: Context::new(config.parameters(params)?)? })
    }

    /// Generates the two keys for the dense secret `sk` of `keygen`'s parameters: a fresh sparse
    /// secret of `config`'s weight, the dense-to-sparse key on the small chain (from a generator
    /// seeded by `keygen`), the sparse-to-dense key at `top_level` of the main chain. Both are
    /// held as `keygen` holds its keys. Returns the sparse secret's coefficients too (tests
    /// decrypt with it).
    pub(crate) fn generate_keys(
        &self,
        keygen: &mut KeyGenerator,
        sk: &SecretKey,
        config: &SparseEncapsulation,
        top_level: usize,
    ) -> Result<(EncapsulationKeys, zeroize::Zeroizing<Vec<i64>>), CircuitError> {
        let main = keygen.context();
        let dense = sk.signed_coefficients(&main)?;
        let sparse = keygen.sparse_secret_coefficients(config.hamming_weight);
        let sparse_main = SecretKey::from_signed_coefficients(&main, &sparse);
        let to_dense = keygen.switching_key_at_level(&sparse_main, sk, top_level)?;
        let mut small_keygen =
            KeyGenerator::from_seed(&self.small, keygen.derived_seed()).with_key_storage(keygen.key_storage());
        let dense_small = SecretKey::from_signed_coefficients(&self.small, &dense);
        let sparse_small = SecretKey::from_signed_coefficients(&self.small, &sparse);
        let to_sparse = small_keygen.switching_key_at_level(&dense_small, &sparse_small, MIN_LEVEL)?;
        let keys = EncapsulationKeys {
            to_sparse,
            to_dense,
            small_fingerprint: self.small.params().fingerprint(),
            fingerprint: sk.fingerprint(),
        };
        Ok((keys, sparse))
    }

    /// Bytes of the two keys serialized in `form`.
    pub(crate) fn serialized_bytes(&self, params: &Parameters, form: SerializedForm) -> usize {
        sizes::relin_key(self.small.params(), MIN_LEVEL, form) + sizes::relin_key(params, params.max_level(), form)
    }

    /// The ciphertext `ct` of the main chain at the lowest level switched to the sparse secret:
    /// its two polynomials modulo `q_0`, as centred coefficients (what ModRaise reads).
    pub(crate) fn switch_to_sparse(
        &self,
        main: &Context,
        ct: &Ciphertext,
        keys: &EncapsulationKeys,
    ) -> Result<[Vec<i64>; 2], CircuitError> {
        self.small.check_fingerprint(keys.small_fingerprint)?;
        main.check_fingerprint(keys.fingerprint)?;
        let (ring, small) = (main.ring(), self.small.ring());
        // The same prime q_0 on both chains: carry the coefficients over.
        let moved: Vec<_> = ct
            .polys()
            .iter()
            .map(|poly| {
                let coefficients = poly.clone().into_coefficient(ring);
                let mut carried = RnsPoly::<Coefficient>::zero(small, 1, 0);
                carried.limb_mut(0).copy_from_slice(coefficients.limb(0));
                carried.into_ntt(small)
            })
            .collect();
        let [mut c0, c1] = key_switch(&self.small, &moved[1], &keys.to_sparse)?;
        c0.add_assign(&moved[0], small)?;
        let q0 = small.modulus(0);
        Ok([c0, c1].map(|poly| poly.into_coefficient(small).limb(0).iter().map(|&x| q0.center(x)).collect()))
    }

    /// The raised ciphertext `raised` (under the sparse secret, at the top level of `main`)
    /// switched back to the dense secret.
    pub(crate) fn switch_to_dense(
        main: &Context,
        raised: &Ciphertext,
        keys: &EncapsulationKeys,
    ) -> Result<Ciphertext, CircuitError> {
        main.check_fingerprint(keys.fingerprint)?;
        let [mut c0, c1] = key_switch(main, &raised.polys()[1], &keys.to_dense)?;
        c0.add_assign(&raised.polys()[0], main.ring())?;
        Ok(raised.derived(vec![c0, c1], raised.scale()))
    }
}

#[cfg(test)]
mod tests {
    use num_bigint::BigInt;
    use num_traits::{Signed, ToPrimitive, Zero};

    use super::*;
    use crate::circuits::bootstrapping::mod_raise::raise_centred;
    use crate::ring::crt::reconstruct_centred;
    use crate::{Decryptor, Encoder, Encryptor, Evaluator};

    /// `a·s mod (X^N + 1)` over the integers for a sparse `s`.
    fn negacyclic_product(a: &[i64], s: &[i64]) -> Vec<i128> {
        let n = a.len();
        let mut out = vec![0i128; n];
        for (j, &sj) in s.iter().enumerate().filter(|(_, s)| **s != 0) {
            for (i, &ai) in a.iter().enumerate() {
                let term = i128::from(ai) * i128::from(sj);
                if i + j < n { out[i + j] += term } else { out[i + j - n] -= term }
            }
        }
        out
    }

    /// Both switching keys checked against decryption: the ciphertext switched to the sparse
    /// secret decrypts (by schoolbook arithmetic modulo `q_0`) to the dense decryption, the one
    /// raised under it to that plus `q_0·I` with `|I| ≤ (h + 1)/2`, and the one switched back
    /// decrypts under the dense secret to the sparse decryption, each within a small noise.
    #[test]
    fn switching_keys_match_decryption() {
        let params = Parameters::builder()
            .log_n(10)
            .q_bits(&[50, 40, 40])
            .p_bits(&[55])
            .log_scale(30.0)
            .insecure_for_testing_only()
            .build()
            .unwrap();
        let ctx = Context::new(params.clone()).unwrap();
        let config = SparseEncapsulation { hamming_weight: 32, special_prime_bits: 55 };
        let encapsulation = Encapsulation::new(&params, &config).unwrap();
        let mut keygen = KeyGenerator::from_seed(&ctx, [3; 32]);
        let sk = keygen.secret_key();
        let pk = keygen.public_key(&sk).unwrap();
        let top = params.max_level();
        let (keys, sparse) = encapsulation.generate_keys(&mut keygen, &sk, &config, top).unwrap();
        assert_eq!(sparse.iter().filter(|&&x| x != 0).count(), 32);
        assert!(sparse.iter().all(|x| x.abs() <= 1));

        let encoder = Encoder::new(&ctx);
        let values: Vec<f64> = (0..512).map(|i| (i as f64 * 0.61).cos()).collect();
        let pt = encoder.encode_real(&values, 512, top, 2f64.powi(30)).unwrap();
        let ct = Encryptor::from_seed(&ctx, [4; 32]).encrypt(&pt, &pk).unwrap();
        let low = Evaluator::new(&ctx).drop_to_level(&ct, MIN_LEVEL).unwrap();
        let ring = ctx.ring();
        let decryptor = Decryptor::new(&ctx);
        let decrypt = |ct: &Ciphertext, sk: &SecretKey| {
            reconstruct_centred(ring, &decryptor.decrypt(ct, sk).unwrap().poly().clone().into_coefficient(ring))
        };
        let reference = decrypt(&low, &sk);

        let [c0, c1] = encapsulation.switch_to_sparse(&ctx, &low, &keys).unwrap();
        let q0 = params.q_primes()[0] as i128;
        let centre = |x: i128| {
            let r = x.rem_euclid(q0);
            if r > q0 / 2 { r - q0 } else { r }
        };
        let product = negacyclic_product(&c1, &sparse);
        let mut worst = 0i128;
        for ((&a, b), r) in c0.iter().zip(&product).zip(&reference) {
            let difference = centre(i128::from(a) + b) - r.to_i128().unwrap();
            worst = worst.max(difference.abs());
        }
        assert!(worst < 1 << 12, "dense-to-sparse noise {worst}");
        // The dense secret no longer decrypts it.
        let dense = sk.signed_coefficients(&ctx).unwrap();
        let wrong = negacyclic_product(&c1, &dense);
        let off = c0
            .iter()
            .zip(&wrong)
            .zip(&reference)
            .filter(|((a, b), r)| (centre(i128::from(**a) + **b) - r.to_i128().unwrap()).abs() > 1 << 20);
        assert!(off.count() > 900);

        let raised = raise_centred(&ctx, &low, [&c0, &c1], top).unwrap();
        let sparse_main = SecretKey::from_signed_coefficients(&ctx, &sparse);
        let under_sparse = decrypt(&raised, &sparse_main);
        for (s, r) in under_sparse.iter().zip(&reference) {
            let difference = (s - r).to_i128().unwrap();
            let multiple = (difference + q0 / 2).div_euclid(q0);
            assert!(multiple.abs() <= 16, "I = {multiple}");
            let noise = difference - multiple * q0;
            assert!(noise.abs() < 1 << 12, "noise {noise}");
        }

        let back = Encapsulation::switch_to_dense(&ctx, &raised, &keys).unwrap();
        assert_eq!(back.level(), top);
        let under_dense = decrypt(&back, &sk);
        let mut worst = BigInt::zero();
        for (d, s) in under_dense.iter().zip(&under_sparse) {
            worst = worst.max((d - s).abs());
        }
        assert!(worst < BigInt::from(1 << 12), "sparse-to-dense noise {worst}");
        // Under the sparse secret it is no longer the message.
        let stale = decrypt(&back, &sparse_main);
        assert!(stale.iter().zip(&under_sparse).filter(|(a, b)| (*a - *b).abs() > BigInt::from(1 << 20)).count() > 900);

        // Keys of other parameters are refused.
        let other = Parameters::builder()
            .log_n(10)
            .q_bits(&[50, 40, 40])
            .p_bits(&[56])
            .log_scale(30.0)
            .insecure_for_testing_only()
            .build()
            .unwrap();
        let other_ctx = Context::new(other.clone()).unwrap();
        let mut other_keygen = KeyGenerator::from_seed(&other_ctx, [5; 32]);
        let other_sk = other_keygen.secret_key();
        let other_encapsulation = Encapsulation::new(&other, &config).unwrap();
        let (other_keys, _) =
            other_encapsulation.generate_keys(&mut other_keygen, &other_sk, &config, other.max_level()).unwrap();
        assert!(matches!(
            encapsulation.switch_to_sparse(&ctx, &low, &other_keys),
            Err(CircuitError::Ckks(CkksError::ParameterMismatch { .. }))
        ));
    }
}
