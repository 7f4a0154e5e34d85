//! The four messages as bytes: a small versioned envelope around `spencnn-ckks` objects.
//!
//! Every CKKS object (parameters, keys, ciphertexts) is written in `spencnn-ckks`'s versioned,
//! fingerprinted format ([`spencnn_ckks::serialization`]), in its seeded (compressed) form
//! where one exists: Galois and relinearization keys always, image ciphertexts (fresh
//! secret-key encryptions) always. The envelope adds what CKKS does not know: the model's
//! input layout, logit map, rotation steps and key levels.
//!
//! # Format (version 3, integers little-endian)
//!
//! Every message starts with a 20-byte header:
//!
//! | bytes | field |
//! |---|---|
//! | 8 | magic `SPNCNNMS` |
//! | 2 | envelope version ([`WIRE_VERSION`]) |
//! | 2 | message kind ([`MessageKind`]) |
//! | 8 | fingerprint of the CKKS parameters the message belongs to |
//!
//! A *frame* is a `u64` length followed by that many bytes: one `spencnn-ckks` object.
//! Levels follow `spencnn-ckks`'s convention (level `ℓ` holds the primes `q_0, …, q_ℓ`);
//! version 2 stores them so, where version 1 stored the number of primes of each key. Version 3
//! adds the level and scale of every output to the interface, the interface digest to the keys
//! message and the key fingerprint to images and answers ([`super::binding`]), and accepts keys
//! only in seeded form.
//!
//! | kind | body |
//! |---|---|
//! | `ModelInterface` | frame: the parameters; model name (u16 length, UTF-8); slots u32; input layout (channels u32, height u32, width u32, block height u32, block width u32, stride u32, phases u32, placement u8 (0 contiguous, 1 interleaved), group size u32); input level u16; input scale f64; outputs u32, then per output: level u16, scale f64; logits (count u32, then per logit: ciphertext u32, slot u32, scale f64, offset f64); rotation keys (count u32, then per key, steps strictly ascending: step u32, key level u16); relinearization key present u8 (0 or 1), its level u16 (0 when absent) |
//! | `EvaluationKeys` | interface digest u64; relinearization key present u8; Galois frames u32; the relinearization frame (`SeededRelinKey`), then the Galois frames (`SeededGaloisKeys`, one key each, Galois elements strictly ascending, so that keys can be written as they are generated and loaded one at a time) |
//! | `EncryptedImage`, `EncryptedLogits` | key fingerprint u64; ciphertexts u32, then one frame each (`SeededCiphertext` when the ciphertext has a seed, else `Ciphertext`) |
//!
//! # Reading untrusted bytes
//!
//! Every reader takes a `max_bytes` limit and never reads or allocates beyond it: a frame's
//! length is checked against the limit (and against a bound from the parameters, e.g. the
//! size of one full-form key at the top level) before its buffer is allocated. Every count is
//! bounded, every field range-checked, the layout rebuilt through its validating
//! constructor, steps must be strictly ascending and levels inside the chain; byte strings must
//! be consumed exactly (trailing bytes are an error). The encoding is canonical: accepted bytes
//! re-serialize to themselves. Errors are [`WireError`]s; no input makes a reader panic
//! (the crate's wire tests mutate valid messages at random; the `wire_*` cargo-fuzz targets in
//! `fuzz/` run the entry points of the `fuzzing` module (cargo feature `fuzzing`), which also
//! check that loaded messages work).

mod ciphertexts;
mod codec;
mod error;
mod interface;
mod keys;

#[cfg(feature = "fuzzing")]
pub mod fuzzing;

pub use ciphertexts::ciphertexts_len;
pub use error::WireError;
pub use interface::MAX_INPUT_CIPHERTEXTS;
pub use keys::{KeyStreamWriter, evaluation_keys_len};

/// The first eight bytes of every message.
pub const WIRE_MAGIC: [u8; 8] = *b"SPNCNNMS";
/// The envelope version this build writes and reads.
pub const WIRE_VERSION: u16 = 3;
/// Length of the envelope header.
pub const WIRE_HEADER_LEN: usize = 20;

/// Largest accepted model name, in bytes.
pub const MAX_NAME_BYTES: usize = 256;
/// Largest accepted number of ciphertexts in an image or an answer.
pub const MAX_CIPHERTEXTS: usize = 4096;
/// Largest accepted number of logits.
pub const MAX_LOGITS: usize = 1 << 16;
/// Largest accepted number of channels, rows or columns of the input layout.
pub const MAX_INPUT_EXTENT: usize = 1 << 12;
/// Largest accepted polyphase factor of the input layout.
pub const MAX_PHASES: usize = 16;
/// Largest accepted serialized parameter set inside an interface.
pub const MAX_PARAMETER_BYTES: usize = 1 << 16;

/// What a message holds (the header's kind field).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[repr(u16)]
#[non_exhaustive]
pub enum MessageKind {
    /// [`super::ModelInterface`] (server → client).
    ModelInterface = 1,
    /// [`super::EvaluationKeys`] (client → server).
    EvaluationKeys = 2,
    /// [`super::EncryptedImage`] (client → server).
    EncryptedImage = 3,
    /// [`super::EncryptedLogits`] (server → client).
    EncryptedLogits = 4,
}

impl MessageKind {
    /// Every kind, in tag order.
    pub const ALL: [MessageKind; 4] = [
        MessageKind::ModelInterface,
        MessageKind::EvaluationKeys,
        MessageKind::EncryptedImage,
        MessageKind::EncryptedLogits,
    ];

    /// The kind of a tag, `None` for an unknown tag.
    pub fn from_tag(tag: u16) -> Option<Self> {
        Self::ALL.into_iter().find(|kind| *kind as u16 == tag)
    }
}

/// The parsed envelope header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MessageHeader {
    /// What the message holds.
    pub kind: MessageKind,
    /// Fingerprint of the CKKS parameters.
    pub fingerprint: u64,
}

/// Parses only the header of a message (e.g. to dispatch it).
///
/// # Errors
/// [`WireError::UnexpectedEnd`], [`WireError::BadMagic`], [`WireError::UnsupportedVersion`],
/// [`WireError::UnknownMessageKind`].
pub fn peek_header(bytes: &[u8]) -> Result<MessageHeader, WireError> {
    codec::WireReader::new(bytes, usize::MAX, Some(bytes.len())).header()
}
