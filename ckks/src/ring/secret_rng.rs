//! The ChaCha20 generator of the objects that sample secrets (key generator, encryptors):
//! seeded from the operating system, wiped on drop, never printed.

use std::fmt;

use rand_chacha::ChaCha20Rng;
use rand_core::{CryptoRng, OsRng, RngCore, SeedableRng};

/// A ChaCha20 generator whose state (key, counter, buffered output) is overwritten when it is
/// dropped and whose `Debug` shows nothing of it: the state determines every secret, error and
/// encryption mask it will produce, and its buffered block holds the last ones it produced.
pub(crate) struct SecretRng(ChaCha20Rng);

impl SecretRng {
    /// Seeded from the operating system's randomness.
    ///
    /// # Panics
    /// When the operating system's random source fails (no safe way to continue).
    pub(crate) fn from_os() -> Self {
        Self(ChaCha20Rng::from_rng(OsRng).expect("the OS random source is available"))
    }

    /// Deterministic (tests and reproducible experiments only).
    pub(crate) fn from_seed(seed: [u8; 32]) -> Self {
        Self(ChaCha20Rng::from_seed(seed))
    }

    /// The number of 32-bit words drawn so far.
    pub(crate) fn word_pos(&self) -> u128 {
        self.0.get_word_pos()
    }

    /// Moves to `word_pos` 32-bit words from the start of the stream.
    pub(crate) fn set_word_pos(&mut self, word_pos: u128) {
        self.0.set_word_pos(word_pos);
    }

    /// A copy of the generator positioned at `word_pos`: it produces what this generator
    /// would after drawing up to there (for generating independent objects in parallel and
    /// bit-identically to a sequential run). The copy is wiped on drop too.
    pub(crate) fn fork_at(&self, word_pos: u128) -> Self {
        let mut fork = Self(self.0.clone());
        fork.set_word_pos(word_pos);
        fork
    }
}

impl Drop for SecretRng {
    fn drop(&mut self) {
        // `ChaCha20Rng` has no `Zeroize`; overwrite the whole value in place with a generator
        // of the all-zero key, and let `black_box` keep the dead store from being elided.
        self.0 = ChaCha20Rng::from_seed([0; 32]);
        std::hint::black_box(&mut self.0);
    }
}

impl fmt::Debug for SecretRng {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretRng(<redacted>)")
    }
}

impl RngCore for SecretRng {
    fn next_u32(&mut self) -> u32 {
        self.0.next_u32()
    }
    fn next_u64(&mut self) -> u64 {
        self.0.next_u64()
    }
    fn fill_bytes(&mut self, dest: &mut [u8]) {
        self.0.fill_bytes(dest)
    }
    fn try_fill_bytes(&mut self, dest: &mut [u8]) -> Result<(), rand_core::Error> {
        self.0.try_fill_bytes(dest)
    }
}

impl CryptoRng for SecretRng {}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn same_stream_as_chacha20_and_redacted_debug() {
        let mut ours = SecretRng::from_seed([9; 32]);
        let mut reference = ChaCha20Rng::from_seed([9; 32]);
        assert_eq!(ours.next_u64(), reference.next_u64());
        assert_eq!(format!("{ours:?}"), "SecretRng(<redacted>)");
    }

    #[test]
    fn a_fork_continues_where_the_sequential_stream_would_be() {
        let mut sequential = SecretRng::from_seed([2; 32]);
        let fork = sequential.fork_at(5);
        let mut fork_bytes = [0u8; 40];
        let mut fork = fork;
        fork.fill_bytes(&mut fork_bytes);
        let mut skipped = [0u8; 20];
        sequential.fill_bytes(&mut skipped);
        let mut bytes = [0u8; 40];
        sequential.fill_bytes(&mut bytes);
        assert_eq!(bytes, fork_bytes);
        assert_eq!(sequential.word_pos(), 15);
    }
}
