//! Values too large for the modulus at their level are refused with a typed error instead of
//! wrapping around (they would decode to a different number with no error), and a scale that
//! cannot encode 1.0 at the lowest level is refused when the parameters are built.

use spencnn_ckks::encoding::ENCODING_HEADROOM_BITS;
use spencnn_ckks::*;

fn small_secure_like() -> Parameters {
    // q_0 = 60 bits, then two 40-bit primes: level 0 holds |coefficients| up to 2^58.
    Parameters::builder()
        .log_n(12)
        .q_bits(&[60, 40, 40])
        .p_bits(&[60])
        .log_scale(40.0)
        .insecure_for_testing_only()
        .build()
        .unwrap()
}

/// The wrap-around seen with the depth-7 preset: 10^6 in every slot at scale 2^40 is about
/// 2^60 per coefficient, more than the 60-bit q_0 holds at level 0. It used to decrypt to
/// about -4.9e4; it is refused, and one level up (100 bits) it encodes and decrypts exactly.
#[test]
fn a_million_at_scale_2_40_does_not_wrap_at_the_lowest_level() {
    let params = Preset::N16384Depth7.build().unwrap();
    let ctx = Context::new(params).unwrap();
    let encoder = Encoder::new(&ctx);
    let slots = ctx.params().max_slots();
    let values = vec![1e6; slots];
    let scale = 2f64.powi(40);
    let err = encoder.encode_real(&values, slots, 0, scale).unwrap_err();
    let CkksError::ValueExceedsModulus { log2_magnitude, level: 0, log2_max } = err else {
        panic!("expected ValueExceedsModulus, got {err:?}")
    };
    assert!((log2_magnitude - (1e6f64 * scale).log2()).abs() < 1e-9, "{log2_magnitude}");
    let log_q0 = (ctx.params().q_primes()[0] as f64).log2();
    assert!((log2_max - (log_q0 - 2.0)).abs() < 1e-9, "{log2_max} vs q_0 of {log_q0} bits");
    assert!(err.to_string().contains("does not fit level 0"), "{err}");

    let mut keygen = KeyGenerator::from_seed(&ctx, [1; 32]);
    let sk = keygen.secret_key();
    let pt = encoder.encode_real(&values, slots, 1, scale).unwrap();
    let ct = Encryptor::from_seed(&ctx, [2; 32]).encrypt_symmetric(&pt, &sk).unwrap();
    let decrypted = encoder.decode_real(&Decryptor::new(&ctx).decrypt(&ct, &sk).unwrap()).unwrap();
    let worst = decrypted.iter().map(|v| (v - 1e6).abs()).fold(0.0, f64::max);
    assert!(worst < 1e-3, "level 1 holds 10^6 at scale 2^40: worst error {worst}");
}

/// A scale of 2^55 over two 30-bit primes used to build and decode 1.0 as about 1e-9.
#[test]
fn a_scale_larger_than_the_base_prime_is_refused_when_building() {
    let err = Parameters::builder()
        .log_n(12)
        .q_bits(&[30, 30])
        .p_bits(&[30])
        .log_scale(55.0)
        .insecure_for_testing_only()
        .build()
        .unwrap_err();
    let CkksError::ScaleExceedsBasePrime { log_scale, log_q0, max_log_scale } = err else {
        panic!("expected ScaleExceedsBasePrime, got {err:?}")
    };
    assert_eq!(log_scale, 55.0);
    assert!((29.0..30.0).contains(&log_q0), "{log_q0}");
    assert!((max_log_scale - (log_q0 - 2.0)).abs() < 1e-12);
    // Just inside the bound builds, and encodes 1.0 at level 0.
    let params = Parameters::builder()
        .log_n(12)
        .q_bits(&[30, 30])
        .p_bits(&[30])
        .log_scale(max_log_scale.floor())
        .insecure_for_testing_only()
        .build()
        .unwrap();
    let ctx = Context::new(params).unwrap();
    let encoder = Encoder::new(&ctx);
    let pt = encoder.encode_real(&[1.0], 2, 0, ctx.params().default_scale()).unwrap();
    assert!((encoder.decode_real(&pt).unwrap()[0] - 1.0).abs() < 1e-6);
}

