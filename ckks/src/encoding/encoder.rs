//! The CKKS encoder: slot vectors ↔ scaled integer polynomials in RNS/NTT form.

use std::sync::Arc;

use zeroize::Zeroizing;

use super::complex::Complex;
use super::plaintext::Plaintext;
use super::special_fft::SpecialFft;
use crate::error::CkksError;
use crate::params::Parameters;
use crate::rlwe::Context;
use spencnn_ntt::vector;

use crate::ring::{Coefficient, RnsPoly, crt, residue_of_i128};

/// Bits of headroom an encoded coefficient leaves below the modulus: at level `ℓ` every scaled
/// coefficient (slot values times the scale, after the inverse FFT) must be at most
/// `Q_ℓ / 2^(1 + ENCODING_HEADROOM_BITS)` in magnitude. One bit is the sign of the centred
/// representation; the headroom bit leaves room for the encryption noise and for adding a
/// second value of the same size before the sum wraps around `Q_ℓ`. A larger value would decode
/// to a wrong number with no error (SEAL refuses such values too, without the headroom bit).
pub const ENCODING_HEADROOM_BITS: u32 = 1;

/// `log2` of the largest scaled coefficient magnitude encodable at `level` (see
/// [`ENCODING_HEADROOM_BITS`]; `level` is clamped to the top level).
fn log2_max_scaled_magnitude(params: &Parameters, level: usize) -> f64 {
    let log2_q: f64 = params.q_primes_at(level).iter().map(|&q| (q as f64).log2()).sum();
    log2_q - f64::from(1 + ENCODING_HEADROOM_BITS)
}

/// The largest magnitude of a scaled coefficient encodable at `level` under `params`:
/// `Q_ℓ / 2^(1 + ENCODING_HEADROOM_BITS)` (infinite when that exceeds `f64`), `None` above the
/// top level. A slot vector encodes when the largest of its scaled coefficients (after the
/// inverse FFT, at most the largest `|value| · scale`) stays within it. Needs no context, so
/// that a received parameter set can be checked before one is built.
pub fn max_scaled_magnitude(params: &Parameters, level: usize) -> Option<f64> {
    (level <= params.max_level()).then(|| log2_max_scaled_magnitude(params, level).exp2())
}

/// Refuses a largest scaled coefficient `largest` (a magnitude) that is not finite or exceeds
/// the bound of `level`.
pub(crate) fn check_scaled_magnitude(ctx: &Context, level: usize, largest: f64) -> Result<(), CkksError> {
    if !largest.is_finite() {
        return Err(CkksError::EncodingOverflow { value: largest });
    }
    let log2_max = log2_max_scaled_magnitude(ctx.params(), level);
    let largest = largest.round();
    if largest > 0.0 && largest.log2() > log2_max {
        return Err(CkksError::ValueExceedsModulus { log2_magnitude: largest.log2(), level, log2_max });
    }
    Ok(())
}

/// Scaled values must stay below this magnitude (they are rounded through `i128`).
const MAX_SCALED_MAGNITUDE: f64 = 1.7e38; // ≈ 2^127

/// `round(value)` as an integer, or [`CkksError::EncodingOverflow`] when it is not finite or
/// too large for `i128`.
pub(crate) fn rounded_integer(value: f64) -> Result<i128, CkksError> {
    let rounded = value.round();
    if rounded.is_finite() && rounded.abs() < MAX_SCALED_MAGNITUDE {
        Ok(rounded as i128)
    } else {
        Err(CkksError::EncodingOverflow { value: rounded })
    }
}

/// Below this magnitude a scaled value rounds into an `i64` on the fast path.
const I64_FAST_LIMIT: f64 = 9.2e18;

/// `round(v)` (half away from zero, as `f64::round`) for `|v| < 2^63`, with a truncating
/// conversion instead of a library call: `v − trunc(v)` is exact. Out of range (the caller
/// discards the result) it wraps instead of overflowing.
fn round_to_i64(v: f64) -> i64 {
    let truncated = v as i64;
    let fraction = v - truncated as f64;
    truncated.wrapping_add(i64::from(fraction >= 0.5) - i64::from(fraction <= -0.5))
}

/// The rounded scaled coefficients of the slot vector `w` as `i64`, or `None` when one of them
/// is not finite or too large (the caller then takes the `i128` path with its errors).
#[cfg(test)]
mod rounding_tests {
    #[test]
    fn round_to_i64_matches_f64_round() {
        for v in [0.0, 0.5, -0.5, 1.5, -1.5, 2.5, 0.49999999999999994, -2.7, 1e15 + 0.5, 4.5e18, -4.5e18, 123.456] {
            assert_eq!(super::round_to_i64(v), v.round() as i64, "{v}");
        }
    }
}

