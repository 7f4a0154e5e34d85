//! Errors of the arithmetic layer.

use thiserror::Error;

/// Everything that can go wrong when building plans or calling kernels of `spencnn-ntt`.
///
/// Every variant carries the offending values, so a caller can report precisely what was
/// rejected. Kernels never panic on bad sizes; they return [`NttError::LengthMismatch`].
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[non_exhaustive]
pub enum NttError {
    /// The ring degree must be a power of two.
    #[error("ring degree {n} is not a power of two")]
    DegreeNotPowerOfTwo {
        /// The rejected degree.
        n: usize,
    },
    /// The ring degree is a power of two but outside the supported range.
    #[error("ring degree {n} is outside the supported range {min}..={max}")]
    DegreeOutOfRange {
        /// The rejected degree.
        n: usize,
        /// Smallest supported degree.
        min: usize,
        /// Largest supported degree.
        max: usize,
    },
    /// The modulus must be odd (even moduli have no Shoup/Barrett inverse of 2).
    #[error("modulus {q} is even")]
    EvenModulus {
        /// The rejected modulus.
        q: u64,
    },
    /// The modulus is too small or too large for word-size lazy arithmetic.
    #[error("modulus {q} is outside the supported range 3..2^{max_bits}")]
    ModulusOutOfRange {
        /// The rejected modulus.
        q: u64,
        /// Moduli must be below `2^max_bits`.
        max_bits: u32,
    },
    /// The modulus is not a prime (an NTT needs a field).
    #[error("modulus {q} is not prime")]
    ModulusNotPrime {
        /// The rejected modulus.
        q: u64,
    },
    /// The modulus is prime but not congruent to 1 modulo 2n, so no primitive 2n-th root exists.
    #[error("modulus {q} is not congruent to 1 mod 2n = {two_n}")]
    ModulusNotNttFriendly {
        /// The rejected modulus.
        q: u64,
        /// Twice the ring degree.
        two_n: u64,
    },
    /// A slice handed to a kernel has the wrong length.
    #[error("slice length {actual} does not match the expected length {expected}")]
    LengthMismatch {
        /// The length the kernel needs.
        expected: usize,
        /// The length it was given.
        actual: usize,
    },
    /// The requested bit size for prime generation is unsupported.
    #[error("prime bit size {bits} is outside the supported range {min}..={max}")]
    PrimeBitsOutOfRange {
        /// The rejected bit size.
        bits: u32,
        /// Smallest supported bit size.
        min: u32,
        /// Largest supported bit size.
        max: u32,
    },
    /// Fewer NTT-friendly primes of the requested size exist than were asked for.
    #[error("only {found} primes of {bits} bits are congruent to 1 mod {two_n}, {requested} were requested")]
    NotEnoughPrimes {
        /// Bit size requested.
        bits: u32,
        /// Twice the ring degree.
        two_n: u64,
        /// Number of primes requested.
        requested: usize,
        /// Number of primes that exist.
        found: usize,
    },
    /// A Galois element must be odd and below 2n.
    #[error("Galois element {k} is not an odd number below 2n = {two_n}")]
    InvalidGaloisElement {
        /// The rejected element.
        k: u64,
        /// Twice the ring degree.
        two_n: u64,
    },
    /// The requested instruction set is not available on this CPU.
    #[error("instruction set {isa} is not available on this CPU")]
    IsaUnavailable {
        /// Name of the instruction set.
        isa: &'static str,
    },
}