#[test]
fn the_bound_is_q_over_two_to_the_headroom_plus_one() {
    let ctx = Context::new(small_secure_like()).unwrap();
    let encoder = Encoder::new(&ctx);
    let q = ctx.params().q_primes();
    let bound_at = |level: usize| {
        q[..=level].iter().map(|&p| p as f64).product::<f64>() / f64::from(1u32 << (1 + ENCODING_HEADROOM_BITS))
    };
    for level in 0..=2 {
        let max = encoder.max_scaled_magnitude(level).unwrap();
        assert!((max / bound_at(level) - 1.0).abs() < 1e-12, "level {level}: {max} vs {}", bound_at(level));
    }
    assert!(matches!(encoder.max_scaled_magnitude(3), Err(CkksError::LevelOutOfRange { level: 3, .. })));
    // One slot at full scale: the coefficients are the value times the scale (the inverse FFT
    // of a constant vector is the constant), so the largest encodable constant is max / scale.
    let scale = 2f64.powi(40);
    let slots = 8;
    let max = encoder.max_scaled_magnitude(0).unwrap();
    let inside = 0.99 * max / scale;
    let pt = encoder.encode_real(&vec![inside; slots], slots, 0, scale).unwrap();
    let decoded = encoder.decode_real(&pt).unwrap();
    assert!(decoded.iter().all(|v| (v / inside - 1.0).abs() < 1e-9), "{decoded:?}");
    let outside = 1.01 * max / scale;
    assert!(matches!(
        encoder.encode_real(&vec![outside; slots], slots, 0, scale),
        Err(CkksError::ValueExceedsModulus { level: 0, .. })
    ));
    assert!(matches!(
        encoder.encode_real(&vec![-outside; slots], slots, 0, scale),
        Err(CkksError::ValueExceedsModulus { level: 0, .. })
    ));
    // The same value one level up fits.
    assert!(encoder.encode_real(&vec![outside; slots], slots, 1, scale).is_ok());
    // Extended plaintexts obey the bound of their Q part.
    assert!(matches!(
        encoder.encode_real_extended(&vec![outside; slots], slots, 0, scale),
        Err(CkksError::ValueExceedsModulus { .. })
    ));
}

#[test]
fn non_finite_values_are_refused_as_overflow() {
    let ctx = Context::new(small_secure_like()).unwrap();
    let encoder = Encoder::new(&ctx);
    for bad in [f64::NAN, f64::INFINITY, f64::NEG_INFINITY] {
        let err = encoder.encode_real(&[0.5, bad], 4, 2, 2f64.powi(30)).unwrap_err();
        assert!(matches!(err, CkksError::EncodingOverflow { .. }), "{bad}: {err:?}");
    }
}

/// Large-scale constants at high levels (as circuits encode them: a scale near the product of
/// several primes) still encode: the bound is per level.
#[test]
fn large_scales_encode_at_levels_that_hold_them() {
    let ctx = Context::new(small_secure_like()).unwrap();
    let encoder = Encoder::new(&ctx);
    let scale = 2f64.powi(110); // beyond level 1 (100 bits), inside level 2 (140 bits)
    assert!(matches!(encoder.encode_real(&[1.0], 4, 1, scale), Err(CkksError::ValueExceedsModulus { .. })));
    let pt = encoder.encode_real(&[0.75, -0.5], 4, 2, scale).unwrap();
    let decoded = encoder.decode_real(&pt).unwrap();
    assert!((decoded[0] - 0.75).abs() < 1e-12 && (decoded[1] + 0.5).abs() < 1e-12, "{decoded:?}");
}

#[test]
fn constants_added_to_a_ciphertext_obey_the_same_bound() {
    let ctx = Context::new(small_secure_like()).unwrap();
    let sk = KeyGenerator::from_seed(&ctx, [3; 32]).secret_key();
    let encoder = Encoder::new(&ctx);
    let scale = 2f64.powi(40);
    let pt = encoder.encode_real(&[0.5], 4, 0, scale).unwrap();
    let ct = Encryptor::from_seed(&ctx, [4; 32]).encrypt_symmetric(&pt, &sk).unwrap();
    let evaluator = Evaluator::new(&ctx);
    let max = encoder.max_scaled_magnitude(0).unwrap() / scale;
    assert!(matches!(evaluator.add_const(&ct, 1.01 * max), Err(CkksError::ValueExceedsModulus { level: 0, .. })));
    assert!(matches!(evaluator.add_const(&ct, f64::NAN), Err(CkksError::EncodingOverflow { .. })));
    let sum = evaluator.add_const(&ct, 2.0).unwrap();
    let decoded = encoder.decode_real(&Decryptor::new(&ctx).decrypt(&sum, &sk).unwrap()).unwrap();
    assert!((decoded[0] - 2.5).abs() < 1e-6, "{}", decoded[0]);
}
