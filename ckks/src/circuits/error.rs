//! Errors of the circuits layer.

use thiserror::Error;

use crate::error::CkksError;

/// Everything that can go wrong when building or evaluating a circuit (a polynomial, an
/// approximation). Every variant carries the offending values; nothing here panics on bad input.
#[derive(Debug, Clone, PartialEq, Error)]
#[non_exhaustive]
pub enum CircuitError {
    /// An error of the evaluator below (parameters, levels, keys, encoding).
    #[error(transparent)]
    Ckks(#[from] CkksError),

    /// An interval `[a, b]` that is empty, reversed or not finite.
    #[error("interval [{a}, {b}] is not a finite interval with a < b")]
    InvalidInterval {
        /// Lower end.
        a: f64,
        /// Upper end.
        b: f64,
    },
    /// The interval does not satisfy the function's requirement (e.g. `1/x` needs `a > 0`).
    #[error("interval [{a}, {b}] is outside the domain of {function}: {requirement}")]
    IntervalOutsideDomain {
        /// Lower end.
        a: f64,
        /// Upper end.
        b: f64,
        /// The function.
        function: &'static str,
        /// What the interval must satisfy.
        requirement: &'static str,
    },
    /// A polynomial without coefficients.
    #[error("a polynomial needs at least one coefficient")]
    EmptyPolynomial,
    /// A coefficient (or a sampled function value) is NaN or infinite.
    #[error("coefficient {index} is not finite ({value})")]
    NonFiniteCoefficient {
        /// Index of the coefficient (or sample).
        index: usize,
        /// The value.
        value: f64,
    },
    /// The degree exceeds what the evaluator accepts.
    #[error("degree {degree} exceeds the maximum {max}")]
    DegreeTooLarge {
        /// The requested degree.
        degree: usize,
        /// The largest accepted degree.
        max: usize,
    },
    /// The ciphertext has fewer levels left than the circuit consumes.
    #[error(
        "the circuit consumes {needed} levels but the ciphertext at level {level} has only {available} left; \
         start from a higher level (or bootstrap first)"
    )]
    InsufficientLevels {
        /// Levels the circuit consumes.
        needed: usize,
        /// Levels the ciphertext can still consume (rescales left).
        available: usize,
        /// The ciphertext's level.
        level: usize,
    },
    /// No polynomial up to the maximum degree reaches the requested error.
    #[error("no degree up to {max_degree} reaches an error of {target_error:e} (best {achieved_error:e})")]
    ApproximationNotReached {
        /// The requested maximum error.
        target_error: f64,
        /// The largest degree tried.
        max_degree: usize,
        /// The smallest error reached.
        achieved_error: f64,
    },
    /// A precision or error target outside the supported range.
    #[error("{what} = {value} is outside {min}..={max}")]
    ParameterOutOfRange {
        /// Which parameter.
        what: &'static str,
        /// The rejected value.
        value: f64,
        /// Smallest accepted value.
        min: f64,
        /// Largest accepted value.
        max: f64,
    },
    /// The target scale is not a positive finite number.
    #[error("target scale {scale} is not a positive finite number")]
    InvalidTargetScale {
        /// The rejected scale.
        scale: f64,
    },
    /// A matrix dimension is not a power of two (or the rows of a dense matrix have other
    /// lengths than their count).
    #[error("matrix dimension {dimension} is not a power of two (or the matrix is not square)")]
    InvalidMatrixDimension {
        /// The rejected dimension.
        dimension: usize,
    },
    /// A diagonal (or vector) has the wrong number of entries for its matrix.
    #[error("diagonal {index} has {len} entries, the matrix dimension is {dimension}")]
    DiagonalLength {
        /// The diagonal's index as given.
        index: i64,
        /// Its number of entries.
        len: usize,
        /// The matrix dimension.
        dimension: usize,
    },
    /// A matrix entry is NaN or infinite.
    #[error("a matrix entry is not finite")]
    NonFiniteMatrixEntry,
    /// The baby-step span of a baby-step giant-step split is not a power of two up to the
    /// matrix dimension.
    #[error("baby-step span {baby_span} is not a power of two in 1..={dimension}")]
    InvalidBabySpan {
        /// The rejected span.
        baby_span: usize,
        /// The matrix dimension.
        dimension: usize,
    },
    /// A homomorphic DFT cannot be split into this many levels.
    #[error("a DFT over 2^{log_slots} slots cannot be split into {levels} levels (1..={log_slots})")]
    InvalidLevelBudget {
        /// The requested number of levels.
        levels: usize,
        /// `log2` of the slot count.
        log_slots: u32,
    },
    /// The parameters' chain has fewer levels than a bootstrapping circuit consumes.
    #[error("bootstrapping consumes {depth} levels, the chain's top level is {max_level}")]
    BootstrappingTooDeep {
        /// Levels the circuit consumes.
        depth: usize,
        /// The top level of the parameters.
        max_level: usize,
    },
    /// The modular-reduction approximation has a zero interval bound or degree.
    #[error("EvalMod needs a positive interval bound and degree (got K = {interval_bound}, degree {degree})")]
    InvalidEvalMod {
        /// The bound `K` of the interval `[−K, K]`.
        interval_bound: u32,
        /// The polynomial degree.
        degree: usize,
    },
    /// The bootstrapping circuit encapsulates into a sparse secret, and the keys lack the two
    /// encapsulation switching keys.
    #[error(
        "this bootstrapping circuit switches to a sparse secret before ModRaise, and the keys have no \
         encapsulation keys; generate them with the circuit's key requirements"
    )]
    MissingEncapsulationKeys,
}
