//! Secret handling and releasing results: `PublicDecryptor` (noise flooding and rounding),
//! zeroization and redacted `Debug` output.

mod common;

use common::{Fixture, law_params, random_values};
use spencnn_ckks::scheme::{MAX_LOG2_FLOODING, MAX_PRECISION_BITS};
use spencnn_ckks::*;
use zeroize::Zeroize;

fn decoding(flooding: NoiseFlooding, precision_bits: Option<u32>) -> PublicDecoding {
    PublicDecoding { flooding, precision_bits }
}

/// Root-mean-square of the complex slot differences.
fn rms(a: &[Complex], b: &[Complex]) -> f64 {
    (a.iter().zip(b).map(|(&x, &y)| (x - y).abs().powi(2)).sum::<f64>() / a.len() as f64).sqrt()
}

#[test]
fn without_flooding_or_rounding_it_is_plain_decryption() {
    let mut f = Fixture::new(law_params());
    let values = random_values(f.slots(), 1);
    let ct = f.encrypt(&values);
    let mut public = PublicDecryptor::from_seed(&f.ctx, decoding(NoiseFlooding::None, None), [1; 32]).unwrap();
    assert_eq!(public.decrypt_complex(&ct, &f.sk).unwrap(), f.decrypt(&ct));
}

#[test]
fn flooding_adds_fresh_noise_of_the_stated_size() {
    let mut f = Fixture::new(law_params());
    let n = f.ctx.params().n() as f64;
    let scale = f.scale();
    let values = random_values(f.slots(), 2);
    let ct = f.encrypt(&values);
    let exact = f.decrypt(&ct);
    // A slot is a sum of N coefficients times unit roots over the scale: rms = sqrt(N)·σ/Δ.
    for (flooding, sigma) in [
        (NoiseFlooding::Uniform { log2_bound: 24 }, 2f64.powi(24) / 3f64.sqrt()),
        (NoiseFlooding::Gaussian { sigma: 2f64.powi(20) }, 2f64.powi(20)),
    ] {
        let mut public = PublicDecryptor::from_seed(&f.ctx, decoding(flooding, None), [2; 32]).unwrap();
        let first = public.decrypt_complex(&ct, &f.sk).unwrap();
        let second = public.decrypt_complex(&ct, &f.sk).unwrap();
        let expected = n.sqrt() * sigma / scale;
        let measured = rms(&first, &exact);
        println!("{flooding:?}: slot rms {measured:.3e}, expected {expected:.3e}");
        assert!((0.8..1.25).contains(&(measured / expected)), "{flooding:?}: {measured:e} vs {expected:e}");
        assert!(rms(&first, &second) > 0.5 * expected, "every release draws fresh noise");
    }
}

#[test]
fn released_values_are_rounded_to_the_stated_precision() {
    let mut f = Fixture::new(law_params());
    let values = random_values(f.slots(), 3);
    let ct = f.encrypt(&values);
    let policy = decoding(NoiseFlooding::Uniform { log2_bound: 16 }, Some(12));
    let released = PublicDecryptor::new(&f.ctx, policy).unwrap().decrypt_complex(&ct, &f.sk).unwrap();
    for (got, want) in released.iter().zip(&values) {
        for part in [got.re, got.im] {
            assert_eq!((part * 4096.0).fract(), 0.0, "{part} is a multiple of 2^-12");
        }
        assert!((*got - *want).abs() < 2f64.powi(-10), "{got:?} vs {want:?}");
    }
}

#[test]
fn invalid_policies_are_rejected() {
    let f = Fixture::new(law_params());
    for flooding in [
        NoiseFlooding::Uniform { log2_bound: MAX_LOG2_FLOODING + 1 },
        NoiseFlooding::Gaussian { sigma: f64::NAN },
        NoiseFlooding::Gaussian { sigma: -1.0 },
        NoiseFlooding::Gaussian { sigma: 2f64.powi(61) },
    ] {
        assert!(
            matches!(PublicDecryptor::new(&f.ctx, decoding(flooding, None)), Err(CkksError::FloodingOutOfRange { .. })),
            "{flooding:?}"
        );
    }
    assert_eq!(
        PublicDecryptor::new(&f.ctx, decoding(NoiseFlooding::None, Some(53))).unwrap_err(),
        CkksError::PrecisionOutOfRange { bits: 53, max: MAX_PRECISION_BITS }
    );
    assert_eq!(NoiseFlooding::smudging(10, 40, 1 << 14), NoiseFlooding::Uniform { log2_bound: 64 });
    assert!(PublicDecryptor::new(&f.ctx, decoding(NoiseFlooding::smudging(10, 40, 1 << 14), None)).is_err());
    assert_eq!(NoiseFlooding::smudging(u32::MAX, 40, 16), NoiseFlooding::Uniform { log2_bound: u32::MAX });
}

#[test]
fn secret_key_zeroizes_and_nothing_secret_is_printed() {
    let f = Fixture::new(law_params());
    let mut keygen = KeyGenerator::from_seed(&f.ctx, [4; 32]);
    let mut sk = keygen.secret_key();
    assert!(sk.poly().data().iter().any(|&x| x != 0));
    let printed = format!("{sk:?}");
    assert!(printed.starts_with("SecretKey") && !printed.contains("poly"), "{printed}");
    sk.zeroize();
    let wiped = sk.poly().data();
    assert!(!wiped.is_empty() && wiped.iter().all(|&x| x == 0), "zeroize wipes every residue in place");

    // Generators that sample secrets print no generator state.
    let keygen_debug = format!("{keygen:?}");
    assert!(keygen_debug.contains("rng: SecretRng(<redacted>)"), "{}", &keygen_debug[keygen_debug.len() - 80..]);
    let encryptor_debug = format!("{:?}", Encryptor::from_seed(&f.ctx, [5; 32]));
    assert!(encryptor_debug.contains("rng: SecretRng(<redacted>)"));
    let public = PublicDecryptor::new(&f.ctx, decoding(NoiseFlooding::None, None)).unwrap();
    assert!(format!("{public:?}").contains("rng: SecretRng(<redacted>)"));
    // Polynomials print their shape only.
    let printed = format!("{:?}", f.pk.components().0);
    assert!(printed.starts_with("RnsPoly") && !printed.contains("data"), "{printed}");
}

#[test]
fn a_decrypted_plaintext_can_be_wiped_after_decoding() {
    let mut f = Fixture::new(law_params());
    let values = random_values(f.slots(), 2);
    let ct = f.encrypt(&values);
    let mut pt = f.decryptor.decrypt(&ct, &f.sk).unwrap();
    let decoded = f.encoder.decode_complex(&pt).unwrap();
    assert!(decoded.iter().zip(&values).all(|(a, b)| (a.re - b.re).abs() < 1e-3));
    pt.zeroize();
    let wiped = f.encoder.decode_complex(&pt).unwrap();
    assert!(wiped.iter().all(|z| z.re == 0.0 && z.im == 0.0), "zeroize wipes every residue");
}
