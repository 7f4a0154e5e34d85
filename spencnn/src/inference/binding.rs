//! Binding the messages of one session together, so that a message of another client or for
//! another interface is refused instead of producing garbage.
//!
//! * The **interface digest** is a hash of the interface's canonical bytes (parameters, layout,
//!   levels, scales, logit map, rotation keys). The client puts the digest of the interface it
//!   accepted into its evaluation-keys message; the server refuses keys made for any other
//!   interface (e.g. one changed on its way to the client).
//! * The **key fingerprint** is a hash of the interface digest and, for every key of the set,
//!   its kind, Galois element, level and the 32-byte seed of its uniform half (drawn fresh from
//!   the client's CSPRNG for every key, so it identifies the key). The client's image and the
//!   server's answer carry it; the server refuses an image made for other keys, and the client
//!   refuses an answer computed with other keys.
//!
//! Both are 64-bit FNV-1a hashes: they detect mix-ups and accidents, they are **not** message
//! authentication. Anyone can compute them, so a network attacker or a malicious server can
//! write any value; authenticity needs an authenticated channel (e.g. TLS).

use spencnn_ckks::rlwe::{GaloisKey, SwitchingKey};
use spencnn_ckks::{GaloisKeys, RelinKey};

use super::messages::{EvaluationKeys, ModelInterface};
use super::wire::WireError;

/// 64-bit FNV-1a over a stream of bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Fnv1a(u64);

impl Fnv1a {
    pub(crate) fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        for &byte in bytes {
            self.0 ^= u64::from(byte);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    pub(crate) fn u64(&mut self, value: u64) {
        self.bytes(&value.to_le_bytes());
    }

    pub(crate) fn finish(self) -> u64 {
        self.0
    }
}

impl ModelInterface {
    /// The digest of the interface's canonical bytes (see the [module](self) documentation).
    ///
    /// # Errors
    /// As [`ModelInterface::to_bytes`].
    pub fn digest(&self) -> Result<u64, WireError> {
        let mut hash = Fnv1a::new();
        hash.bytes(&self.to_bytes()?);
        Ok(hash.finish())
    }
}

/// The key fingerprint of a key set, accumulated key by key in the order of the keys message
/// (the relinearization key first, then the Galois keys by ascending element), so that a
/// writer can compute it while it streams the keys.
#[derive(Clone, Copy, Debug)]
pub(crate) struct KeyFingerprint(Fnv1a);

/// Tags of the two kinds of key in the fingerprint.
const RELIN_TAG: u64 = 1;
const GALOIS_TAG: u64 = 2;

impl KeyFingerprint {
    /// A fingerprint of keys made for the interface of digest `interface_digest`.
    pub(crate) fn new(interface_digest: u64) -> Self {
        let mut hash = Fnv1a::new();
        hash.u64(interface_digest);
        Self(hash)
    }

    fn key(&mut self, tag: u64, element: u64, level: usize, key: &SwitchingKey) {
        for word in [tag, element, level as u64] {
            self.0.u64(word);
        }
        self.0.bytes(&key.seed());
    }

    /// Adds the relinearization key.
    pub(crate) fn relin(&mut self, key: &RelinKey) {
        self.key(RELIN_TAG, 0, key.level(), key.switching_key());
    }

    /// Adds one Galois key.
    pub(crate) fn galois(&mut self, key: &GaloisKey) {
        self.key(GALOIS_TAG, key.galois_element(), key.level(), key.switching_key());
    }

    /// Adds every key of `keys` (ascending elements).
    pub(crate) fn galois_set(&mut self, keys: &GaloisKeys) {
        for element in keys.elements() {
            if let Some(key) = keys.get(element) {
                self.galois(key);
            }
        }
    }

    pub(crate) fn finish(self) -> u64 {
        self.0.finish()
    }
}

impl EvaluationKeys {
    /// The key fingerprint of this key set (see the [module](self) documentation): what the
    /// client's images and the server's answers carry.
    pub fn fingerprint(&self) -> u64 {
        let mut fingerprint = KeyFingerprint::new(self.interface_digest);
        if let Some(relin) = &self.relin {
            fingerprint.relin(relin);
        }
        fingerprint.galois_set(&self.galois);
        fingerprint.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::Fnv1a;

    #[test]
    fn fnv1a_matches_its_reference_values() {
        // Test vectors of the FNV-1a 64-bit hash (Fowler, Noll, Vo).
        let hash = |bytes: &[u8]| {
            let mut h = Fnv1a::new();
            h.bytes(bytes);
            h.finish()
        };
        assert_eq!(hash(b""), 0xcbf2_9ce4_8422_2325);
        assert_eq!(hash(b"a"), 0xaf63_dc4c_8601_ec8c);
        assert_eq!(hash(b"foobar"), 0x8594_4171_f739_67e8);
    }
}
