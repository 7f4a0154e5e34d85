//! Which parameter sets count as secure: the HomomorphicEncryption.org bounds on `log2(Q·P)`
//! per security level, and the policy of which secret distributions they certify.
//!
//! Figures from the Homomorphic Encryption Standard (Albrecht et al., 2018), Table 1, ternary
//! secrets with coefficients uniform in `{-1, 0, 1}`, error σ ≈ 3.2, classical security; SEAL
//! and OpenFHE use the same table (OpenFHE's `stdlatticeparms` adds `N = 2^16`, whose figures
//! are taken from there).
//!
//! **The secret-distribution policy** ([`max_log_qp_for`], [`certified_security`]) is the one
//! place that decides which secrets are secure. The uniform ternary secret has the standard's
//! table. A sparse secret (fixed Hamming weight `h`) is weaker than that table assumes: hybrid
//! and sparse-secret attacks guess its few non-zero positions, and a very small `h` (e.g.
//! `h = 1`: `2N` candidates) is found by brute force from a single ciphertext. A sparse secret
//! is therefore certified only where a cited estimate covers it, and otherwise needs the
//! insecure opt-in. To certify another one, add its estimate (per `h`, `N` and level, with the
//! run it comes from) as an arm of [`max_log_qp_for`] and a test pinning it.
//!
//! **The one certified sparse secret: `h = 32` at `N = 2^16`, `log2(Q·P) ≤ 121`, 128 bits.**
//! This is the ephemeral secret of sparse-secret encapsulation (Bossuat, Troncoso-Pastoriza,
//! Hubaux, "Bootstrapping for Approximate Homomorphic Encryption with Negligible
//! Failure-Probability by Using Sparse-Secret Encapsulation", ACNS 2022, ePrint 2022/024):
//! the secret appears in RLWE samples only modulo the small `q_0·P'` of the key that switches
//! a ciphertext at the lowest level to it, never at the large moduli of the computation. The
//! bound is the modulus those implementations use (Lattigo: a 60-bit `q_0` and a 61-bit `P'`,
//! 121 bits; HEaaN: 117 bits), as estimated by HomomorphicEncryption.org's SparseLWEkit with
//! the lattice estimator (commit `6019056`, σ = 3.2): at `N = 2^16`, `h = 32`, `log2 q = 121`
//! the cheapest attack (hybrid meet-in-the-middle BDD) costs `2^171.9` operations
//! (`log2 q = 117`: `2^172.9`); the estimator gives no finite cost for uSVP, BDD or dual
//! attacks. Only the 128-bit
//! level is certified (the margin over 128 is the estimator's; 192 bits is not claimed).

use super::builder::SecretDistribution;

/// Smallest `log2(N)` accepted without the insecure opt-in.
pub const MIN_SECURE_LOG_N: u32 = 12;
/// Largest `log2(N)` supported.
pub const MAX_LOG_N: u32 = 16;
/// Smallest `log2(N)` accepted with the insecure opt-in (the NTT's minimum is `2^4`).
pub const MIN_INSECURE_LOG_N: u32 = 4;

/// A classical security level of the HomomorphicEncryption.org standard: the attacks known
/// (primal, dual, hybrid) cost at least `2^bits` operations.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
#[non_exhaustive]
pub enum SecurityLevel {
    /// 128-bit classical security (what the builder enforces).
    Bits128,
    /// 192-bit classical security.
    Bits192,
    /// 256-bit classical security.
    Bits256,
}

impl SecurityLevel {
    /// Every level, weakest first.
    pub const ALL: [SecurityLevel; 3] = [SecurityLevel::Bits128, SecurityLevel::Bits192, SecurityLevel::Bits256];

    /// The level in bits (128, 192 or 256).
    pub fn bits(self) -> u32 {
        match self {
            SecurityLevel::Bits128 => 128,
            SecurityLevel::Bits192 => 192,
            SecurityLevel::Bits256 => 256,
        }
    }

    /// The level of `bits` (128, 192 or 256), `None` for any other value.
    pub fn from_bits(bits: u32) -> Option<Self> {
        Self::ALL.into_iter().find(|level| level.bits() == bits)
    }
}

impl std::fmt::Display for SecurityLevel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{}-bit", self.bits())
    }
}

/// Maximum `log2(Q·P)` of a uniform ternary secret at degree `2^log_n` for `level`, `None`
/// outside `2^10 ..= 2^16`.
fn max_log_qp_uniform_ternary(log_n: u32, level: SecurityLevel) -> Option<u32> {
    // Columns: 128, 192, 256 bits.
    let row: [u32; 3] = match log_n {
        10 => [27, 19, 14],
        11 => [54, 37, 29],
        12 => [109, 75, 58],
        13 => [218, 152, 118],
        14 => [438, 305, 237],
        15 => [881, 611, 476],
        16 => [1772, 1228, 956],
        _ => return None,
    };
    Some(row[level as usize])
}

/// The Hamming weight of the one certified sparse secret (see the module documentation).
pub const ENCAPSULATION_HAMMING_WEIGHT: usize = 32;

