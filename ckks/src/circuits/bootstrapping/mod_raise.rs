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

use super::ciphertext_q_limbs;
use crate::Context;
use crate::error::CkksError;
use crate::ring::RnsPoly;
use crate::scheme::Ciphertext;

/// `ct` (at the lowest level: `q_0` only) lifted to `level`, with the same scale and slots.
///
/// # Errors
/// [`CkksError::ParameterMismatch`], [`CkksError::CiphertextSize`] unless size 2,
/// [`CkksError::LevelOutOfRange`] when `ct` holds more than `q_0` or `level` is above the
/// top level.
pub(crate) fn mod_raise(ctx: &Context, ct: &Ciphertext, level: usize) -> Result<Ciphertext, CkksError> {
    ctx.check_fingerprint(ct.fingerprint())?;
    if ct.size() != 2 {
        return Err(CkksError::CiphertextSize { size: ct.size(), expected: 2 });
    }
    let min = super::MIN_LEVEL;
    if ct.level() != min {
        return Err(CkksError::LevelOutOfRange { level: ct.level(), min, max: min });
    }
    ctx.check_level(level)?;
    let ring = ctx.ring();
    let q0: &Modulus = ring.modulus(0);
    let q_limbs = ciphertext_q_limbs(level);
    let polys = ct
        .polys()
        .iter()
        .map(|poly| {
            let coefficients = poly.clone().into_coefficient(ring);
            let centred: Vec<i64> = coefficients.limb(0).iter().map(|&x| q0.center(x)).collect();
            RnsPoly::from_signed(&centred, ring, q_limbs, 0).into_ntt(ring)
        })
        .collect();
    Ok(ct.derived(polys, ct.scale()))
}
