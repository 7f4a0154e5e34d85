//! The evaluation keys of bootstrapping, each generated for the highest level it is used at.

use super::encapsulation::{Encapsulation, EncapsulationKeys, SparseEncapsulation};
use crate::circuits::CircuitError;
use crate::params::Parameters;
use crate::rlwe::{GaloisKeys, KeyGenerator, RelinKey, SecretKey, galois_element_for_conjugation};
use crate::serialization::{SerializedForm, sizes};

/// The keys a [`super::Bootstrapper`] needs and the level of each: the CoeffsToSlots
/// rotations at the top levels, the conjugation and relinearization keys at the level where
/// EvalMod starts, the SlotsToCoeffs rotations at the low levels (a rotation used at several
/// levels gets one key, at the highest). A key at level `ℓ` holds `ceil((ℓ + 1)/α)` digits
/// over the `ℓ + 1` Q primes of the level and `P`, so keys used low are much smaller than keys
/// at the top.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyRequirements {
    /// `(rotation step, level)`, ascending by step, one entry per step (its highest level).
    pub rotations: Vec<(i64, usize)>,
    /// The level of the conjugation key.
    pub conjugation_level: usize,
    /// The level of the relinearization key.
    pub relinearization_level: usize,
    /// The sparse-secret encapsulation, whose two keys are generated too: dense to sparse on
    /// its small chain, sparse to dense at the top level.
    pub encapsulation: Option<SparseEncapsulation>,
}

impl KeyRequirements {
    /// Collects the rotations, keeping for each step its highest level.
    pub(crate) fn new(
        rotations: impl IntoIterator<Item = (i64, usize)>,
        conjugation_level: usize,
        relinearization_level: usize,
    ) -> Self {
        let mut rotations: Vec<(i64, usize)> = rotations.into_iter().filter(|&(step, _)| step != 0).collect();
        rotations.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        rotations.dedup_by_key(|r| r.0);
        Self { rotations, conjugation_level, relinearization_level, encapsulation: None }
    }

    /// Generates the keys, held as `keygen` holds its keys: a generator made
    /// [`with_key_storage`](KeyGenerator::with_key_storage)`(`[`KeyStorage::Compact`](crate::rlwe::KeyStorage::Compact)`)` keeps
    /// only the seeds of the uniform halves (half the memory, the same results, each key switch
    /// expanding its half again).
    ///
    /// # Errors
    /// [`CircuitError::Ckks`] when `sk` belongs to other parameters, or the encapsulation's
    /// small chain is refused (see [`SparseEncapsulation::parameters`]).
    pub fn generate(&self, keygen: &mut KeyGenerator, sk: &SecretKey) -> Result<BootstrappingKeys, CircuitError> {
        let mut galois = keygen.galois_keys_at_levels(sk, &self.rotations)?;
        let n = sk.poly().n();
        let conjugation = keygen.galois_key_at_level(sk, galois_element_for_conjugation(n), self.conjugation_level)?;
        let mut single = GaloisKeys { keys: Default::default(), fingerprint: sk.fingerprint() };
        single.keys.insert(conjugation.galois_element(), conjugation);
        galois.merge(single)?;
        let relin = keygen.relin_key_at_level(sk, self.relinearization_level)?;
        let encapsulation = match &self.encapsulation {
            Some(config) => {
                let params = keygen.context().params().clone();
                let encapsulation = Encapsulation::new(&params, config)?;
                Some(encapsulation.generate_keys(keygen, sk, config, params.max_level())?.0)
            }
            None => None,
        };
        Ok(BootstrappingKeys { galois, relin, encapsulation })
    }

    /// Bytes of the keys serialized in `form` (in full, or with the uniform halves as seeds).
    pub fn serialized_bytes(&self, params: &Parameters, form: SerializedForm) -> usize {
        let galois_levels = self.rotations.iter().map(|&(_, level)| level).chain([self.conjugation_level]);
        let encapsulation = self
            .encapsulation
            .and_then(|config| Encapsulation::new(params, &config).ok())
            .map_or(0, |encapsulation| encapsulation.serialized_bytes(params, form));
        sizes::galois_keys(params, galois_levels, form)
            + sizes::relin_key(params, self.relinearization_level, form)
            + encapsulation
    }
}

/// The Galois and relinearization keys of bootstrapping.
#[derive(Debug, Clone)]
pub struct BootstrappingKeys {
    galois: GaloisKeys,
    relin: RelinKey,
    encapsulation: Option<EncapsulationKeys>,
}

impl BootstrappingKeys {
    /// Keys obtained otherwise (e.g. loaded from bytes); [`super::Bootstrapper::bootstrap`]
    /// reports a missing or too low key when it needs it.
    pub fn from_parts(galois: GaloisKeys, relin: RelinKey) -> Self {
        Self { galois, relin, encapsulation: None }
    }
    /// The Galois keys (rotations and conjugation).
    pub fn galois_keys(&self) -> &GaloisKeys {
        &self.galois
    }
    /// The relinearization key.
    pub fn relin_key(&self) -> &RelinKey {
        &self.relin
    }
    /// The keys of the sparse-secret encapsulation, when generated.
    pub fn encapsulation_keys(&self) -> Option<&EncapsulationKeys> {
        self.encapsulation.as_ref()
    }
    /// The keys without their encapsulation keys (to check that a circuit needing them says
    /// so).
    pub fn without_encapsulation(mut self) -> Self {
        self.encapsulation = None;
        self
    }
    /// Bytes of polynomial data held in memory by all keys.
    pub fn memory_bytes(&self) -> usize {
        self.galois.memory_bytes()
            + self.relin.switching_key().memory_bytes()
            + self.encapsulation.as_ref().map_or(0, EncapsulationKeys::memory_bytes)
    }
}
