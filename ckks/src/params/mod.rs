//! Parameters: the ring degree, the prime chains `Q` and `P`, the scale, the secret
//! distribution and the key-switching digit count, validated against the 128-bit bound and
//! the secret-distribution policy ([`certified_security`]).

mod builder;
mod presets;
mod security;
#[cfg(test)]
mod tests;

pub use builder::{
    DEFAULT_DIGIT_EXCESS_BITS, ERROR_STD_DEV, MAX_DIGIT_EXCESS_BITS, MAX_PRIME_BITS, MIN_PRIME_BITS, Parameters,
    ParametersBuilder, SecretDistribution,
};
pub use presets::Preset;
pub use security::{
    ENCAPSULATION_HAMMING_WEIGHT, MAX_LOG_N, MAX_LOG_QP_SPARSE_H32_N65536, MIN_INSECURE_LOG_N, MIN_SECURE_LOG_N,
    SecurityLevel, certified_security, max_log_qp_128, max_log_qp_for,
};
