//! Every rejection path of the parameter builder, and the presets.

use super::*;
use crate::error::CkksError;
use crate::params::SecurityLevel;

fn small() -> ParametersBuilder {
    Parameters::builder().log_n(10).q_bits(&[50, 40]).p_bits(&[50]).insecure_for_testing_only()
}

#[test]
fn presets_are_valid_and_within_the_bound() {
    for preset in Preset::ALL {
        let params = preset.build().unwrap();
        assert!(!params.is_insecure());
        let bound = max_log_qp_128(params.log_n()).unwrap();
        assert!(params.log_qp_bits() <= bound, "{preset:?}");
        let mut all: Vec<u64> = params.q_primes().iter().chain(params.p_primes()).copied().collect();
        all.sort_unstable();
        all.dedup();
        assert_eq!(all.len(), params.q_primes().len() + params.p_primes().len(), "distinct primes");
    }
    let p = Preset::N16384Depth7.build().unwrap();
    // Eight Q primes: depth 7, the top level.
    assert_eq!((p.n(), p.max_level(), p.p_primes().len(), p.dnum(), p.primes_per_digit()), (16384, 7, 2, 4, 2));
    assert_eq!(p.log_qp_bits(), 438);
    let p = Preset::N8192Depth2.build().unwrap();
    assert_eq!((p.q_primes().len(), p.max_level(), p.dnum(), p.log_qp_bits()), (3, 2, 3, 200));
}

#[test]
fn default_dnum_follows_the_special_modulus() {
    let params = Parameters::builder().log_n(14).q_bits(&[60, 40, 40, 40, 40, 40, 40, 40]).p_bits(&[49, 49]).build();
    assert_eq!(params.unwrap().dnum(), 4);
    let params = Parameters::builder().log_n(13).q_bits(&[60, 40, 40]).p_bits(&[60]).build().unwrap();
    assert_eq!(params.dnum(), 3);
    // One prime per digit: level ℓ has ℓ + 1 digits.
    assert_eq!((params.digits_at_level(0), params.digits_at_level(1), params.digits_at_level(2)), (1, 2, 3));
}

#[test]
fn ring_degree_rejections() {
    let err = Parameters::builder().log_n(11).q_bits(&[30]).p_bits(&[20]).build().unwrap_err();
    assert_eq!(err, CkksError::LogDegreeOutOfRange { log_n: 11, min: 12, max: 16 });
    let err = Parameters::builder().log_n(17).q_bits(&[30]).p_bits(&[30]).build().unwrap_err();
    assert_eq!(err, CkksError::LogDegreeOutOfRange { log_n: 17, min: 12, max: 16 });
    let err = Parameters::builder().q_bits(&[30]).p_bits(&[30]).build().unwrap_err();
    assert!(matches!(err, CkksError::LogDegreeOutOfRange { log_n: 0, .. }));
    let err = small().log_n(3).build().unwrap_err();
    assert_eq!(err, CkksError::LogDegreeOutOfRange { log_n: 3, min: 4, max: 16 });
    assert!(small().build().unwrap().is_insecure());
}

#[test]
fn chain_rejections() {
    assert_eq!(Parameters::builder().log_n(12).p_bits(&[30]).build().unwrap_err(), CkksError::EmptyModulusChain);
    assert_eq!(Parameters::builder().log_n(12).q_bits(&[]).build().unwrap_err(), CkksError::EmptyModulusChain);
    assert_eq!(Parameters::builder().log_n(12).q_bits(&[40]).build().unwrap_err(), CkksError::MissingSpecialPrimes);
    assert_eq!(
        small().q_bits(&[63]).build().unwrap_err(),
        CkksError::PrimeBitsOutOfRange { bits: 63, min: MIN_PRIME_BITS, max: MAX_PRIME_BITS }
    );
    assert!(matches!(small().q_bits(&[16]).build().unwrap_err(), CkksError::PrimeBitsOutOfRange { bits: 16, .. }));
    // 97 is prime but not 1 mod 2048; 2049 is 1 mod 2048 but not prime.
    assert_eq!(small().q_primes(&[97]).build().unwrap_err(), CkksError::InvalidPrime { q: 97, two_n: 2048 });
    assert_eq!(small().p_primes(&[2049]).build().unwrap_err(), CkksError::InvalidPrime { q: 2049, two_n: 2048 });
    let q = small().build().unwrap().q_primes()[0];
    assert_eq!(small().q_primes(&[q]).p_primes(&[q]).build().unwrap_err(), CkksError::DuplicatePrime { q });
    // Generated primes avoid explicit ones of the same size.
    let params = small().q_primes(&[q]).p_bits(&[50]).build().unwrap();
    assert_ne!(params.p_primes()[0], q);
    // Too many primes of a size for the degree: an arithmetic-layer error.
    assert!(matches!(small().q_bits(&[17; 40]).build().unwrap_err(), CkksError::Ntt(_)));
}

#[test]
fn security_bound_is_enforced_unless_opted_out() {
    let err = Parameters::builder().log_n(12).q_bits(&[40, 30]).p_bits(&[40]).build().unwrap_err();
    assert_eq!(err, CkksError::SecurityBoundExceeded { log_n: 12, log_qp: 110, max_log_qp: 109 });
    let err = Parameters::builder().log_n(14).q_bits(&[60; 7]).p_bits(&[60]).build().unwrap_err();
    assert_eq!(err, CkksError::SecurityBoundExceeded { log_n: 14, log_qp: 480, max_log_qp: 438 });
    let ok = Parameters::builder().log_n(12).q_bits(&[60, 40]).p_bits(&[60]).insecure_for_testing_only().build();
    assert!(ok.unwrap().is_insecure());
}

