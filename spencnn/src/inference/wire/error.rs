//! Why a message was rejected.

use spencnn_ckks::{CkksError, SerializationError};

use crate::layout::LayoutError;

/// Errors reading or writing a message. Readers never panic and never allocate beyond the
/// caller's limit; every rejection is one of these, with the offending values.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum WireError {
    /// The message is longer than the caller's limit (checked before reading past it).
    #[error("message of at least {len} bytes exceeds the limit of {max_bytes} bytes")]
    InputTooLarge {
        /// Bytes the message needs so far.
        len: u64,
        /// The caller's limit.
        max_bytes: u64,
    },
    /// The input ends before the message does.
    #[error("unexpected end of input at byte {offset}: {needed} bytes needed")]
    UnexpectedEnd {
        /// Where the missing field starts.
        offset: u64,
        /// Bytes the field needs.
        needed: u64,
    },
    /// The input does not start with the envelope's magic bytes.
    #[error("not a spencnn message: magic {found:02x?}")]
    BadMagic {
        /// The first eight bytes found.
        found: [u8; 8],
    },
    /// The envelope version is not one this build reads.
    #[error("message version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion {
        /// Version in the input.
        found: u16,
        /// The version this build reads and writes.
        supported: u16,
    },
    /// The kind field is not a [`super::MessageKind`].
    #[error("unknown message kind {tag}")]
    UnknownMessageKind {
        /// The tag found.
        tag: u16,
    },
    /// Another kind of message than the reader reads.
    #[error("expected a {expected:?} message, found {found:?}")]
    WrongMessageKind {
        /// What the reader reads.
        expected: super::MessageKind,
        /// What the header says.
        found: super::MessageKind,
    },
    /// The message belongs to other CKKS parameters.
    #[error("message made under parameters {found:#018x}, expected {expected:#018x}")]
    ParameterMismatch {
        /// Fingerprint of the receiver's parameters.
        expected: u64,
        /// Fingerprint in the message.
        found: u64,
    },
    /// A size, count, index or level is out of range.
    #[error("field `{field}` = {value} is outside {min}..={max}")]
    FieldOutOfRange {
        /// Name of the field.
        field: &'static str,
        /// Value found.
        value: u64,
        /// Smallest accepted value.
        min: u64,
        /// Largest accepted value.
        max: u64,
    },
    /// An enumeration or flag holds an undefined value.
    #[error("field `{field}` has the undefined value {value}")]
    InvalidField {
        /// Name of the field.
        field: &'static str,
        /// Value found.
        value: u64,
    },
    /// A real number that must be finite (and positive, for scales) is not.
    #[error("field `{field}` = {value} is not a valid number")]
    InvalidNumber {
        /// Name of the field.
        field: &'static str,
        /// Value found.
        value: f64,
    },
    /// The model name is not UTF-8.
    #[error("the model name is not valid UTF-8")]
    InvalidName,
    /// Rotation steps must be strictly ascending (no duplicates, canonical order).
    #[error("rotation steps are not strictly ascending: {previous} then {step}")]
    UnorderedSteps {
        /// The step before.
        previous: u64,
        /// The step that does not follow it.
        step: u64,
    },
    /// Galois keys must come in strictly ascending element order (one key per frame).
    #[error("Galois keys are not in strictly ascending element order: {previous} then {element}")]
    UnorderedKeys {
        /// The element before.
        previous: u64,
        /// The element that does not follow it.
        element: u64,
    },
    /// The input layout is invalid.
    #[error("input layout: {0}")]
    Layout(#[from] LayoutError),
    /// A CKKS object inside the message was rejected.
    #[error("{object} {index}: {source}")]
    Ckks {
        /// Which object.
        object: &'static str,
        /// Its position in the message.
        index: usize,
        /// Why `spencnn-ckks` rejected it.
        source: SerializationError,
    },
    /// A key frame holds a full-form key: keys travel only in seeded form, the form the
    /// writer produces (the message stays canonical).
    #[error("{object} {index} is a {found:?} object: keys travel in seeded form only")]
    KeyNotSeeded {
        /// Which key.
        object: &'static str,
        /// Its position in the message.
        index: usize,
        /// The object kind found.
        found: spencnn_ckks::ObjectKind,
    },
    /// The Galois keys of the message do not form one set (e.g. a key sent twice).
    #[error("keys: {0}")]
    Keys(#[from] CkksError),
    /// Bytes follow the end of the message.
    #[error("{count} trailing bytes after the message")]
    TrailingBytes {
        /// Number of extra bytes.
        count: u64,
    },
    /// Reading or writing the stream failed.
    #[error("i/o: {0}")]
    Io(#[from] std::io::Error),
}
