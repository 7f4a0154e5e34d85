//! Key switching against decryption: the switched pair must decrypt to the switched product
//! with a small error, and the hoisted, extended and automorphism forms must agree exactly.

use std::sync::Arc;

use super::*;
use crate::error::CkksError;
use crate::params::Parameters;
use crate::ring::{Ntt, RnsPoly, crt, sampling};

fn context() -> Arc<Context> {
    let params = Parameters::builder()
        .log_n(6)
        .q_bits(&[50, 40, 40])
        .p_bits(&[50])
        .dnum(3)
        .insecure_for_testing_only()
        .build()
        .unwrap();
    Context::new(params).unwrap()
}

/// A uniform polynomial over the first `q_limbs` Q primes.
fn uniform(ctx: &Context, seed: u8, q_limbs: usize) -> RnsPoly<Ntt> {
    sampling::uniform_from_seed([seed; 32], ctx.ring(), q_limbs, 0)
}

/// `s` restricted to the first `q_limbs` Q primes.
fn secret_over(sk: &SecretKey, q_limbs: usize) -> RnsPoly<Ntt> {
    sk.poly.restricted(q_limbs, 0)
}

/// `log2` of the largest centred coefficient of `u_0 + u_1·s − expected`.
fn log2_error(ctx: &Context, [u0, u1]: &[RnsPoly<Ntt>; 2], s: &RnsPoly<Ntt>, expected: &RnsPoly<Ntt>) -> f64 {
    let ring = ctx.ring();
    let mut decrypted = u1.clone();
    decrypted.mul_assign(s, ring).unwrap();
    decrypted.add_assign(u0, ring).unwrap();
    decrypted.sub_assign(expected, ring).unwrap();
    let max = crt::centred_coefficients_f64(ring, &decrypted).into_iter().fold(0.0f64, |m, x| m.max(x.abs()));
    max.max(1.0).log2()
}

#[test]
fn key_switch_decrypts_to_the_switched_product() {
    let ctx = context();
    let ring = ctx.ring();
    let mut keygen = KeyGenerator::from_seed(&ctx, [7; 32]);
    let sk = keygen.secret_key();
    let rlk = keygen.relin_key(&sk).unwrap();
    for q_limbs in 1..=3 {
        let c = uniform(&ctx, q_limbs as u8, q_limbs);
        let s = secret_over(&sk, q_limbs);
        // The relinearization key switches from s² to s.
        let mut expected = c.clone();
        expected.mul_assign(&s, ring).unwrap();
        expected.mul_assign(&s, ring).unwrap();
        let pair = key_switch(&ctx, &c, rlk.switching_key()).unwrap();
        let error = log2_error(&ctx, &pair, &s, &expected);
        assert!(error < 12.0, "{q_limbs} limbs: error 2^{error:.1}");
    }
}

#[test]
fn automorphisms_decrypt_to_the_rotated_ciphertext() {
    let ctx = context();
    let ring = ctx.ring();
    let mut keygen = KeyGenerator::from_seed(&ctx, [8; 32]);
    let sk = keygen.secret_key();
    let keys = keygen.galois_keys(&sk, &[3], Conjugation::Include).unwrap();
    let (c0, c1) = (uniform(&ctx, 1, 3), uniform(&ctx, 2, 3));
    let s = secret_over(&sk, 3);
    let decomposition = Decomposition::new(&ctx, &c1).unwrap();
    for key in keys.keys.values() {
        // σ_g(c_0 + c_1·s), the message the rotated pair must decrypt to.
        let mut message = c1.clone();
        message.mul_assign(&s, ring).unwrap();
        message.add_assign(&c0, ring).unwrap();
        let expected = message.permuted(key.permutation());
        let pair = automorphism_hoisted(&ctx, &c0, &decomposition, key).unwrap();
        let error = log2_error(&ctx, &pair, &s, &expected);
        assert!(error < 12.0, "element {}: error 2^{error:.1}", key.galois_element());
        // The extended form is P times the same pair before its mod-down: exactly equal after it.
        let mut extended = automorphism_hoisted_extended(&ctx, &c0, &decomposition, key).unwrap();
        for poly in &mut extended {
            mod_down(&ctx, poly).unwrap();
        }
        assert_eq!(extended, pair);
    }
}

