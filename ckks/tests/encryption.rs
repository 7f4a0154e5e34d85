//! Encoding, encryption and decryption laws with precision thresholds.

mod common;

use common::*;
use spencnn_ckks::*;

#[test]
fn encoder_round_trip_full_and_sparse() {
    let f = Fixture::new(law_params());
    for slots in [1usize, 2, 16, 256, f.slots()] {
        let values = random_values(slots, slots as u64);
        for level in [0, f.top()] {
            let pt = f.encoder.encode_complex(&values, slots, level, f.scale()).unwrap();
            let decoded = f.encoder.decode_complex(&pt).unwrap();
            // Rounding to integers at scale 2^40 leaves ~2^-40·sqrt(N) error.
            assert_precision(&format!("encode/decode slots={slots} level={level}"), &values, &decoded, 34.0);
        }
    }
    let real = [0.5, -1.25, 3.0];
    let pt = f.encoder.encode_real(&real, 4, 1, f.scale()).unwrap();
    let decoded = f.encoder.decode_real(&pt).unwrap();
    for (d, e) in decoded.iter().zip(real.iter().chain([0.0].iter())) {
        assert!((d - e).abs() < 1e-9);
    }
}

#[test]
fn encoder_handles_large_scales_and_values() {
    // Scale 2^60 times values up to 2^10 exceeds i64: the i128 path and the multi-limb CRT.
    let f = Fixture::new(law_params());
    let values: Vec<Complex> = random_values(64, 9).into_iter().map(|z| z.scale(1024.0)).collect();
    let pt = f.encoder.encode_complex(&values, 64, f.top(), 2f64.powi(60)).unwrap();
    assert_precision("large encode", &values, &f.encoder.decode_complex(&pt).unwrap(), 38.0);
}

#[test]
fn encoder_rejections() {
    let f = Fixture::new(law_params());
    let max = f.slots();
    let e = &f.encoder;
    assert_eq!(e.encode_real(&[1.0], 3, 0, 1e6).unwrap_err(), CkksError::InvalidSlotCount { slots: 3, max });
    assert_eq!(
        e.encode_real(&[1.0], 2 * max, 0, 1e6).unwrap_err(),
        CkksError::InvalidSlotCount { slots: 2 * max, max }
    );
    assert_eq!(e.encode_real(&[1.0; 5], 4, 0, 1e6).unwrap_err(), CkksError::TooManyValues { given: 5, slots: 4 });
    // Four Q primes: levels 0..=3.
    assert_eq!(e.encode_real(&[1.0], 4, 4, 1e6).unwrap_err(), CkksError::LevelOutOfRange { level: 4, min: 0, max: 3 });
    assert_eq!(e.encode_real(&[1.0], 4, 0, -1.0).unwrap_err(), CkksError::InvalidScale { scale: -1.0 });
    assert!(matches!(e.encode_real(&[f64::NAN], 4, 0, 1e6).unwrap_err(), CkksError::EncodingOverflow { .. }));
    // About 2^166: too large for level 0 (60 bits); inside the top level's 180 bits, but beyond
    // the encoder's 2^127 integer range.
    assert!(matches!(e.encode_real(&[1e30], 4, 0, 1e20).unwrap_err(), CkksError::ValueExceedsModulus { level: 0, .. }));
    assert!(matches!(e.encode_real(&[1e30], 4, 3, 1e20).unwrap_err(), CkksError::EncodingOverflow { .. }));
}

#[test]
fn fresh_public_and_secret_key_encryption_meet_the_threshold() {
    let mut f = Fixture::new(law_params());
    let log_n = f.ctx.params().log_n() as f64;
    let threshold = 40.0 - (log_n + 2.0);
    let values = random_values(f.slots(), 1);
    let ct = f.encrypt(&values);
    assert!(ct.seed().is_none());
    assert_precision("fresh pk", &values, &f.decrypt(&ct), threshold);

    let pt = f.encoder.encode_complex(&values, f.slots(), f.top(), f.scale()).unwrap();
    let ct = f.encryptor.encrypt_symmetric(&pt, &f.sk).unwrap();
    assert!(ct.seed().is_some(), "symmetric ciphertexts keep their seed");
    assert_precision("fresh sk", &values, &f.decrypt(&ct), threshold);
    // Any modification forgets the seed.
    let doubled = f.evaluator.add(&ct, &ct).unwrap();
    assert!(doubled.seed().is_none());

    // Encryption at the lowest level (only q_0) works too.
    let pt = f.encoder.encode_complex(&values, f.slots(), 0, f.scale()).unwrap();
    let ct = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    assert_eq!(ct.level(), 0);
    assert_precision("fresh pk level 0", &values, &f.decrypt(&ct), threshold);
}

#[test]
fn fixed_hamming_weight_secret_works() {
    let params = Parameters::builder()
        .log_n(11)
        .q_bits(&[60, 40])
        .p_bits(&[60])
        .secret_distribution(SecretDistribution::FixedHammingWeight { weight: 64 })
        .insecure_for_testing_only()
        .build()
        .unwrap();
    let mut f = Fixture::new(params);
    let values = random_values(f.slots(), 2);
    let ct = f.encrypt(&values);
    assert_precision("hamming weight 64", &values, &f.decrypt(&ct), 40.0 - 13.0);
}

#[test]
fn secret_key_debug_is_redacted() {
    let f = Fixture::new(law_params());
    let text = format!("{:?}", f.sk);
    assert!(text.starts_with("SecretKey"), "{text}");
    assert!(text.contains("fingerprint"));
    // No digit run long enough to be a residue, and no polynomial content.
    let longest_digits = text.split(|c: char| !c.is_ascii_digit()).map(str::len).max().unwrap_or(0);
    assert!(longest_digits < 5, "{text}");
    assert!(!text.contains("data"));
}

#[test]
fn objects_from_other_parameters_are_rejected() {
    let mut f = Fixture::new(law_params());
    let other = Fixture::new(
        Parameters::builder()
            .log_n(12)
            .q_bits(&[60, 40, 40, 40])
            .p_bits(&[60])
            .log_scale(30.0)
            .insecure_for_testing_only()
            .build()
            .unwrap(),
    );
    let ct = f.encrypt(&random_values(4, 3));
    let expected = f.ctx.params().fingerprint();
    let found = other.ctx.params().fingerprint();
    assert_eq!(
        other.evaluator.add(&ct, &ct).unwrap_err(),
        CkksError::ParameterMismatch { expected: found, found: expected }
    );
    assert!(matches!(other.decryptor.decrypt(&ct, &other.sk), Err(CkksError::ParameterMismatch { .. })));
    assert!(matches!(f.decryptor.decrypt(&ct, &other.sk), Err(CkksError::ParameterMismatch { .. })));
}