fn scaled_integers_i64(w: &[Complex], scale: f64, n: usize, gap: usize) -> Option<Vec<i64>> {
    let mut integers = vec![0i64; n];
    let mut in_range = true;
    for (i, z) in w.iter().enumerate() {
        let (re, im) = (z.re * scale, z.im * scale);
        in_range &= re.abs() < I64_FAST_LIMIT && im.abs() < I64_FAST_LIMIT;
        integers[i * gap] = round_to_i64(re);
        integers[n / 2 + i * gap] = round_to_i64(im);
    }
    in_range.then_some(integers)
}

fn to_complex(values: &[f64]) -> Vec<Complex> {
    values.iter().map(|&v| Complex::from(v)).collect()
}

/// Encodes and decodes slot vectors with the special FFT.
///
/// Slot `j` of a plaintext with `s` slots is `m(ζ^{5^j})`; with `s < N/2` (sparse packing)
/// the polynomial lives in `Z[X^{N/(2s)}]` and rotations act on the `s` slots cyclically.
#[derive(Debug, Clone)]
pub struct Encoder {
    ctx: Arc<Context>,
    fft: Arc<SpecialFft>,
}

impl Encoder {
    /// An encoder for the context's parameters (computes the FFT roots; clones share them).
    pub fn new(ctx: &Arc<Context>) -> Self {
        Self { ctx: Arc::clone(ctx), fft: Arc::new(SpecialFft::new(ctx.params().n())) }
    }

    /// Encodes real values (padded with zeros to `slots`, a power of two `≤ N/2`) at `level`
    /// (over the primes `q_0, …, q_level`; see the crate documentation on levels) and `scale`.
    ///
    /// # Errors
    /// [`CkksError::InvalidSlotCount`], [`CkksError::TooManyValues`],
    /// [`CkksError::LevelOutOfRange`] above the top level, [`CkksError::InvalidScale`],
    /// [`CkksError::EncodingOverflow`] for a value that is not finite,
    /// [`CkksError::ValueExceedsModulus`] for one too large for the level (see
    /// [`ENCODING_HEADROOM_BITS`] and [`Encoder::max_scaled_magnitude`]).
    pub fn encode_real(&self, values: &[f64], slots: usize, level: usize, scale: f64) -> Result<Plaintext, CkksError> {
        self.encode(&to_complex(values), slots, level, scale, 0)
    }

    /// Encodes complex values (padded with zeros to `slots`) at `level` and `scale`.
    ///
    /// # Errors
    /// As [`Encoder::encode_real`].
    pub fn encode_complex(
        &self,
        values: &[Complex],
        slots: usize,
        level: usize,
        scale: f64,
    ) -> Result<Plaintext, CkksError> {
        self.encode(values, slots, level, scale, 0)
    }

    /// Like [`Encoder::encode_real`], with the special-prime limbs too: the plaintext form the
    /// double-hoisted rotation sum needs.
    ///
    /// # Errors
    /// As [`Encoder::encode_real`].
    pub fn encode_real_extended(
        &self,
        values: &[f64],
        slots: usize,
        level: usize,
        scale: f64,
    ) -> Result<Plaintext, CkksError> {
        self.encode(&to_complex(values), slots, level, scale, self.ctx.ring().p_count())
    }

    /// Like [`Encoder::encode_complex`], with the special-prime limbs too.
    ///
    /// # Errors
    /// As [`Encoder::encode_real`].
    pub fn encode_complex_extended(
        &self,
        values: &[Complex],
        slots: usize,
        level: usize,
        scale: f64,
    ) -> Result<Plaintext, CkksError> {
        self.encode(values, slots, level, scale, self.ctx.ring().p_count())
    }

    /// The largest magnitude of a scaled coefficient encodable at `level`:
    /// `Q_ℓ / 2^(1 + ENCODING_HEADROOM_BITS)` (infinite when that exceeds `f64`). A slot vector
    /// encodes when the largest of its scaled coefficients (after the inverse FFT, at most the
    /// largest `|value| · scale`) stays within it.
    ///
    /// # Errors
    /// [`CkksError::LevelOutOfRange`] above the top level.
    pub fn max_scaled_magnitude(&self, level: usize) -> Result<f64, CkksError> {
        self.ctx.q_limbs_at(level)?;
        Ok(log2_max_scaled_magnitude(self.ctx.params(), level).exp2())
    }

    fn check_slots(&self, slots: usize) -> Result<(), CkksError> {
        let max = self.ctx.params().max_slots();
        if slots.is_power_of_two() && slots <= max { Ok(()) } else { Err(CkksError::InvalidSlotCount { slots, max }) }
    }

