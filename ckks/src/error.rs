//! Errors of the CKKS layer.

use spencnn_ntt::NttError;
use thiserror::Error;

/// Everything that can go wrong when building parameters, keys, or evaluating.
///
/// Every variant carries the offending values so that a caller can report precisely what was
/// rejected. Public operations never panic on bad input; they return one of these.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum CkksError {
    /// An error from the arithmetic layer (NTT plans, moduli, kernels).
    #[error("arithmetic layer: {0}")]
    Ntt(#[from] NttError),

    /// `log2(N)` is outside the supported range.
    #[error("log2 of the ring degree {log_n} is outside {min}..={max}")]
    LogDegreeOutOfRange {
        /// The rejected `log2(N)`.
        log_n: u32,
        /// Smallest accepted value (depends on the insecure opt-in).
        min: u32,
        /// Largest accepted value.
        max: u32,
    },
    /// The ciphertext modulus chain `Q` is empty.
    #[error("the ciphertext modulus chain Q is empty")]
    EmptyModulusChain,
    /// No special prime `P` was given; hybrid key switching needs at least one.
    #[error("at least one special prime P is needed for key switching")]
    MissingSpecialPrimes,
    /// A requested prime size is unsupported.
    #[error("prime size of {bits} bits is outside {min}..={max}")]
    PrimeBitsOutOfRange {
        /// The rejected size.
        bits: u32,
        /// Smallest size.
        min: u32,
        /// Largest size.
        max: u32,
    },
    /// An explicit prime is not prime, not below `2^62`, or not `≡ 1 (mod 2N)`.
    #[error("{q} is not a prime below 2^62 congruent to 1 mod 2N = {two_n}")]
    InvalidPrime {
        /// The rejected value.
        q: u64,
        /// Twice the ring degree.
        two_n: u64,
    },
    /// The same prime appears twice across `Q` and `P`.
    #[error("prime {q} appears more than once across Q and P")]
    DuplicatePrime {
        /// The repeated prime.
        q: u64,
    },
    /// `log2(Q·P)` exceeds the HomomorphicEncryption.org 128-bit bound for this ring degree.
    #[error("log2(QP) = {log_qp} bits exceeds the 128-bit security bound of {max_log_qp} bits for N = 2^{log_n}")]
    SecurityBoundExceeded {
        /// `log2(N)`.
        log_n: u32,
        /// The total bit size of `Q·P` (sum of the primes' bit lengths).
        log_qp: u32,
        /// The bound.
        max_log_qp: u32,
    },
    /// The number of key-switching digits is out of range.
    #[error("dnum = {dnum} is outside 1..={max} (the number of Q primes)")]
    DnumOutOfRange {
        /// The rejected value.
        dnum: usize,
        /// The number of Q primes.
        max: usize,
    },
    /// The special modulus is too small for the largest key-switching digit: the key-switching
    /// noise would grow by `2^(digit_bits - log_p)`.
    #[error(
        "special modulus of {log_p} bits is too small for a {digit_bits}-bit key-switching digit (at most {max_excess} bits excess allowed)"
    )]
    SpecialModulusTooSmall {
        /// Bit size of `P`.
        log_p: u32,
        /// Bit size of the largest digit.
        digit_bits: u32,
        /// Allowed excess of the digit over `P`, in bits.
        max_excess: u32,
    },
    /// The default scale is not usable.
    #[error("log2 of the scale {log_scale} is outside {min}..={max}")]
    ScaleOutOfRange {
        /// The rejected `log2(scale)`.
        log_scale: f64,
        /// Smallest accepted.
        min: f64,
        /// Largest accepted.
        max: f64,
    },
    /// The default scale is too large for the base prime: a value of magnitude 1 would not
    /// encode at the lowest level (see [`crate::encoding::ENCODING_HEADROOM_BITS`]).
    #[error(
        "a scale of 2^{log_scale} does not fit the {log_q0:.1}-bit base prime q_0: at most 2^{max_log_scale:.1} \
         (one bit for the sign, one of headroom)"
    )]
    ScaleExceedsBasePrime {
        /// The rejected `log2(scale)`.
        log_scale: f64,
        /// `log2(q_0)`.
        log_q0: f64,
        /// The largest accepted `log2(scale)`.
        max_log_scale: f64,
    },
    /// The secret distribution has no cited security estimate at this ring degree (sparse
    /// secrets): building it needs the insecure opt-in.
    #[error(
        "the secret distribution {secret:?} has no cited security estimate at this ring degree; it needs the \
         insecure opt-in (certified: the uniform ternary secret, and Hamming weight 32 at N = 2^16)"
    )]
    UncertifiedSecretDistribution {
        /// The refused distribution.
        secret: crate::params::SecretDistribution,
    },
    /// The fixed Hamming weight of the secret is out of range.
    #[error("secret Hamming weight {weight} is outside 1..={n}")]
    HammingWeightOutOfRange {
        /// The rejected weight.
        weight: usize,
        /// The ring degree.
        n: usize,
    },

    /// The slot count is not a power of two in `1..=N/2`.
    #[error("slot count {slots} is not a power of two in 1..={max}")]
    InvalidSlotCount {
        /// The rejected count.
        slots: usize,
        /// `N/2`.
        max: usize,
    },
    /// More values than slots were given to the encoder.
    #[error("{given} values do not fit in {slots} slots")]
    TooManyValues {
        /// Number of values given.
        given: usize,
        /// Number of slots.
        slots: usize,
    },
    /// A scaled value does not fit the encoder's integer range (or is not finite).
    #[error("a scaled value {value:e} is not finite or exceeds 2^126 in magnitude")]
    EncodingOverflow {
        /// The offending scaled value.
        value: f64,
    },
    /// A scaled value is too large for the modulus at the level it is encoded at: it would
    /// wrap around and decode to a wrong value.
    #[error(
        "a scaled value of 2^{log2_magnitude:.1} does not fit level {level}: at most 2^{log2_max:.1} \
         (Q_{level}/2^(1 + headroom)); encode at a higher level or a smaller scale"
    )]
    ValueExceedsModulus {
        /// `log2` of the largest scaled coefficient.
        log2_magnitude: f64,
        /// The level encoded at.
        level: usize,
        /// `log2` of the largest accepted magnitude.
        log2_max: f64,
    },
    /// A scale is not a positive finite number.
    #[error("scale {scale} is not a positive finite number")]
    InvalidScale {
        /// The rejected scale.
        scale: f64,
    },

    /// A level is out of range (level `ℓ` means the `ℓ + 1` primes `q_0, …, q_ℓ`; see the
    /// crate documentation).
    #[error("level {level} is outside {min}..={max}")]
    LevelOutOfRange {
        /// The rejected level.
        level: usize,
        /// Smallest valid level for this operation.
        min: usize,
        /// Largest valid level.
        max: usize,
    },
    /// Two operands are at different levels.
    #[error(
        "operands are at different levels ({left} and {right}): bring the higher one down with \
         `Evaluator::adjust_to` (exact scale) or `drop_to_level`, or use `ManagedEvaluator`"
    )]
    LevelMismatch {
        /// Level of the first operand.
        left: usize,
        /// Level of the second operand.
        right: usize,
    },
    /// Two operands have scales that differ beyond the relative tolerance.
    #[error(
        "operands have different scales ({} vs {}): a scale changes exactly only with a rescale; \
         bring one operand to the other's level and scale with `Evaluator::adjust_to`, encode \
         plaintexts at the ciphertext's scale, or use `ManagedEvaluator`",
        crate::evaluator::format_log2(*.left),
        crate::evaluator::format_log2(*.right)
    )]
    ScaleMismatch {
        /// Scale of the first operand.
        left: f64,
        /// Scale of the second operand.
        right: f64,
    },
    /// Two operands encode different slot counts.
    #[error("operands have different slot counts ({left} and {right})")]
    SlotCountMismatch {
        /// Slots of the first operand.
        left: usize,
        /// Slots of the second operand.
        right: usize,
    },
    /// An object was made under different parameters than the context it is used with.
    #[error("object made under parameters {found:#018x}, expected {expected:#018x}")]
    ParameterMismatch {
        /// Fingerprint of the context's parameters.
        expected: u64,
        /// Fingerprint found on the object.
        found: u64,
    },
    /// Two RNS polynomials do not share the same basis.
    #[error("RNS polynomials have different bases ({left_limbs} and {right_limbs} limbs)")]
    BasisMismatch {
        /// Limbs of the first operand.
        left_limbs: usize,
        /// Limbs of the second operand.
        right_limbs: usize,
    },
    /// A polynomial or key handed to a key-switching step does not have the limbs the step
    /// needs (or was made for another ring).
    #[error("a polynomial of degree {n} with {q_limbs} Q and {p_limbs} P limbs is not {expected}")]
    UnexpectedBasis {
        /// Its ring degree.
        n: usize,
        /// Its number of Q limbs.
        q_limbs: usize,
        /// Its number of P limbs.
        p_limbs: usize,
        /// What the step needs.
        expected: &'static str,
    },
    /// The ciphertext has the wrong number of polynomials for the operation.
    #[error("ciphertext has {size} polynomials, the operation needs {expected}")]
    CiphertextSize {
        /// The ciphertext's size.
        size: usize,
        /// The size needed.
        expected: usize,
    },
    /// No Galois key was generated for this rotation or conjugation.
    #[error("no Galois key for element {galois_element} (rotation step {step:?})")]
    MissingGaloisKey {
        /// The Galois element needed.
        galois_element: u64,
        /// The rotation step, `None` for conjugation.
        step: Option<i64>,
    },
    /// A plaintext used in the double-hoisted sum lacks its special-prime limbs.
    #[error("plaintext has no special-prime limbs; encode it with `encode_*_extended`")]
    PlaintextNotExtended,
    /// The flooding noise of a [`crate::PublicDecryptor`] is not finite, negative, or too
    /// large for the decoder's `f64` coefficients.
    #[error("flooding noise of 2^{log2_magnitude} is outside 0..=2^{max}")]
    FloodingOutOfRange {
        /// `log2` of the requested standard deviation or bound.
        log2_magnitude: f64,
        /// The largest accepted `log2`.
        max: f64,
    },
    /// The rounding precision of a [`crate::PublicDecryptor`] is out of range.
    #[error("rounding precision of {bits} bits is outside 0..={max}")]
    PrecisionOutOfRange {
        /// Requested bits after the binary point.
        bits: u32,
        /// Largest accepted.
        max: u32,
    },
    /// A switching key made for a lower level than the ciphertext it should switch (keys at
    /// level `ℓ` cover ciphertexts up to level `ℓ`).
    #[error("the key covers levels up to {key_level}, the ciphertext is at level {level}")]
    KeyLevelTooLow {
        /// The key's level.
        key_level: usize,
        /// The ciphertext's level.
        level: usize,
    },
    /// Two key sets being merged hold a key for the same Galois element.
    #[error("a Galois key for element {galois_element} is already present")]
    DuplicateGaloisKey {
        /// The element.
        galois_element: u64,
    },
    /// An accumulator was finished without any term.
    #[error("the rotation accumulator holds no term")]
    EmptyAccumulator,
}
