//! Rescaling and level management: the exact division by the last prime, and dropping primes.

use super::Evaluator;
use crate::error::CkksError;
use crate::scheme::Ciphertext;

impl Evaluator {
    /// Divides by the last prime `q_{ℓ-1}` with rounding and drops it: level `ℓ → ℓ-1`, scale
    /// `Δ → Δ / q_{ℓ-1}` (exactly).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelOutOfRange`] at level 1.
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
        if level < 2 {
            return Err(CkksError::LevelOutOfRange { level, min: 2, max: self.ctx.params().max_level() });
        }
        let ring = self.ctx.ring();
        let rescaler = self.ctx.rescaler(level);
        for poly in ct.polys_mut() {
            rescaler.apply(ring, poly);
        }
        ct.scale /= ring.modulus(level - 1).value() as f64;
        Ok(())
    }

    /// Drops the last Q primes down to `level` without dividing (the scale is unchanged).
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::LevelOutOfRange`] unless
    /// `1 ≤ level ≤ ct.level()`.
    pub fn drop_to_level(&self, ct: &Ciphertext, level: usize) -> Result<Ciphertext, CkksError> {
        self.check_ct(ct)?;
        if !(1..=ct.level()).contains(&level) {
            return Err(CkksError::LevelOutOfRange { level, min: 1, max: ct.level() });
        }
        let polys = ct.polys.iter().map(|poly| poly.restricted(level, 0)).collect();
        Ok(ct.derived(polys, ct.scale))
    }
}