    fn encode(
        &self,
        values: &[Complex],
        slots: usize,
        level: usize,
        scale: f64,
        special: usize,
    ) -> Result<Plaintext, CkksError> {
        self.check_slots(slots)?;
        if values.len() > slots {
            return Err(CkksError::TooManyValues { given: values.len(), slots });
        }
        let q_limbs = self.ctx.q_limbs_at(level)?;
        if !(scale.is_finite() && scale > 0.0) {
            return Err(CkksError::InvalidScale { scale });
        }
        let ring = self.ctx.ring();
        let n = ring.n();
        let mut w = vec![Complex::default(); slots];
        w[..values.len()].copy_from_slice(values);
        self.fft.inverse(&mut w);
        // The largest scaled coefficient (NaN propagates): refused before anything wraps.
        let scaled = w.iter().flat_map(|z| [z.re, z.im]).map(|v| (v * scale).abs());
        let largest = if scaled.clone().any(f64::is_nan) { f64::NAN } else { scaled.fold(0.0, f64::max) };
        check_scaled_magnitude(&self.ctx, level, largest)?;
        // Coefficient i·gap holds Re(w_i), coefficient N/2 + i·gap holds Im(w_i).
        let gap = n / (2 * slots);
        let mut poly = RnsPoly::<Coefficient>::zero(ring, q_limbs, special);
        if let Some(integers) = scaled_integers_i64(&w, scale, n, gap) {
            for i in 0..poly.limb_count() {
                let modulus = ring.modulus(ring.prime_index(q_limbs, i));
                vector::signed_to_residues(poly.limb_mut(i), &integers, modulus).expect("N coefficients");
            }
        } else {
            let mut scaled = vec![0.0f64; n];
            for (i, z) in w.iter().enumerate() {
                scaled[i * gap] = z.re * scale;
                scaled[n / 2 + i * gap] = z.im * scale;
            }
            let integers = scaled.iter().map(|&v| rounded_integer(v)).collect::<Result<Vec<i128>, _>>()?;
            for i in 0..poly.limb_count() {
                let m = ring.modulus(ring.prime_index(q_limbs, i));
                for (x, &v) in poly.limb_mut(i).iter_mut().zip(&integers) {
                    *x = residue_of_i128(v, m);
                }
            }
        }
        Ok(Plaintext { poly: poly.into_ntt(ring), scale, slots, fingerprint: self.ctx.params().fingerprint() })
    }

    /// Decodes a plaintext into its complex slot values.
    ///
    /// Fast at any level: only up to three limbs are transformed back and reconstructed with
    /// a verified small CRT, falling back to exact multi-precision reconstruction.
    ///
    /// # Errors
    /// [`CkksError::ParameterMismatch`], [`CkksError::InvalidSlotCount`].
    pub fn decode_complex(&self, pt: &Plaintext) -> Result<Vec<Complex>, CkksError> {
        self.ctx.check_fingerprint(pt.fingerprint)?;
        self.check_slots(pt.slots)?;
        // The coefficients of a decrypted message: wiped when dropped.
        let coefficients = Zeroizing::new(self.centred_coefficients(pt));
        Ok(self.slots_from_coefficients(&coefficients, pt.slots, pt.scale))
    }

    /// The centred integer coefficients of a plaintext's Q part, as `f64`.
    pub(crate) fn centred_coefficients(&self, pt: &Plaintext) -> Vec<f64> {
        let ring = self.ctx.ring();
        if pt.poly.p_limb_count() > 0 {
            crt::centred_coefficients_f64(ring, &pt.poly.restricted(pt.q_limb_count(), 0))
        } else {
            crt::centred_coefficients_f64(ring, &pt.poly)
        }
    }

    /// The slot values of the integer polynomial `coefficients` at `scale` (`slots` checked).
    pub(crate) fn slots_from_coefficients(&self, coefficients: &[f64], slots: usize, scale: f64) -> Vec<Complex> {
        let n = self.ctx.ring().n();
        let gap = n / (2 * slots);
        let inv_scale = 1.0 / scale;
        let mut w: Vec<Complex> = (0..slots)
            .map(|i| Complex::new(coefficients[i * gap] * inv_scale, coefficients[n / 2 + i * gap] * inv_scale))
            .collect();
        self.fft.forward(&mut w);
        w
    }

    /// Decodes a plaintext into the real parts of its slots.
    ///
    /// # Errors
    /// As [`Encoder::decode_complex`].
    pub fn decode_real(&self, pt: &Plaintext) -> Result<Vec<f64>, CkksError> {
        // The imaginary parts (and this copy of the real ones) are wiped when dropped.
        let slots = Zeroizing::new(self.decode_complex(pt)?);
        Ok(slots.iter().map(|z| z.re).collect())
    }
}
