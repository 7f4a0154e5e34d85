//! Errors of the loaders.

use thiserror::Error;

use super::ObjectKind;
use crate::error::CkksError;

/// Why bytes were rejected by a loader. Loaders never panic and never allocate according to a
/// length they have not checked; every rejection is one of these, with the offending values.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum SerializationError {
    /// The input is longer than the caller's limit (checked before anything else).
    #[error("input of {len} bytes exceeds the limit of {max_bytes} bytes")]
    InputTooLarge {
        /// Length of the input.
        len: usize,
        /// The caller's limit.
        max_bytes: usize,
    },
    /// The input ends before the object does (truncated or a length field too large).
    #[error("unexpected end of input at byte {offset}: {needed} bytes needed, {remaining} left")]
    UnexpectedEnd {
        /// Where the missing field starts.
        offset: usize,
        /// Bytes the field needs.
        needed: usize,
        /// Bytes left in the input.
        remaining: usize,
    },
    /// The input does not start with the format's magic bytes.
    #[error("not a spencnn-ckks object: magic {found:02x?}")]
    BadMagic {
        /// The first eight bytes found.
        found: [u8; 8],
    },
    /// The format version is not one this build reads.
    #[error("format version {found} is not supported (this build reads version {supported})")]
    UnsupportedVersion {
        /// Version in the input.
        found: u16,
        /// The version this build reads and writes.
        supported: u16,
    },
    /// The type tag is not one of [`ObjectKind`]'s.
    #[error("unknown object type tag {tag}")]
    UnknownObjectKind {
        /// The tag found.
        tag: u16,
    },
    /// The input holds another kind of object than the loader reads.
    #[error("expected {expected}, found a serialized {found:?}")]
    WrongObjectKind {
        /// What the loader reads.
        expected: &'static str,
        /// What the header says.
        found: ObjectKind,
    },
    /// The object was made under other parameters than the context's.
    #[error("object made under parameters {found:#018x}, expected {expected:#018x}")]
    ParameterMismatch {
        /// Fingerprint of the context's parameters.
        expected: u64,
        /// Fingerprint in the header.
        found: u64,
    },
    /// Serialized parameters do not hash to the fingerprint in their header.
    #[error("parameters hash to {computed:#018x}, but the header says {stored:#018x}")]
    FingerprintMismatch {
        /// Fingerprint in the header.
        stored: u64,
        /// Fingerprint of the decoded parameters.
        computed: u64,
    },
    /// A size or count field is outside what the parameters allow.
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
    /// An enumeration or flag field holds an undefined value.
    #[error("field `{field}` has the undefined value {value}")]
    InvalidField {
        /// Name of the field.
        field: &'static str,
        /// Value found.
        value: u64,
    },
    /// The slot count is not a power of two in `1..=N/2`.
    #[error("slot count {slots} is not a power of two in 1..={max}")]
    InvalidSlotCount {
        /// Value found.
        slots: u64,
        /// `N/2`.
        max: u64,
    },
    /// A scale is not a positive finite number.
    #[error("scale {scale} is not a positive finite number")]
    InvalidScale {
        /// Value found.
        scale: f64,
    },
    /// A residue is not reduced modulo its prime.
    #[error("coefficient {index} of the limb of prime {modulus} is {value}, not below the prime")]
    CoefficientOutOfRange {
        /// Index of the coefficient within its limb.
        index: usize,
        /// Value found.
        value: u64,
        /// The limb's prime.
        modulus: u64,
    },
    /// The packed secret key holds codes outside `{-1, 0, 1}` (the position is not reported:
    /// the key is secret).
    #[error("the secret key holds {count} undefined coefficient codes")]
    InvalidSecretCoefficients {
        /// Number of undefined codes.
        count: usize,
    },
    /// The secret key's Hamming weight differs from the parameters' fixed weight.
    #[error("the secret key has Hamming weight {found}, the parameters fix {expected}")]
    SecretHammingWeight {
        /// Weight found.
        found: usize,
        /// Weight the parameters require.
        expected: usize,
    },
    /// A Galois element is not odd in `3..2N`.
    #[error("Galois element {element} is not an odd number in 3..{two_n}")]
    InvalidGaloisElement {
        /// Value found.
        element: u64,
        /// `2N`.
        two_n: u64,
    },
    /// Galois elements must be strictly ascending (no duplicates, canonical order).
    #[error("Galois elements are not strictly ascending: {previous} then {element}")]
    UnorderedGaloisElements {
        /// The element before.
        previous: u64,
        /// The element that does not follow it.
        element: u64,
    },
    /// A full-form key's uniform part is not the expansion of the seed it carries.
    #[error("the uniform part of the {object} is not the expansion of its seed")]
    SeedMismatch {
        /// Which object.
        object: &'static str,
    },
    /// The set holds no key for the requested Galois element.
    #[error("no Galois key for element {galois_element}")]
    NoSuchKey {
        /// The element asked for.
        galois_element: u64,
    },
    /// Only a fresh secret-key encryption has a seed, hence a compressed form.
    #[error("the ciphertext has no seed: only fresh secret-key encryptions have a compressed form")]
    NotSeeded,
    /// The parameters were built with the insecure opt-in and the caller did not allow them.
    #[error("the parameters are insecure (built with the testing opt-in); refused")]
    InsecureParameters,
    /// The decoded parameters fail validation.
    #[error("invalid parameters: {0}")]
    InvalidParameters(#[from] CkksError),
    /// Bytes follow the end of the object.
    #[error("{count} trailing bytes after the object")]
    TrailingBytes {
        /// Number of extra bytes.
        count: usize,
    },
}
