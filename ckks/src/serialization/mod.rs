//! Versioned binary serialization of parameters, plaintexts, ciphertexts and keys, with
//! compressed (seeded) forms, and loaders that treat their input as hostile.
//!
//! # Format (version 3, all integers little-endian)
//!
//! Every object starts with a 20-byte header:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `SPNCKKS\0` |
//! | 2 | format version ([`FORMAT_VERSION`]) |
//! | 2 | type tag ([`ObjectKind`]) |
//! | 8 | fingerprint of the full parameter set ([`crate::Parameters::fingerprint`]: a hash of `N`, every prime of `Q` and `P`, `dnum`, the scale, the secret distribution and the insecure flag) |
//!
//! Every level follows the crate's convention: an object at level `ℓ` is over the `ℓ + 1`
//! primes `q_0, …, q_ℓ` (`Q_ℓ` is their product), so a stored level is at most `L − 1` for `L`
//! Q primes.
//!
//! Polynomials are stored limb by limb (Q limbs, then P limbs) in the NTT domain of
//! `spencnn_ntt::NttPlan` (negacyclic evaluations at the powers of the smallest primitive
//! `2N`-th root, bit-reversed order), each residue in `ceil(bits(q_i)/8)` bytes. The bodies:
//!
//! | kind | body |
//! |---|---|
//! | `Parameters` | `log_n` u8, secret kind u8 (0 ternary, 1 fixed weight), weight u32, insecure u8, `dnum` u16, `#Q` u16, `#P` u16, `log_scale` f64, the Q primes, the P primes (u64 each) |
//! | `Plaintext` | level `ℓ` u16, P limbs u8 (0 or `#P`), slots u32, scale f64, the polynomial |
//! | `Ciphertext` | level `ℓ` u16, size u8 (2 or 3), slots u32, scale f64, the polynomials |
//! | `SeededCiphertext` | level `ℓ` u16, slots u32, scale f64, seed (32 bytes), `c_0`; `c_1` is expanded from the seed |
//! | `SecretKey` | the ternary coefficients (coefficient form), 2 bits each (0 → 0, 1 → 1, 2 → −1), four per byte, low bits first |
//! | `PublicKey` | seed, `b`, `a` over `Q·P` |
//! | `SeededPublicKey` | seed, `b`; `a` is expanded from the seed |
//! | `RelinKey` | key level `ℓ` u16, seed, then per digit (`ceil((ℓ + 1)/α)` of them) `b_j`, `a_j` over `Q_ℓ·P` |
//! | `SeededRelinKey` | key level `ℓ` u16, seed, then per digit `b_j` over `Q_ℓ·P` |
//! | `GaloisKeys` | count u32, then per key (elements strictly ascending): element u64, and the key as `RelinKey`'s body |
//! | `SeededGaloisKeys` | count u32, then per key: element u64, and the key as `SeededRelinKey`'s body |
//!
//! Uniform polynomials are expanded from their seed limb by limb, the limb of global prime `i`
//! from ChaCha20 stream `i` of the seed, rejection-sampled modulo the prime; a switching key's
//! digit `j` uses the `j`-th 32-byte seed drawn from the key's seed.
//!
//! Version history: 1 had no key levels (every key over all of `Q·P`) and expanded the limbs
//! of a uniform polynomial from one stream; version 2 adds the key level (keys restricted to
//! the levels where they are used) and per-prime streams (a restricted key keeps its seed).
//! Version 3 stores every level counted from 0 (`ℓ` for `ℓ + 1` primes) where version 2 stored
//! the number of primes. Bytes of other versions are refused with
//! [`SerializationError::UnsupportedVersion`].
//!
//! The encoding is canonical: a loader accepts only the bytes the writer produces for the
//! object it returns (checked by the fuzz entry points, compiled with the `fuzzing` cargo feature).
//!
//! # Loading untrusted bytes
//!
//! Every loader takes a `max_bytes` limit, checked first. It then checks the magic, the
//! version, the tag and the fingerprint against the context; every level, size, slot count and
//! count against the parameters; the encoded length of a polynomial against the remaining
//! input *before* allocating it; every residue against its prime; and rejects trailing bytes.
//! Allocation is bounded by twice the input length (seeded forms expand their uniform half).
//! Full-form keys carry their seed too and must match its expansion, so that re-serializing a
//! loaded key in seeded form gives the same key. Secret-key bytes are returned in a
//! [`zeroize::Zeroizing`] buffer.
//!
//! ```
//! use spencnn_ckks::*;
//! let params = Parameters::builder().log_n(10).q_bits(&[50, 40]).p_bits(&[50])
//!     .insecure_for_testing_only().build().unwrap();
//! let ctx = Context::new(params).unwrap();
//! let mut keygen = KeyGenerator::from_seed(&ctx, [1; 32]);
//! let sk = keygen.secret_key();
//! let pt = Encoder::new(&ctx).encode_real(&[1.5], 4, 1, 2f64.powi(30)).unwrap();
//! let ct = Encryptor::from_seed(&ctx, [2; 32]).encrypt_symmetric(&pt, &sk).unwrap();
//! let compressed = ct.to_seeded_bytes(&ctx).unwrap(); // about half of `ct.to_bytes(&ctx)`
//! let loaded = Ciphertext::from_bytes(&ctx, &compressed, 1 << 20).unwrap();
//! assert_eq!(loaded.to_bytes(&ctx).unwrap(), ct.to_bytes(&ctx).unwrap());
//! // Another kind of object, truncated input, a wrong context: typed errors, no panic.
//! assert!(matches!(
//!     Plaintext::from_bytes(&ctx, &compressed, 1 << 20),
//!     Err(SerializationError::WrongObjectKind { .. })
//! ));
//! assert!(Ciphertext::from_bytes(&ctx, &compressed[..100], 1 << 20).is_err());
//! ```