#[test]
fn hoisted_and_extended_forms_agree_exactly() {
    let ctx = context();
    let mut keygen = KeyGenerator::from_seed(&ctx, [9; 32]);
    let sk = keygen.secret_key();
    let rlk = keygen.relin_key(&sk).unwrap();
    let c = uniform(&ctx, 3, 2);
    let decomposition = Decomposition::new(&ctx, &c).unwrap();
    let direct = key_switch(&ctx, &c, rlk.switching_key()).unwrap();
    assert_eq!(key_switch_hoisted(&ctx, &decomposition, rlk.switching_key()).unwrap(), direct);
    let mut extended = key_switch_extended(&ctx, &decomposition, rlk.switching_key()).unwrap();
    for poly in &mut extended {
        assert_eq!(poly.p_limb_count(), ctx.ring().p_count());
        mod_down(&ctx, poly).unwrap();
    }
    assert_eq!(extended, direct);
    // P·c is divisible by P: the mod-down of the lift is c itself.
    let mut lifted = lift_to_extended(&ctx, &c).unwrap();
    mod_down(&ctx, &mut lifted).unwrap();
    assert_eq!(lifted, c);
}

#[test]
fn malformed_inputs_are_typed_errors() {
    let ctx = context();
    let ring = ctx.ring();
    let mut keygen = KeyGenerator::from_seed(&ctx, [10; 32]);
    let sk = keygen.secret_key();
    let low_key = keygen.relin_key_at_level(&sk, 1).unwrap();
    let top = uniform(&ctx, 4, 3);
    assert!(matches!(
        key_switch(&ctx, &top, low_key.switching_key()),
        Err(CkksError::KeyLevelTooLow { key_level: 1, level: 2 })
    ));
    let extended = RnsPoly::<Ntt>::zero(ring, 2, ring.p_count());
    assert!(matches!(Decomposition::new(&ctx, &extended), Err(CkksError::UnexpectedBasis { p_limbs: 1, .. })));
    assert!(matches!(lift_to_extended(&ctx, &extended), Err(CkksError::UnexpectedBasis { .. })));
    let mut plain = uniform(&ctx, 5, 2);
    assert!(matches!(mod_down(&ctx, &mut plain), Err(CkksError::UnexpectedBasis { p_limbs: 0, .. })));
    let decomposition = Decomposition::new(&ctx, &plain).unwrap();
    let keys = keygen.galois_keys(&sk, &[1], Conjugation::Exclude).unwrap();
    let key = keys.keys.values().next().unwrap();
    assert!(matches!(
        automorphism_hoisted(&ctx, &top, &decomposition, key),
        Err(CkksError::BasisMismatch { left_limbs: 3, right_limbs: 2 })
    ));
    // A key of another ring degree.
    let other = Context::new(
        Parameters::builder().log_n(5).q_bits(&[50, 40, 40]).p_bits(&[50]).insecure_for_testing_only().build().unwrap(),
    )
    .unwrap();
    let foreign = KeyGenerator::from_seed(&other, [11; 32]).relin_key(&keygen.secret_key()).err();
    assert!(foreign.is_some(), "a secret key of other parameters is refused");
    let other_sk = KeyGenerator::from_seed(&other, [12; 32]).secret_key();
    let other_rlk = KeyGenerator::from_seed(&other, [13; 32]).relin_key(&other_sk).unwrap();
    assert!(matches!(key_switch(&ctx, &top, other_rlk.switching_key()), Err(CkksError::UnexpectedBasis { n: 32, .. })));
}