#[test]
fn dnum_and_special_modulus_rejections() {
    assert_eq!(small().dnum(0).build().unwrap_err(), CkksError::DnumOutOfRange { dnum: 0, max: 2 });
    assert_eq!(small().dnum(3).build().unwrap_err(), CkksError::DnumOutOfRange { dnum: 3, max: 2 });
    // One digit of 90 bits against a 50-bit P: 40 bits of excess.
    assert_eq!(
        small().dnum(1).build().unwrap_err(),
        CkksError::SpecialModulusTooSmall { log_p: 50, digit_bits: 90, max_excess: MAX_DIGIT_EXCESS_BITS }
    );
    // Even a single prime is too wide for a tiny P.
    assert_eq!(
        small().p_bits(&[20]).build().unwrap_err(),
        CkksError::SpecialModulusTooSmall { log_p: 20, digit_bits: 50, max_excess: MAX_DIGIT_EXCESS_BITS }
    );
}

#[test]
fn scale_and_secret_rejections() {
    assert!(matches!(small().log_scale(0.5).build().unwrap_err(), CkksError::ScaleOutOfRange { .. }));
    assert!(matches!(small().log_scale(f64::NAN).build().unwrap_err(), CkksError::ScaleOutOfRange { .. }));
    let weight = |w| SecretDistribution::FixedHammingWeight { weight: w };
    assert_eq!(
        small().secret_distribution(weight(0)).build().unwrap_err(),
        CkksError::HammingWeightOutOfRange { weight: 0, n: 1024 }
    );
    assert_eq!(
        small().secret_distribution(weight(1025)).build().unwrap_err(),
        CkksError::HammingWeightOutOfRange { weight: 1025, n: 1024 }
    );
    assert!(small().secret_distribution(weight(64)).build().is_ok());
}

#[test]
fn fingerprint_separates_parameter_sets() {
    let a = small().build().unwrap();
    let b = small().log_scale(30.0).build().unwrap();
    let c = small().secret_distribution(SecretDistribution::FixedHammingWeight { weight: 64 }).build().unwrap();
    assert_eq!(a.fingerprint(), small().build().unwrap().fingerprint());
    assert_ne!(a.fingerprint(), b.fingerprint());
    assert_ne!(a.fingerprint(), c.fingerprint());
}

#[test]
fn error_messages_name_the_values() {
    let err = CkksError::SecurityBoundExceeded { log_n: 12, log_qp: 120, max_log_qp: 109 };
    assert_eq!(err.to_string(), "log2(QP) = 120 bits exceeds the 128-bit security bound of 109 bits for N = 2^12");
}

/// A secret of Hamming weight 1 used to build without the opt-in and report itself secure; it
/// is found by trying the 2N candidates `±X^i` against one ciphertext.
#[test]
fn sparse_secrets_need_the_insecure_opt_in() {
    for weight in [1, 64, 192] {
        let secret = SecretDistribution::FixedHammingWeight { weight };
        let err = Parameters::builder()
            .log_n(14)
            .q_bits(&[60, 40, 40])
            .p_bits(&[60])
            .secret_distribution(secret)
            .build()
            .unwrap_err();
        assert_eq!(err, CkksError::UncertifiedSecretDistribution { secret });
        assert!(err.to_string().contains("insecure opt-in"), "{err}");
        let params = small().secret_distribution(secret).build().unwrap();
        assert!(params.is_insecure());
        assert_eq!(params.security_level(), None);
    }
}

#[test]
fn security_level_follows_the_standard_table() {
    let level = |q: &[u32], p: &[u32]| Parameters::builder().log_n(14).q_bits(q).p_bits(p).build().unwrap();
    assert_eq!(Preset::N16384Depth7.build().unwrap().security_level(), Some(SecurityLevel::Bits128));
    // 60 + 40·4 + 60 = 280 ≤ 305: 192 bits; 60 + 40 + 60 = 160 ≤ 237: 256 bits.
    assert_eq!(level(&[60, 40, 40, 40, 40], &[60]).security_level(), Some(SecurityLevel::Bits192));
    assert_eq!(level(&[60, 40], &[60]).security_level(), Some(SecurityLevel::Bits256));
    // Insecure sets outside the bound are certified at no level.
    let big = Parameters::builder().log_n(12).q_bits(&[60, 60]).p_bits(&[60]).insecure_for_testing_only();
    assert_eq!(big.build().unwrap().security_level(), None);
}

#[test]
fn the_default_scale_must_encode_one_at_the_lowest_level() {
    // q_0, a prime just below 2^50, holds a scale of at most q_0/4, a little below 2^48.
    assert!(small().log_scale(47.9).build().is_ok());
    let err = small().log_scale(48.0).build().unwrap_err();
    assert!(matches!(err, CkksError::ScaleExceedsBasePrime { log_scale: 48.0, .. }), "{err:?}");
    assert!(err.to_string().contains("does not fit the 50.0-bit base prime"), "{err}");
}
