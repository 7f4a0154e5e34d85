//! Generating a whole [`GaloisKeySet`]: in parallel over keys, streamed to the caller one key
//! at a time in the set's order, with progress after each key.
//!
//! Parallel generation is bit-identical to sequential generation from the same generator:
//! each key draws a known number of words from the generator
//! ([`SwitchingKey::rng_words`]), so the key at position `k` is made from a copy of the
//! generator moved to where the sequential run would have it, and the generator ends where
//! the sequential run ends.

use std::collections::BTreeMap;
use std::time::Instant;

use rayon::prelude::*;

use super::evaluation_keys::{GaloisKey, GaloisKeys};
use super::key_set::{GaloisKeySet, KeyGenProgress, key_limbs};
use super::keygen::KeyGenerator;
use super::keys::SecretKey;
use super::switching_key::SwitchingKey;
use crate::error::CkksError;

/// Keys generated at once per thread: a few, so that keys of different levels (and costs)
/// balance across threads, while at most `threads ×` this many keys wait in memory.
const KEYS_IN_FLIGHT_PER_THREAD: usize = 2;

impl KeyGenerator {
    /// Every key of `set`, collected into one [`GaloisKeys`] (see
    /// [`KeyGenerator::galois_keys_streamed`]).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when `sk` belongs to other parameters.
    pub fn galois_key_set(&mut self, sk: &SecretKey, set: &GaloisKeySet) -> Result<GaloisKeys, CkksError> {
        let mut keys = GaloisKeys { keys: BTreeMap::new(), fingerprint: sk.fingerprint };
        self.galois_keys_streamed(sk, set, |key: GaloisKeys, _| keys.merge(key))?;
        Ok(keys)
    }

    /// Generates the keys of `set` on the current rayon thread pool (install a pool with
    /// `rayon::ThreadPool::install` to choose the number of threads) and hands each to
    /// `on_key`, as a [`GaloisKeys`] holding that key alone, in the set's order, with the
    /// progress so far. At most `2 × threads` keys are in memory besides those `on_key` keeps:
    /// a sender can write each key as it arrives.
    ///
    /// The keys (and the generator's state afterwards) are the same whatever the number of
    /// threads, and the same as [`KeyGenerator::galois_key_at_level`] called for each key of
    /// the set in order.
    ///
    /// ```
    /// use spencnn_ckks::rlwe::GaloisKeySet;
    /// use spencnn_ckks::{Context, KeyGenerator, Parameters};
    /// let params = Parameters::builder().log_n(10).q_bits(&[50, 40, 40]).p_bits(&[50])
    ///     .dnum(3).insecure_for_testing_only().build()?;
    /// let set = GaloisKeySet::for_steps_at_levels(&params, &[(1, 2), (2, 0), (4, 1)])?;
    /// let estimate = set.estimate(&params, None, 2);
    /// let ctx = Context::new(params)?;
    /// let mut keygen = KeyGenerator::new(&ctx);
    /// let sk = keygen.secret_key();
    /// let mut received = 0;
    /// keygen.galois_keys_streamed(&sk, &set, |key, progress| {
    ///     received += key.memory_bytes();
    ///     assert!(progress.keys_done <= progress.keys_total);
    ///     Ok::<(), spencnn_ckks::CkksError>(())
    /// })?;
    /// assert_eq!(received, estimate.expanded_bytes);
    /// # Ok::<(), spencnn_ckks::CkksError>(())
    /// ```
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when `sk` belongs to other parameters (as `E`), or
    /// the first error `on_key` returns (no further key is generated then).
    pub fn galois_keys_streamed<E: From<CkksError>>(
        &mut self,
        sk: &SecretKey,
        set: &GaloisKeySet,
        mut on_key: impl FnMut(GaloisKeys, KeyGenProgress) -> Result<(), E>,
    ) -> Result<(), E> {
        self.ctx.check_fingerprint(sk.fingerprint)?;
        let params = self.ctx.params();
        // Where each key's draws start in the sequential stream, and what each key costs.
        let mut position = self.rng.word_pos();
        let mut starts = Vec::with_capacity(set.len());
        for &(_, level) in set.keys() {
            starts.push(position);
            position += SwitchingKey::rng_words(params, level + 1);
        }
        // Move the generator past the whole set first: even if `on_key` stops early, no
        // later key may reuse this randomness.
        self.rng.set_word_pos(position);
        let limbs = |level: usize| key_limbs(params, level);
        let mut progress = KeyGenProgress {
            keys_done: 0,
            keys_total: set.len(),
            limbs_done: 0,
            limbs_total: set.levels().map(limbs).sum(),
            elapsed: Default::default(),
        };
        let started = Instant::now();
        let threads = rayon::current_num_threads().max(1);
        let batch = if threads == 1 { 1 } else { threads * KEYS_IN_FLIGHT_PER_THREAD };
        let (ctx, storage, rng) = (&self.ctx, self.storage, &self.rng);
        let make = |(&(element, level), &start): (&(u64, usize), &u128)| -> Result<GaloisKey, CkksError> {
            let mut forked = rng.fork_at(start);
            KeyGenerator::make_galois_key(ctx, storage, sk, element, level + 1, &mut forked)
        };
        for (keys, starts) in set.keys().chunks(batch).zip(starts.chunks(batch)) {
            let generated: Vec<Result<GaloisKey, CkksError>> = if batch == 1 {
                keys.iter().zip(starts).map(make).collect()
            } else {
                keys.par_iter().zip(starts).map(make).collect()
            };
            for key in generated {
                let key = key?;
                progress.keys_done += 1;
                progress.limbs_done += limbs(key.level());
                progress.elapsed = started.elapsed();
                let single =
                    GaloisKeys { keys: BTreeMap::from([(key.galois_element, key)]), fingerprint: sk.fingerprint };
                on_key(single, progress)?;
            }
        }
        Ok(())
    }
}
