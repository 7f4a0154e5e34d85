//! ModRaise: a ciphertext modulo `q_0` read as a ciphertext modulo `Q_ℓ`.
//!
//! A ciphertext `(c_0, c_1)` over `q_0` alone decrypts to `t = c_0 + c_1·s = Δ·m + e (mod q_0)`.
//! Lifting both polynomials to their centred representatives in `(−q_0/2, q_0/2]` and reducing
//! them modulo every prime of `Q_ℓ` gives a ciphertext that decrypts (mod `Q_ℓ`) to
//! `Δ·m + e + q_0·I` with an integer polynomial `I` whose coefficients are about
//! `sqrt(h/12)` in standard deviation for a secret of Hamming weight `h` (each coefficient of
//! `c_1·s/q_0` is a sum of `h` terms uniform in `[−1/2, 1/2]`). The rest of bootstrapping
//! removes `q_0·I`.

use spencnn_ntt::Modulus;

use crate::Context;
use crate::circuits::CircuitError;
use crate::error::CkksError;
use crate::ring::{Coefficient, RnsPoly};
use crate::scheme::Ciphertext;

/// `ct` (at the lowest level: `q_0` only) lifted to `level`, with the same scale and slots.
///
/// # Errors
/// As [`check_raisable`], and [`CkksError::LevelOutOfRange`] when `level` is above the top
/// level.
pub(crate) fn mod_raise(ctx: &Context, ct: &Ciphertext, level: usize) -> Result<Ciphertext, CircuitError> {
    check_raisable(ctx, ct)?;
    let ring = ctx.ring();
    let q0: &Modulus = ring.modulus(0);
    let centred = ct.polys().iter().map(|poly| {
        let coefficients = poly.clone().into_coefficient(ring);
        coefficients.limb(0).iter().map(|&x| q0.center(x)).collect::<Vec<i64>>()
    });
    let centred: Vec<Vec<i64>> = centred.collect();
    raise_centred(ctx, ct, [&centred[0], &centred[1]], level)
}

/// Checks that `ct` can be raised: `ctx`'s parameters, size 2, at the lowest level.
///
/// # Errors
/// [`CkksError::ParameterMismatch`], [`CkksError::CiphertextSize`] unless size 2,
/// [`CkksError::LevelOutOfRange`] when `ct` holds more than `q_0`.
pub(crate) fn check_raisable(ctx: &Context, ct: &Ciphertext) -> Result<(), CircuitError> {
    ctx.check_fingerprint(ct.fingerprint())?;
    if ct.size() != 2 {
        return Err(CkksError::CiphertextSize { size: ct.size(), expected: 2 }.into());
    }
    let min = super::MIN_LEVEL;
    if ct.level() != min {
        return Err(CkksError::LevelOutOfRange { level: ct.level(), min, max: min }.into());
    }
    Ok(())
}

/// The ciphertext of `template`'s scale and slots whose polynomials are the centred
/// coefficients `centred` (modulo `q_0`) read modulo every prime of `level`.
///
/// # Errors
/// [`CkksError::LevelOutOfRange`] when `level` is above the top level.
pub(crate) fn raise_centred(
    ctx: &Context,
    template: &Ciphertext,
    centred: [&[i64]; 2],
    level: usize,
) -> Result<Ciphertext, CircuitError> {
    let q_limbs = ctx.q_limbs_at(level)?;
    let ring = ctx.ring();
    let polys = centred
        .iter()
        .map(|values| {
            let mut raised = RnsPoly::<Coefficient>::zero(ring, q_limbs, 0);
            for i in 0..q_limbs {
                spencnn_ntt::vector::signed_to_residues(raised.limb_mut(i), values, ring.modulus(i))
                    .expect("one value per coefficient");
            }
            raised.into_ntt(ring)
        })
        .collect();
    Ok(template.derived(polys, template.scale()))
}

#[cfg(test)]
mod tests {
    use num_bigint::BigInt;
    use num_traits::ToPrimitive;

    use super::*;
    use crate::ring::crt::reconstruct_centred;
    use crate::{Decryptor, Encoder, Encryptor, Evaluator, KeyGenerator, Parameters};

    /// The raised ciphertext decrypts to the original message plus `q_0·I` with `I` of the
    /// predicted size, checked coefficient by coefficient with BigInt CRT.
    #[test]
    fn raised_ciphertext_decrypts_to_message_plus_multiple_of_q0() {
        let params = Parameters::builder()
            .log_n(10)
            .q_bits(&[55, 45, 45, 45])
            .p_bits(&[60])
            .insecure_for_testing_only()
            .build()
            .unwrap();
        let ctx = Context::new(params.clone()).unwrap();
        let mut keygen = KeyGenerator::from_seed(&ctx, [5; 32]);
        let sk = keygen.secret_key();
        let pk = keygen.public_key(&sk).unwrap();
        let encoder = Encoder::new(&ctx);
        let values: Vec<f64> = (0..512).map(|i| (i as f64 * 0.37).sin()).collect();
        let pt = encoder.encode_real(&values, 512, params.max_level(), 2f64.powi(45)).unwrap();
        let ct = Encryptor::from_seed(&ctx, [6; 32]).encrypt(&pt, &pk).unwrap();
        let low = Evaluator::new(&ctx).drop_to_level(&ct, super::super::MIN_LEVEL).unwrap();
        let top = params.max_level();
        let raised = mod_raise(&ctx, &low, top).unwrap();
        assert_eq!((raised.level(), raised.scale(), raised.slots()), (top, low.scale(), low.slots()));

        let ring = ctx.ring();
        let decryptor = Decryptor::new(&ctx);
        let small =
            reconstruct_centred(ring, &decryptor.decrypt(&low, &sk).unwrap().poly().clone().into_coefficient(ring));
        let big =
            reconstruct_centred(ring, &decryptor.decrypt(&raised, &sk).unwrap().poly().clone().into_coefficient(ring));
        let q0 = BigInt::from(params.q_primes()[0]);
        let mut sum_squares = 0.0;
        for (s, b) in small.iter().zip(&big) {
            let difference = b - s;
            assert_eq!(&difference % &q0, BigInt::from(0));
            let multiple = (difference / &q0).to_f64().unwrap();
            sum_squares += multiple * multiple;
        }
        // Uniform ternary at N = 2^10: Hamming weight about 683, I of deviation about 7.5.
        let deviation = (sum_squares / 1024.0).sqrt();
        assert!((5.0..10.0).contains(&deviation), "deviation of I: {deviation}");

        assert!(matches!(mod_raise(&ctx, &ct, top), Err(CircuitError::Ckks(CkksError::LevelOutOfRange { .. }))));
    }
}
