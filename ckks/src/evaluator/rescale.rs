//! Rescaling and level management: the exact division by the last prime, and dropping primes.

use super::Evaluator;
use crate::error::CkksError;
use crate::scheme::Ciphertext;

impl Evaluator {
    /// Divides a ciphertext at level `ℓ ≥ 1` by its last prime `q_ℓ` with rounding and drops
    /// that prime: level `ℓ → ℓ − 1`, scale `Δ → Δ / q_ℓ` (exactly).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`]; [`CkksError::LevelOutOfRange`] at level 0, where only
    /// `q_0` is left.
    pub fn rescale(&self, ct: &Ciphertext) -> Result<Ciphertext, CkksError> {
        let mut out = ct.clone();
        self.rescale_assign(&mut out)?;
        Ok(out)
    }

    /// In-place [`Evaluator::rescale`].
    ///
    /// # Errors
    /// As [`Evaluator::rescale`].
    pub fn rescale_assign(&self, ct: &mut Ciphertext) -> Result<(), CkksError> {
        self.check_ct(ct)?;
        let level = ct.level();
        if level == 0 {
            return Err(CkksError::LevelOutOfRange { level, min: 1, max: self.ctx.params().max_level() });
        }
        let ring = self.ctx.ring();
        let rescaler = self.ctx.rescaler(ct.q_limb_count());
        for poly in ct.polys_mut() {
            rescaler.apply(ring, poly);
        }
        ct.scale /= ring.modulus(level).value() as f64;
        Ok(())
    }

    /// The ciphertext at a lower `level`: the primes above `q_level` are dropped without
    /// dividing (the scale is unchanged).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`]; [`CkksError::LevelOutOfRange`] when `level` is above
    /// the ciphertext's level.
    pub fn drop_to_level(&self, ct: &Ciphertext, level: usize) -> Result<Ciphertext, CkksError> {
        self.check_ct(ct)?;
        if level > ct.level() {
            return Err(CkksError::LevelOutOfRange { level, min: 0, max: ct.level() });
        }
        let polys = ct.polys.iter().map(|poly| poly.restricted(level + 1, 0)).collect();
        Ok(ct.derived(polys, ct.scale))
    }
}