mod codec;
mod error;
#[cfg(feature = "fuzzing")]
pub mod fuzzing;
mod keys;
mod params;
mod scheme;
pub mod sizes;

pub use codec::Header;
pub use error::SerializationError;

/// The first eight bytes of every serialized object.
pub const MAGIC: [u8; 8] = *b"SPNCKKS\0";
/// The format version this build writes and reads.
pub const FORMAT_VERSION: u16 = 3;
/// Length of the fixed header.
pub const HEADER_LEN: usize = 20;

/// Whether an object with a uniform part is written with it (`to_bytes`) or with only the
/// 32-byte seed it is expanded from (`to_seeded_bytes`, about half the size).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SerializedForm {
    /// Every polynomial.
    Full,
    /// The uniform parts as their seed.
    Seeded,
}

/// What a serialized object holds (the header's type tag).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
#[non_exhaustive]
pub enum ObjectKind {
    /// [`crate::Parameters`].
    Parameters = 1,
    /// [`crate::Plaintext`].
    Plaintext = 2,
    /// [`crate::Ciphertext`], every polynomial stored.
    Ciphertext = 3,
    /// [`crate::Ciphertext`] from secret-key encryption, `c_1` as its seed.
    SeededCiphertext = 4,
    /// [`crate::SecretKey`].
    SecretKey = 5,
    /// [`crate::PublicKey`], both polynomials stored.
    PublicKey = 6,
    /// [`crate::PublicKey`], `a` as its seed.
    SeededPublicKey = 7,
    /// [`crate::RelinKey`], every polynomial stored.
    RelinKey = 8,
    /// [`crate::RelinKey`], the `a_j` as their seed.
    SeededRelinKey = 9,
    /// [`crate::GaloisKeys`], every polynomial stored.
    GaloisKeys = 10,
    /// [`crate::GaloisKeys`], the `a_j` as their seeds.
    SeededGaloisKeys = 11,
}

impl ObjectKind {
    /// Every kind, in tag order.
    pub const ALL: [ObjectKind; 11] = [
        ObjectKind::Parameters,
        ObjectKind::Plaintext,
        ObjectKind::Ciphertext,
        ObjectKind::SeededCiphertext,
        ObjectKind::SecretKey,
        ObjectKind::PublicKey,
        ObjectKind::SeededPublicKey,
        ObjectKind::RelinKey,
        ObjectKind::SeededRelinKey,
        ObjectKind::GaloisKeys,
        ObjectKind::SeededGaloisKeys,
    ];

    /// The kind of a type tag, `None` for an unknown tag.
    pub fn from_tag(tag: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| *kind as u16 == tag)
    }
}

/// Parses only the header (magic, version, tag, fingerprint), e.g. to dispatch a message to
/// the right loader.
///
/// # Errors
/// [`SerializationError::UnexpectedEnd`], [`SerializationError::BadMagic`],
/// [`SerializationError::UnsupportedVersion`], [`SerializationError::UnknownObjectKind`].
pub fn peek_header(bytes: &[u8]) -> Result<Header, SerializationError> {
    codec::Reader::open(bytes, usize::MAX).map(|(header, _)| header)
}
