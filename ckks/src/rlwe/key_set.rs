//! Key sets known before they are generated: which Galois keys at which levels
//! ([`GaloisKeySet`]), what they will take in memory and on the wire and how long they will
//! take to make ([`KeySetEstimate`] from a calibrated [`KeyGenCost`]), and the progress of
//! their generation ([`KeyGenProgress`]).

use std::sync::Arc;
use std::time::{Duration, Instant};

use spencnn_ntt::NttError;

use super::context::Context;
use super::evaluation_keys::{galois_element_for_conjugation, galois_element_for_step};
use super::keygen::{Conjugation, KeyGenerator};
use super::switching_key::SwitchingKey;
use crate::error::CkksError;
use crate::params::Parameters;

/// The Galois keys of a computation: every Galois element with the highest level at which it
/// is applied, one key per element, in ascending element order (the order in which they are
/// generated, streamed and serialized). The identity (step 0) needs no key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaloisKeySet {
    /// `(Galois element, level)`, ascending by element.
    keys: Vec<(u64, usize)>,
}

impl GaloisKeySet {
    /// Keys for the rotation `steps` (and, with [`Conjugation::Include`], conjugation), all at
    /// the top level.
    pub fn for_steps(params: &Parameters, steps: &[i64], conjugation: Conjugation) -> Self {
        let (n, top) = (params.n(), params.max_level());
        let mut keys: Vec<(u64, usize)> = steps.iter().map(|&step| (galois_element_for_step(step, n), top)).collect();
        if conjugation == Conjugation::Include {
            keys.push((galois_element_for_conjugation(n), top));
        }
        Self::deduplicated(keys)
    }

    /// Keys for `(step, level)` pairs: steps that map to the same Galois element share one
    /// key at the highest of their levels.
    ///
    /// # Errors
    /// [`CkksError::LevelOutOfRange`] when a level is above the top level.
    pub fn for_steps_at_levels(params: &Parameters, steps: &[(i64, usize)]) -> Result<Self, CkksError> {
        let n = params.n();
        Self::for_elements(
            params,
            &steps.iter().map(|&(step, level)| (galois_element_for_step(step, n), level)).collect::<Vec<_>>(),
        )
    }

    /// Keys for `(Galois element, level)` pairs (elements odd and below `2N`; the identity is
    /// dropped; an element listed twice keeps its highest level).
    ///
    /// # Errors
    /// [`CkksError::LevelOutOfRange`]; [`NttError::InvalidGaloisElement`] (as
    /// [`CkksError::Ntt`]) for an even element or one not below `2N`.
    pub fn for_elements(params: &Parameters, elements: &[(u64, usize)]) -> Result<Self, CkksError> {
        let (two_n, max) = (2 * params.n() as u64, params.max_level());
        for &(k, level) in elements {
            if k % 2 == 0 || k >= two_n {
                return Err(CkksError::Ntt(NttError::InvalidGaloisElement { k, two_n }));
            }
            if level > max {
                return Err(CkksError::LevelOutOfRange { level, min: 0, max });
            }
        }
        Ok(Self::deduplicated(elements.to_vec()))
    }

    fn deduplicated(mut keys: Vec<(u64, usize)>) -> Self {
        keys.retain(|&(g, _)| g != 1);
        // Highest level first within an element, then keep the first of each element.
        keys.sort_unstable_by(|a, b| a.0.cmp(&b.0).then(b.1.cmp(&a.1)));
        keys.dedup_by_key(|key| key.0);
        Self { keys }
    }

    /// `(Galois element, level)` of every key, ascending by element.
    pub fn keys(&self) -> &[(u64, usize)] {
        &self.keys
    }

    /// The level of every key, in key order (e.g. for
    /// [`serialization::sizes::galois_keys`](crate::serialization::sizes::galois_keys), the
    /// bytes of the set on the wire).
    pub fn levels(&self) -> impl Iterator<Item = usize> + '_ {
        self.keys.iter().map(|&(_, level)| level)
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether the set needs no key.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }

    /// Memory, work and (with a calibrated `cost`) time of generating the set on `threads`
    /// threads, before anything is generated.
    pub fn estimate(&self, params: &Parameters, cost: Option<&KeyGenCost>, threads: usize) -> KeySetEstimate {
        let limb_bytes = params.n() * 8;
        let work_limbs: usize = self.levels().map(|level| key_limbs(params, level)).sum();
        let seconds_one_thread =
            cost.map(|cost| cost.seconds_per_key * self.keys.len() as f64 + cost.seconds_per_limb * work_limbs as f64);
        // Keys are generated in parallel, one per thread: the time divides by the threads
        // that have a key to work on.
        let parallel = threads.clamp(1, self.keys.len().max(1)) as f64;
        KeySetEstimate {
            keys: self.keys.len(),
            work_limbs,
            expanded_bytes: 2 * work_limbs * limb_bytes,
            compact_bytes: work_limbs * limb_bytes,
            seconds: seconds_one_thread.map(|s| s / parallel),
        }
    }
}

