//! The HomomorphicEncryption.org 128-bit classical security bound on `log2(Q·P)`.
//!
//! Figures from the Homomorphic Encryption Standard (Albrecht et al., 2018), Table 1, uniform
//! ternary secrets, error σ ≈ 3.2, classical 128-bit security; SEAL uses the same table.

/// Smallest `log2(N)` accepted without the insecure opt-in.
pub const MIN_SECURE_LOG_N: u32 = 12;
/// Largest `log2(N)` supported.
pub const MAX_LOG_N: u32 = 16;
/// Smallest `log2(N)` accepted with the insecure opt-in (the NTT's minimum is `2^4`).
pub const MIN_INSECURE_LOG_N: u32 = 4;

/// Maximum `log2(Q·P)` (in bits) for 128-bit classical security at ring degree `2^log_n`, or
/// `None` when the standard gives no secure modulus for that degree.
pub fn max_log_qp_128(log_n: u32) -> Option<u32> {
    match log_n {
        10 => Some(27),
        11 => Some(54),
        12 => Some(109),
        13 => Some(218),
        14 => Some(438),
        15 => Some(881),
        16 => Some(1772),
        _ => None,
    }
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
    }
}
