//! Integer linear combinations `Σ k_i·ct_i + k_0` of ciphertexts at a common level.
//!
//! This is the scale-exact building block of scale matching and polynomial evaluation: a
//! ciphertext `ct` of scale `s` times the integer `k = round(c·S/s)` is `c·ct` at scale `S` up
//! to a relative error `≤ 1/(2k)` in `c`, so terms of any scales are summed at the one scale
//! `S` with no rescale; the caller then rescales once.

use super::Evaluator;
use crate::error::CkksError;
use spencnn_ntt::vector;

use super::scale_matching::LOWEST_LEVEL;
use crate::ring::{Ntt, RnsPoly, residue_of_i128};
use crate::scheme::Ciphertext;

impl Evaluator {
    /// `Σ k_i·ct_i + constant` on the primes of `level` (each term at `level` or above,
    /// higher ones are read as if dropped), labelled with `scale` (the caller chose the `k_i` so
    /// that every term has that scale). With no term it is the trivial encryption of the
    /// constant. The result has the size of the largest term.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelOutOfRange`] when a term is below
    /// `level`, [`CkksError::SlotCountMismatch`].
    pub(crate) fn integer_combination(
        &self,
        terms: &[(&Ciphertext, i128)],
        constant: i128,
        level: usize,
        scale: f64,
        slots: usize,
    ) -> Result<Ciphertext, CkksError> {
        let q_limbs = self.ctx.q_limbs_at(level)?;
        for (ct, _) in terms {
            self.check_ct(ct)?;
            if ct.level() < level {
                return Err(CkksError::LevelOutOfRange { level, min: LOWEST_LEVEL, max: ct.level() });
            }
            if ct.slots != slots {
                return Err(CkksError::SlotCountMismatch { left: slots, right: ct.slots });
            }
        }
        let ring = self.ctx.ring();
        let size = terms.iter().map(|(ct, _)| ct.size()).max().unwrap_or(2);
        let mut polys: Vec<RnsPoly<Ntt>> = (0..size).map(|_| RnsPoly::zero(ring, q_limbs, 0)).collect();
        for j in 0..q_limbs {
            let modulus = ring.modulus(j);
            let constants: Vec<(u64, u64)> = terms
                .iter()
                .map(|(_, k)| {
                    let w = residue_of_i128(*k, modulus);
                    (w, modulus.shoup(w))
                })
                .collect();
            for (p, poly) in polys.iter_mut().enumerate() {
                let (inputs, weights): (Vec<&[u64]>, Vec<(u64, u64)>) = terms
                    .iter()
                    .zip(&constants)
                    .filter(|((ct, _), _)| ct.size() > p)
                    .map(|((ct, _), w)| (ct.polys[p].limb(j), *w))
                    .unzip();
                if !inputs.is_empty() {
                    vector::weighted_sum(poly.limb_mut(j), &inputs, &weights, modulus)?;
                }
            }
            vector::add_scalar_assign(polys[0].limb_mut(j), residue_of_i128(constant, modulus), modulus);
        }
        Ok(Ciphertext { polys, scale, slots, fingerprint: self.ctx.params().fingerprint(), seed: None })
    }
}