/// What a key set will take, known before it is generated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeySetEstimate {
    /// Number of keys.
    pub keys: usize,
    /// Generation work in limbs (`Σ digits × (level + 1 + k)` over the keys): each is one
    /// error NTT, one uniform expansion and a few products of `N` coefficients.
    pub work_limbs: usize,
    /// Polynomial bytes of the keys held expanded ([`super::KeyStorage::Expanded`]).
    pub expanded_bytes: usize,
    /// Polynomial bytes of the keys held compact ([`super::KeyStorage::Compact`]).
    pub compact_bytes: usize,
    /// Expected wall time in seconds on the given threads (with a calibrated cost).
    pub seconds: Option<f64>,
}

/// The measured cost of key generation on this machine: a fixed cost per key (the permuted
/// secret and the Galois tables, over all primes) and a cost per limb of key (see
/// [`KeySetEstimate::work_limbs`]), from which the time of any key set is estimated.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyGenCost {
    /// Single-thread seconds per key, whatever its level.
    pub seconds_per_key: f64,
    /// Single-thread seconds per limb of generated key.
    pub seconds_per_limb: f64,
}

impl KeyGenCost {
    /// Measures the cost by generating throwaway keys with a throwaway secret: one of a
    /// single digit (`α` Q primes, or all of them when fewer) and one at the top level, each
    /// twice (the faster counts: the first also pays for cold caches and fresh pages). Takes
    /// about three times a top-level key's generation.
    ///
    /// # Errors
    /// Only if the context's parameters are unusable for key generation (not expected).
    pub fn calibrate(ctx: &Arc<Context>) -> Result<Self, CkksError> {
        let params = ctx.params();
        let mut keygen = KeyGenerator::new(ctx);
        let sk = keygen.secret_key();
        let element = galois_element_for_step(1, params.n());
        let mut measure = |level: usize| -> Result<(f64, f64), CkksError> {
            let mut fastest = f64::INFINITY;
            for _ in 0..2 {
                let start = Instant::now();
                keygen.galois_key_at_level(&sk, element, level)?;
                fastest = fastest.min(start.elapsed().as_secs_f64());
            }
            Ok((key_limbs(params, level) as f64, fastest))
        };
        let (small_limbs, small) = measure(params.primes_per_digit().min(params.q_primes().len()) - 1)?;
        let (top_limbs, top) = measure(params.max_level())?;
        // The line through the two points (one point when the top key has a single digit).
        let seconds_per_limb = if top_limbs > small_limbs {
            ((top - small) / (top_limbs - small_limbs)).max(0.0)
        } else {
            top / top_limbs
        };
        let seconds_per_key = (top - seconds_per_limb * top_limbs).max(0.0);
        Ok(Self { seconds_per_key, seconds_per_limb })
    }
}

/// Limbs of a Galois key at `level`: `digits × (level + 1 + k)`.
pub(super) fn key_limbs(params: &Parameters, level: usize) -> usize {
    SwitchingKey::digit_count(params, level + 1) * (level + 1 + params.p_primes().len())
}

/// The progress of a key set's generation, reported after each key.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct KeyGenProgress {
    /// Keys generated so far (including the one just reported).
    pub keys_done: usize,
    /// Keys in the set.
    pub keys_total: usize,
    /// Work done so far, in limbs (see [`KeySetEstimate::work_limbs`]).
    pub limbs_done: usize,
    /// Work of the whole set.
    pub limbs_total: usize,
    /// Time since generation started.
    pub elapsed: Duration,
}

impl KeyGenProgress {
    /// The remaining time extrapolated from the work done so far (`None` before any work).
    pub fn remaining(&self) -> Option<Duration> {
        (self.limbs_done > 0)
            .then(|| self.elapsed.mul_f64((self.limbs_total - self.limbs_done) as f64 / self.limbs_done as f64))
    }
}
