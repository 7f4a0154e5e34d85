//! The per-parameter-set precomputation shared by every object: NTT plans, rescale and
//! mod-down constants, and the key-switching digit converters.

use std::sync::Arc;

use super::decomposition::DecompositionTables;
use crate::error::CkksError;
use crate::params::Parameters;
use crate::ring::{DivideRound, RingContext};

/// Everything computed once per parameter set. Shared through an `Arc`; immutable, so it is
/// `Send + Sync` and every evaluator, encoder and key generator can hold a clone.
#[derive(Debug)]
pub struct Context {
    params: Parameters,
    ring: RingContext,
    /// `rescalers[m - 2]` divides a polynomial with `m ≥ 2` Q limbs by its last prime `q_{m-1}`.
    rescalers: Vec<DivideRound>,
    /// Divides a polynomial with P limbs by `P`.
    mod_down: DivideRound,
    decomposition: DecompositionTables,
    /// `[P]_{q_i}` per Q prime.
    special_modulus_mod_q: Vec<u64>,
}

impl Context {
    /// Precomputes everything for `params` (NTT tables for every prime, conversion constants).
    /// Takes milliseconds to a few hundred milliseconds for large rings.
    ///
    /// # Errors
    /// An NTT error if the arithmetic layer refuses a prime (not expected for validated
    /// parameters).
    pub fn new(params: Parameters) -> Result<Arc<Self>, CkksError> {
        let ring = RingContext::new(&params)?;
        let rescalers = (2..=ring.q_count()).map(|q_limbs| DivideRound::new(&ring, &[q_limbs - 1])).collect();
        let p_indices: Vec<usize> = ring.prime_indices(0, ring.p_count()).collect();
        let mod_down = DivideRound::new(&ring, &p_indices);
        let decomposition = DecompositionTables::new(&params, &ring);
        let special_modulus_mod_q = (0..ring.q_count())
            .map(|i| {
                let m = ring.modulus(i);
                p_indices.iter().fold(1u64, |acc, &t| m.mul(acc, m.reduce(ring.modulus(t).value())))
            })
            .collect();
        Ok(Arc::new(Self { params, ring, rescalers, mod_down, decomposition, special_modulus_mod_q }))
    }

    /// The parameters.
    pub fn params(&self) -> &Parameters {
        &self.params
    }
    /// The RNS ring (moduli and NTT plans).
    pub fn ring(&self) -> &RingContext {
        &self.ring
    }
    /// The division by the last prime of a polynomial with `q_limbs ≥ 2` Q limbs.
    pub(crate) fn rescaler(&self, q_limbs: usize) -> &DivideRound {
        &self.rescalers[q_limbs - 2]
    }
    /// `[P]_{q_i}` for Q prime `i`.
    pub(crate) fn special_modulus_mod_q(&self, i: usize) -> u64 {
        self.special_modulus_mod_q[i]
    }
    /// The mod-down by `P`.
    pub(crate) fn mod_down(&self) -> &DivideRound {
        &self.mod_down
    }
    /// The key-switching digit converters.
    pub(crate) fn decomposition(&self) -> &DecompositionTables {
        &self.decomposition
    }

    /// Checks an object's parameter fingerprint.
    pub(crate) fn check_fingerprint(&self, found: u64) -> Result<(), CkksError> {
        let expected = self.params.fingerprint();
        if found == expected { Ok(()) } else { Err(CkksError::ParameterMismatch { expected, found }) }
    }

    /// The number of Q primes at `level` (`level + 1`), checking `level ≤` the top level.
    ///
    /// # Errors
    /// [`CkksError::LevelOutOfRange`].
    pub(crate) fn q_limbs_at(&self, level: usize) -> Result<usize, CkksError> {
        let max = self.params.max_level();
        if level <= max { Ok(level + 1) } else { Err(CkksError::LevelOutOfRange { level, min: 0, max }) }
    }
}
