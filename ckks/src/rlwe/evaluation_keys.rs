//! Relinearization and Galois (rotation and conjugation) keys.

use std::collections::BTreeMap;

use spencnn_ntt::GaloisPermutation;

use super::context::Context;
use super::switching_key::{KeyStorage, SwitchingKey};
use crate::error::CkksError;

/// The Galois element `5^step mod 2N` that rotates slots left by `step` (slot `i` receives
/// slot `i + step`); negative steps rotate right. `n` is the ring degree.
pub fn galois_element_for_step(step: i64, n: usize) -> u64 {
    // 5 has order N/2 in (Z/2N)^*, so steps are taken modulo N/2.
    pow_mod_two_n(5, step.rem_euclid(n as i64 / 2) as u64, n)
}

/// `base^exponent mod 2N` (public values, square and multiply).
fn pow_mod_two_n(base: u64, exponent: u64, n: usize) -> u64 {
    let two_n = 2 * n as u64;
    let (mut result, mut base, mut e) = (1u64, base % two_n, exponent);
    while e > 0 {
        if e & 1 == 1 {
            result = result * base % two_n;
        }
        base = base * base % two_n;
        e >>= 1;
    }
    result
}

/// The Galois element `2N − 1` (`X ↦ X^{-1}`) that conjugates every slot.
pub fn galois_element_for_conjugation(n: usize) -> u64 {
    2 * n as u64 - 1
}

/// The inverse of an odd Galois element modulo `2N`.
pub(crate) fn galois_element_inverse(element: u64, n: usize) -> u64 {
    // The group (Z/2N)^* has order N, so g^{-1} = g^{N-1}.
    pow_mod_two_n(element, n as u64 - 1, n)
}

/// The relinearization key: a switching key from `s²` to `s`.
#[derive(Debug, Clone)]
pub struct RelinKey {
    pub(crate) key: SwitchingKey,
    pub(crate) fingerprint: u64,
}

impl RelinKey {
    /// The underlying switching key.
    pub fn switching_key(&self) -> &SwitchingKey {
        &self.key
    }
    /// Fingerprint of the parameters the key was made under.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
    /// The highest level the key relinearizes (see [`SwitchingKey::level`]).
    pub fn level(&self) -> usize {
        self.key.level()
    }
    /// How the key holds its uniform half.
    pub fn storage(&self) -> KeyStorage {
        self.key.storage()
    }
    /// The same key held as `storage` (see [`SwitchingKey::with_storage`]).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when the key belongs to other parameters.
    pub fn with_storage(self, ctx: &Context, storage: KeyStorage) -> Result<Self, CkksError> {
        ctx.check_fingerprint(self.fingerprint)?;
        Ok(Self { key: self.key.with_storage(ctx, storage)?, fingerprint: self.fingerprint })
    }
}

/// The key of one Galois element `g`, stored *pre-permuted*: it switches from `s` to
/// `σ_g^{-1}(s)`, so that key switching works on the un-permuted decomposition and the
/// automorphism `σ_g` is applied once to the two outputs (and not to every digit). This is
/// what makes hoisting cheap.
#[derive(Debug, Clone)]
pub struct GaloisKey {
    pub(crate) galois_element: u64,
    pub(crate) permutation: GaloisPermutation,
    pub(crate) key: SwitchingKey,
}

impl GaloisKey {
    /// The Galois element.
    pub fn galois_element(&self) -> u64 {
        self.galois_element
    }
    /// The NTT-domain gather of `σ_g`.
    pub fn permutation(&self) -> &GaloisPermutation {
        &self.permutation
    }
    /// The underlying switching key.
    pub fn switching_key(&self) -> &SwitchingKey {
        &self.key
    }
    /// The highest level the key rotates (see [`SwitchingKey::level`]).
    pub fn level(&self) -> usize {
        self.key.level()
    }
    /// How the key holds its uniform half.
    pub fn storage(&self) -> KeyStorage {
        self.key.storage()
    }
}

/// A set of Galois keys, looked up by Galois element.
#[derive(Debug, Clone, Default)]
pub struct GaloisKeys {
    pub(crate) keys: BTreeMap<u64, GaloisKey>,
    pub(crate) fingerprint: u64,
}

impl GaloisKeys {
    /// An empty set for `ctx`'s parameters (keys are added with [`GaloisKeys::merge`]).
    pub fn empty(ctx: &Context) -> Self {
        Self { keys: BTreeMap::new(), fingerprint: ctx.params().fingerprint() }
    }
    /// The key of a Galois element, if generated.
    pub fn get(&self, galois_element: u64) -> Option<&GaloisKey> {
        self.keys.get(&galois_element)
    }
    /// The Galois elements present, ascending.
    pub fn elements(&self) -> impl Iterator<Item = u64> + '_ {
        self.keys.keys().copied()
    }
    /// Number of keys.
    pub fn len(&self) -> usize {
        self.keys.len()
    }
    /// Whether no key is present.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
    /// Fingerprint of the parameters the keys were made under.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
    /// Bytes of polynomial data held by all keys.
    pub fn memory_bytes(&self) -> usize {
        self.keys.values().map(|k| k.key.memory_bytes()).sum()
    }

    /// The same keys, each held as `storage` (see [`SwitchingKey::with_storage`]): `Compact`
    /// halves [`GaloisKeys::memory_bytes`] and makes every rotation expand its key's uniform
    /// half; results are bit-identical.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when the keys belong to other parameters.
    pub fn with_storage(self, ctx: &Context, storage: KeyStorage) -> Result<Self, CkksError> {
        if !self.is_empty() {
            ctx.check_fingerprint(self.fingerprint)?;
        }
        let mut keys = BTreeMap::new();
        for (element, key) in self.keys {
            keys.insert(element, GaloisKey { key: key.key.with_storage(ctx, storage)?, ..key });
        }
        Ok(Self { keys, fingerprint: self.fingerprint })
    }

    /// Adds one key (e.g. made by [`KeyGenerator::galois_key_at_level`](super::KeyGenerator::galois_key_at_level)).
    ///
    /// # Errors
    /// [`CkksError::DuplicateGaloisKey`] when the set already holds a key for its element.
    pub fn insert(&mut self, key: GaloisKey) -> Result<(), CkksError> {
        match self.keys.entry(key.galois_element) {
            std::collections::btree_map::Entry::Occupied(_) => {
                Err(CkksError::DuplicateGaloisKey { galois_element: key.galois_element })
            }
            std::collections::btree_map::Entry::Vacant(slot) => {
                slot.insert(key);
                Ok(())
            }
        }
    }

    /// Moves every key of `other` into this set (e.g. keys received one at a time). A default
    /// (empty) set takes the parameters of the first keys merged into it.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`] when the sets were made under different parameters,
    /// [`CkksError::DuplicateGaloisKey`] when both hold a key for the same element (nothing is
    /// moved then).
    pub fn merge(&mut self, other: GaloisKeys) -> Result<(), CkksError> {
        if other.is_empty() {
            return Ok(());
        }
        if self.is_empty() && self.fingerprint == 0 {
            self.fingerprint = other.fingerprint;
        }
        if other.fingerprint != self.fingerprint {
            return Err(CkksError::ParameterMismatch { expected: self.fingerprint, found: other.fingerprint });
        }
        if let Some(&galois_element) = other.keys.keys().find(|g| self.keys.contains_key(g)) {
            return Err(CkksError::DuplicateGaloisKey { galois_element });
        }
        self.keys.extend(other.keys);
        Ok(())
    }
}
