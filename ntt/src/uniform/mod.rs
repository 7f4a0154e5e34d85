//! Uniform residues expanded from a public seed: the ChaCha20 keystream (the original
//! construction with a 64-bit block counter and a 64-bit stream number, as `rand_chacha`'s
//! `ChaCha20Rng` with `set_stream`) read as little-endian 64-bit words, each masked to the bit
//! length of `q` and kept when below `q` (rejection sampling: exactly uniform in `[0, q)`).
//!
//! This is how homomorphic-encryption keys and ciphertexts store their uniform half as a
//! 32-byte seed; it is for **public** randomness only: the output is a function of the seed,
//! and the rejection loop's timing depends on it. Secrets and errors must come from a
//! generator that is never shared.
//!
//! The keystream runs sixteen blocks (1 KiB) at a time: AVX-512 computes them in one pass (one
//! block per lane) and compresses the accepted words in registers; AVX2 computes eight blocks
//! per pass; the scalar twin one. Every tier gives the same words (tested against
//! `rand_chacha`).
//!
//! ```
//! use spencnn_ntt::uniform::UniformSampler;
//! let q = (1u64 << 50) - 27; // any modulus in 2..2^63
//! let mut sampler = UniformSampler::new(&[7; 32], 3, q)?;
//! let mut limb = vec![0u64; 1024];
//! sampler.fill(&mut limb);
//! assert!(limb.iter().all(|&x| x < q));
//! # Ok::<(), spencnn_ntt::NttError>(())
//! ```

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
mod scalar;

use std::fmt;

use crate::error::NttError;
use crate::isa::Isa;

/// 64-bit words per keystream batch (16 ChaCha20 blocks of 64 bytes).
const BATCH_WORDS: usize = 128;

/// The ChaCha constant words ("expand 32-byte k").
const CONSTANTS: [u32; 4] = [0x6170_7865, 0x3320_646e, 0x7962_2d32, 0x6b20_6574];

/// A stream of uniform residues modulo `q` from a 32-byte seed and a stream number: the same
/// words, in the same order, as
///
/// ```text
/// let mut rng = ChaCha20Rng::from_seed(seed);
/// rng.set_stream(stream);
/// loop { let x = rng.next_u64() & mask; if x < q { yield x } }   // mask = 2^bits(q) − 1
/// ```
///
/// Successive [`fill`](Self::fill) calls continue the stream, so a long vector can be produced
/// in chunks that stay in cache.
#[derive(Clone)]
pub struct UniformSampler {
    key: [u32; 8],
    stream: u64,
    /// Counter of the next keystream block to compute.
    next_block: u64,
    q: u64,
    mask: u64,
    isa: Isa,
    /// Accepted residues not yet handed out: `accepted[start..end]`.
    accepted: [u64; BATCH_WORDS],
    start: usize,
    end: usize,
}

impl UniformSampler {
    /// A sampler of residues modulo `q` on the widest instruction set of this CPU
    /// ([`Isa::detect`]).
    ///
    /// # Errors
    /// [`NttError::ModulusOutOfRange`] unless `2 ≤ q < 2^63`.
    pub fn new(seed: &[u8; 32], stream: u64, q: u64) -> Result<Self, NttError> {
        Self::with_isa(seed, stream, q, crate::vector::Kernels::detect().isa())
    }

    /// A sampler on a chosen instruction set (tests and benchmarks compare the tiers).
    ///
    /// # Errors
    /// [`NttError::ModulusOutOfRange`] unless `2 ≤ q < 2^63`; [`NttError::IsaUnavailable`]
    /// when this CPU lacks `isa`.
    pub fn with_isa(seed: &[u8; 32], stream: u64, q: u64, isa: Isa) -> Result<Self, NttError> {
        if !(2..1 << 63).contains(&q) {
            return Err(NttError::ModulusOutOfRange { q, max_bits: 63 });
        }
        let key = std::array::from_fn(|i| u32::from_le_bytes(seed[4 * i..4 * i + 4].try_into().expect("4 bytes")));
        // The mask of the bit length of `q` (as the key formats define it).
        let mask = u64::MAX >> q.leading_zeros();
        Ok(Self {
            key,
            stream,
            next_block: 0,
            q,
            mask,
            isa: isa.require()?,
            accepted: [0; BATCH_WORDS],
            start: 0,
            end: 0,
        })
    }

    /// The modulus.
    pub fn modulus(&self) -> u64 {
        self.q
    }

    /// Overwrites `out` with the next `out.len()` residues of the stream (each in `[0, q)`).
    pub fn fill(&mut self, mut out: &mut [u64]) {
        while !out.is_empty() {
            if self.start == self.end {
                self.refill();
            }
            let take = out.len().min(self.end - self.start);
            let (head, rest) = out.split_at_mut(take);
            head.copy_from_slice(&self.accepted[self.start..self.start + take]);
            self.start += take;
            out = rest;
        }
    }

    /// Computes the next 16 keystream blocks and keeps the accepted words.
    fn refill(&mut self) {
        let mut words = [0u64; BATCH_WORDS];
        let (key, stream, counter) = (&self.key, self.stream, self.next_block);
        let count = match self.isa {
            // SAFETY: `isa` was checked available by `Isa::require` in the constructor.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe {
                avx512::keystream_batch(key, stream, counter, &mut words);
                avx512::accept(&words, self.mask, self.q, &mut self.accepted)
            },
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => {
                // SAFETY: as above.
                unsafe { avx2::keystream_batch(key, stream, counter, &mut words) };
                scalar::accept(&words, self.mask, self.q, &mut self.accepted)
            }
            _ => {
                scalar::keystream_batch(key, stream, counter, &mut words);
                scalar::accept(&words, self.mask, self.q, &mut self.accepted)
            }
        };
        self.next_block = self.next_block.wrapping_add(16);
        (self.start, self.end) = (0, count);
    }
}

impl fmt::Debug for UniformSampler {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("UniformSampler")
            .field("stream", &self.stream)
            .field("q", &self.q)
            .field("isa", &self.isa)
            .finish_non_exhaustive()
    }
}

/// The raw keystream, for the tests that compare the tiers with each other and with
/// `rand_chacha` (not part of the API).
#[doc(hidden)]
pub fn keystream_batch_with_isa(
    seed: &[u8; 32],
    stream: u64,
    counter: u64,
    isa: Isa,
) -> Result<[u64; BATCH_WORDS], NttError> {
    let key = std::array::from_fn(|i| u32::from_le_bytes(seed[4 * i..4 * i + 4].try_into().expect("4 bytes")));
    let mut words = [0u64; BATCH_WORDS];
    match isa.require()? {
        // SAFETY: `isa` is available.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx512 => unsafe { avx512::keystream_batch(&key, stream, counter, &mut words) },
        // SAFETY: `isa` is available.
        #[cfg(target_arch = "x86_64")]
        Isa::Avx2 => unsafe { avx2::keystream_batch(&key, stream, counter, &mut words) },
        _ => scalar::keystream_batch(&key, stream, counter, &mut words),
    }
    Ok(words)
}