/// Maximum `log2(Q·P)` of the sparse secret of weight [`ENCAPSULATION_HAMMING_WEIGHT`] at
/// `N = 2^16` for 128 bits (see the module documentation for the estimate).
pub const MAX_LOG_QP_SPARSE_H32_N65536: u32 = 121;

/// Maximum `log2(Q·P)` (in bits) for `level` with secrets of distribution `secret` at ring
/// degree `2^log_n`, or `None` when no cited estimate covers that distribution and degree (see
/// the module documentation: the only sparse secret certified is `h = 32` at `N = 2^16`, up to
/// 121 bits, for 128 bits).
pub fn max_log_qp_for(secret: SecretDistribution, log_n: u32, level: SecurityLevel) -> Option<u32> {
    match secret {
        SecretDistribution::UniformTernary => max_log_qp_uniform_ternary(log_n, level),
        SecretDistribution::FixedHammingWeight { weight } => {
            let certified = weight == ENCAPSULATION_HAMMING_WEIGHT && log_n == 16 && level == SecurityLevel::Bits128;
            certified.then_some(MAX_LOG_QP_SPARSE_H32_N65536)
        }
    }
}

/// Maximum `log2(Q·P)` (in bits) for 128-bit classical security with a uniform ternary secret
/// at ring degree `2^log_n`, or `None` when the standard gives no secure modulus for that degree.
pub fn max_log_qp_128(log_n: u32) -> Option<u32> {
    max_log_qp_uniform_ternary(log_n, SecurityLevel::Bits128)
}

/// The highest level a cited estimate certifies for a secret of distribution `secret` at
/// degree `2^log_n` and `log2(Q·P) = log_qp` bits, `None` when none does (the modulus is too
/// large for 128 bits, or the distribution has no cited estimate).
pub fn certified_security(secret: SecretDistribution, log_n: u32, log_qp: u32) -> Option<SecurityLevel> {
    SecurityLevel::ALL
        .into_iter()
        .rev()
        .find(|&level| max_log_qp_for(secret, log_n, level).is_some_and(|max| log_qp <= max))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bound_matches_the_standard() {
        let bounds: Vec<_> = (12..=16).map(|log_n| max_log_qp_128(log_n).unwrap()).collect();
        assert_eq!(bounds, [109, 218, 438, 881, 1772]);
        assert_eq!(max_log_qp_128(17), None);
        assert_eq!(max_log_qp_128(3), None);
        let ternary = SecretDistribution::UniformTernary;
        let at = |level| (12..=16).map(|log_n| max_log_qp_for(ternary, log_n, level).unwrap()).collect::<Vec<_>>();
        assert_eq!(at(SecurityLevel::Bits192), [75, 152, 305, 611, 1228]);
        assert_eq!(at(SecurityLevel::Bits256), [58, 118, 237, 476, 956]);
    }

    #[test]
    fn only_the_cited_sparse_secret_is_certified() {
        let h32 = SecretDistribution::FixedHammingWeight { weight: 32 };
        assert_eq!(max_log_qp_for(h32, 16, SecurityLevel::Bits128), Some(121));
        assert_eq!(certified_security(h32, 16, 121), Some(SecurityLevel::Bits128));
        assert_eq!(certified_security(h32, 16, 122), None);
        assert_eq!(certified_security(h32, 16, 60), Some(SecurityLevel::Bits128));
        for log_n in [12, 13, 14, 15] {
            assert_eq!(certified_security(h32, log_n, 30), None, "log_n = {log_n}");
        }
        for weight in [31, 33, 64, 192] {
            let sparse = SecretDistribution::FixedHammingWeight { weight };
            assert_eq!(certified_security(sparse, 16, 60), None, "h = {weight}");
        }
    }

    #[test]
    fn only_the_uniform_ternary_secret_is_certified_below_n65536() {
        let ternary = SecretDistribution::UniformTernary;
        assert_eq!(certified_security(ternary, 14, 438), Some(SecurityLevel::Bits128));
        assert_eq!(certified_security(ternary, 14, 439), None);
        assert_eq!(certified_security(ternary, 14, 305), Some(SecurityLevel::Bits192));
        assert_eq!(certified_security(ternary, 14, 100), Some(SecurityLevel::Bits256));
        assert_eq!(certified_security(ternary, 17, 100), None);
        for weight in [1, 64, 192, 1 << 13] {
            let sparse = SecretDistribution::FixedHammingWeight { weight };
            assert_eq!(certified_security(sparse, 14, 60), None, "h = {weight}");
            assert!(SecurityLevel::ALL.iter().all(|&level| max_log_qp_for(sparse, 14, level).is_none()));
        }
    }

    #[test]
    fn levels_name_their_bits() {
        assert_eq!(SecurityLevel::ALL.map(SecurityLevel::bits), [128, 192, 256]);
        assert_eq!(SecurityLevel::from_bits(192), Some(SecurityLevel::Bits192));
        assert_eq!(SecurityLevel::from_bits(100), None);
        assert_eq!(SecurityLevel::Bits256.to_string(), "256-bit");
        assert!(SecurityLevel::Bits128 < SecurityLevel::Bits256);
    }
}
