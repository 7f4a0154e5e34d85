//! CoeffsToSlots and SlotsToCoeffs on ciphertexts: the factors of [`super::dft`] encoded at
//! their levels, evaluated with hoisted BSGS transforms, with the real and imaginary parts of
//! the coefficients separated (CoeffsToSlots) and recombined (SlotsToCoeffs).
//!
//! **Scales.** Every constant factor of the circuit (the `1/(2K)` that maps `x` into
//! `[−1, 1]`, the `N/(2n)` of the sparse trace, the `2π` of the modular reduction) is carried
//! by the ciphertexts' declared scales, not by the matrix entries: the matrices are the plain
//! butterfly products (entries of magnitude about `2^-k` for `k` merged stages), and the
//! plaintexts of a DFT with `c` levels all get the scale `q_ℓ·(S_out/S_in)^{1/c}`, where `q_ℓ`
//! is the prime rescaled after that level. Then the ciphertext goes from scale `S_in` to
//! exactly `S_out` (up to `f64` rounding), and each plaintext keeps as many bits as the chain
//! allows.
//!
//! **Full slots** (`n = N/2`): CoeffsToSlots outputs `z = w'/(2K)` (`w'` the bit-reversed packed
//! coefficients over `q_0`), and `z + z̄`, `−i·(z − z̄)` are the real and imaginary parts, two
//! ciphertexts for EvalMod; SlotsToCoeffs takes `re + i·im`.
//!
//! **Sparse slots** (`n < N/2`): the last CoeffsToSlots factor `F` is applied as a `2n`-slot
//! matrix mapping the `n`-periodic input `(v, v)` to `(F·v, −i·F·v)` (its diagonals are those of
//! `F` at their signed indices, so the rotation keys are the same), and one conjugation gives
//! `(Re w', Im w')/K` in `2n` slots: a single EvalMod. The first SlotsToCoeffs factor `G` is
//! the `2n`-slot matrix `[[G, iG], [G, iG]]`, whose output `(G·y, G·y)` is an `n`-slot
//! ciphertext again.

use super::dft::{coeffs_to_slots_matrices, slots_to_coeffs_matrices};
use super::rescale_prime;
use crate::Plaintext;
use crate::circuits::CircuitError;
use crate::circuits::linear_transform::{
    BsgsCost, DiagonalMatrix, EncodedLinearTransform, Hoisting, LinearTransform, signed_step,
};
use crate::encoding::{Complex, Encoder};

use crate::evaluator::Evaluator;
use crate::params::Parameters;
use crate::rlwe::GaloisKeys;
use crate::scheme::Ciphertext;

/// Where and how a homomorphic DFT is encoded.
#[derive(Debug, Clone, Copy)]
pub(crate) struct DftPlacement {
    /// The slot count `n`.
    pub slots: usize,
    /// The number of factors (levels consumed).
    pub levels: usize,
    /// The level of the first factor; factor `j` is at `level − j`.
    pub level: usize,
    /// The scale of the input ciphertext.
    pub input_scale: f64,
    /// The scale of the output.
    pub output_scale: f64,
    /// How the factors hoist their rotations.
    pub hoisting: Hoisting,
}

/// One encoded factor of a homomorphic DFT: the slot count it acts on and its plaintexts.
#[derive(Debug, Clone)]
struct Factor {
    slots: usize,
    transform: EncodedLinearTransform,
}

/// Evaluates the factors in order, each followed by a rescale.
fn apply_factors(
    evaluator: &Evaluator,
    ct: &Ciphertext,
    keys: &GaloisKeys,
    factors: &[Factor],
) -> Result<Ciphertext, CircuitError> {
    let mut ct = ct.clone();
    for factor in factors {
        ct.slots = factor.slots;
        ct = factor.transform.evaluate(evaluator, &ct, keys)?;
        evaluator.rescale_assign(&mut ct)?;
    }
    Ok(ct)
}

/// Maps an `n`-slot factor to the `2n`-slot matrix that sparse slots use in its place.
type WidenFactor = fn(&DiagonalMatrix) -> Result<DiagonalMatrix, CircuitError>;

/// Encodes the factors `matrices` (factor `j` at `placement.level − j`, plaintext scales from
/// [`factor_scales`]); with `widened = Some((j, widen))`, factor `j` is replaced by `widen` of
/// it and acts on `2n` slots.
fn encode_factors(
    encoder: &Encoder,
    params: &Parameters,
    placement: &DftPlacement,
    matrices: Vec<DiagonalMatrix>,
    widened: Option<(usize, WidenFactor)>,
) -> Result<Vec<Factor>, CircuitError> {
    let DftPlacement { slots, levels, level, input_scale, output_scale, hoisting } = *placement;
    let scales = factor_scales(params, level, levels, input_scale, output_scale);
    matrices
        .into_iter()
        .zip(scales)
        .enumerate()
        .map(|(j, (matrix, scale))| {
            let (matrix, factor_slots) = match widened {
                Some((widened_index, widen)) if widened_index == j => (widen(&matrix)?, 2 * slots),
                _ => (matrix, slots),
            };
            let transform = LinearTransform::new(matrix, BsgsCost::default())?;
            Ok(Factor { slots: factor_slots, transform: transform.encode(encoder, level - j, scale, hoisting)? })
        })
        .collect()
}

/// The plaintext scale of each of `count` factors starting at `level` so that the scale goes
/// from `input_scale` to `output_scale`.
fn factor_scales(params: &Parameters, level: usize, count: usize, input_scale: f64, output_scale: f64) -> Vec<f64> {
    let ratio = (output_scale / input_scale).powf(1.0 / count as f64);
    (0..count).map(|j| rescale_prime(params, level - j) as f64 * ratio).collect()
}

/// `(rotation step, level)` for every rotation of the factors.
fn factor_rotations(factors: &[Factor]) -> Vec<(i64, usize)> {
    factors.iter().flat_map(|f| f.transform.rotation_steps().into_iter().map(|s| (s, f.transform.level()))).collect()
}

/// The `2n`-slot matrix mapping an `n`-periodic `(v, v)` to `(F·v, −i·F·v)`.
fn periodic_split(f: &DiagonalMatrix) -> Result<DiagonalMatrix, CircuitError> {
    let n = f.dimension();
    let minus_i = Complex::new(0.0, -1.0);
    let diagonals = f.diagonal_indices().map(|k| {
        let d = f.diagonal(k as i64).expect("listed diagonal");
        let values: Vec<Complex> = d.iter().copied().chain(d.iter().map(|&z| z * minus_i)).collect();
        (signed_step(k, n), values)
    });
    DiagonalMatrix::from_diagonals(2 * n, diagonals)
}

/// The `2n`-slot matrix `[[G, iG], [G, iG]]`.
fn recombine(g: &DiagonalMatrix) -> Result<DiagonalMatrix, CircuitError> {
    let n = g.dimension();
    let i = Complex::new(0.0, 1.0);
    let entries =
        g.entries().flat_map(|(r, c, z)| [(r, c, z), (r, c + n, z * i), (r + n, c, z), (r + n, c + n, z * i)]);
    DiagonalMatrix::from_entries(2 * n, entries)
}

/// What CoeffsToSlots hands to EvalMod.
#[derive(Debug, Clone)]
pub(crate) enum SlotCoefficients {
    /// Full slots: the real and the imaginary parts, two `n`-slot ciphertexts.
    Full {
        /// `Re(w')/K`.
        real: Ciphertext,
        /// `Im(w')/K`.
        imaginary: Ciphertext,
    },
    /// Sparse slots: `(Re w', Im w')/K` in one `2n`-slot ciphertext.
    Sparse(Ciphertext),
}

/// CoeffsToSlots, encoded.
#[derive(Debug, Clone)]
pub(crate) struct CoeffsToSlots {
    slots: usize,
    full: bool,
    factors: Vec<Factor>,
    /// `−X^{N/2}`: multiplies every slot by `−i`, exactly.
    minus_i: Plaintext,
}

impl CoeffsToSlots {
    /// Encodes the `levels` factors for `slots` slots from `level` down, for a ciphertext of
    /// scale `input_scale` and an output of scale `output_scale`.
    pub(crate) fn new(encoder: &Encoder, params: &Parameters, placement: DftPlacement) -> Result<Self, CircuitError> {
        let DftPlacement { slots, levels, level, .. } = placement;
        let full = slots == params.max_slots();
        let matrices = coeffs_to_slots_matrices(slots, levels)?;
        // Sparse slots: the last factor acts on 2n slots.
        let widened = (!full).then_some((levels - 1, periodic_split as WidenFactor));
        let factors = encode_factors(encoder, params, &placement, matrices, widened)?;
        let output_level = level - levels;
        let minus_i = encoder.encode_complex(&vec![Complex::new(0.0, -1.0); slots], slots, output_level, 1.0)?;
        Ok(Self { slots, full, factors, minus_i })
    }

    /// The rotations (with their levels) of the factors; the conjugation is at the output level.
    pub(crate) fn rotations(&self) -> Vec<(i64, usize)> {
        factor_rotations(&self.factors)
    }

    /// Bytes of the encoded plaintexts.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.factors.iter().map(|f| f.transform.memory_bytes()).sum()
    }

    /// Applies the factors and separates the real and imaginary parts (one conjugation).
    pub(crate) fn evaluate(
        &self,
        evaluator: &Evaluator,
        ct: &Ciphertext,
        keys: &GaloisKeys,
    ) -> Result<SlotCoefficients, CircuitError> {
        let z = apply_factors(evaluator, ct, keys, &self.factors)?;
        let conjugate = evaluator.conjugate(&z, keys)?;
        if self.full {
            let real = evaluator.add(&z, &conjugate)?;
            let difference = evaluator.sub(&z, &conjugate)?;
            let imaginary = evaluator.multiply_plain(&difference, &self.minus_i)?;
            Ok(SlotCoefficients::Full { real, imaginary })
        } else {
            debug_assert_eq!(z.slots, 2 * self.slots);
            Ok(SlotCoefficients::Sparse(evaluator.add(&z, &conjugate)?))
        }
    }
}

/// SlotsToCoeffs, encoded.
#[derive(Debug, Clone)]
pub(crate) struct SlotsToCoeffs {
    slots: usize,
    factors: Vec<Factor>,
    /// `X^{N/2}`: multiplies every slot by `i`, exactly.
    plus_i: Plaintext,
}

impl SlotsToCoeffs {
    /// Encodes the `levels` factors for `slots` slots from `level` down, for an input of scale
    /// `input_scale` and an output of scale `output_scale`.
    pub(crate) fn new(encoder: &Encoder, params: &Parameters, placement: DftPlacement) -> Result<Self, CircuitError> {
        let DftPlacement { slots, levels, level, .. } = placement;
        let full = slots == params.max_slots();
        let matrices = slots_to_coeffs_matrices(slots, levels)?;
        // Sparse slots: the first factor acts on 2n slots.
        let widened = (!full).then_some((0, recombine as WidenFactor));
        let factors = encode_factors(encoder, params, &placement, matrices, widened)?;
        let plus_i = encoder.encode_complex(&vec![Complex::new(0.0, 1.0); slots], slots, level, 1.0)?;
        Ok(Self { slots, factors, plus_i })
    }

    /// The rotations (with their levels) of the factors.
    pub(crate) fn rotations(&self) -> Vec<(i64, usize)> {
        factor_rotations(&self.factors)
    }

    /// Bytes of the encoded plaintexts.
    pub(crate) fn memory_bytes(&self) -> usize {
        self.factors.iter().map(|f| f.transform.memory_bytes()).sum()
    }

    /// Recombines the real and imaginary parts and applies the factors; the output has
    /// `n` slots.
    pub(crate) fn evaluate(
        &self,
        evaluator: &Evaluator,
        input: &SlotCoefficients,
        keys: &GaloisKeys,
    ) -> Result<Ciphertext, CircuitError> {
        let combined = match input {
            SlotCoefficients::Full { real, imaginary } => {
                evaluator.add(real, &evaluator.multiply_plain(imaginary, &self.plus_i)?)?
            }
            SlotCoefficients::Sparse(ct) => ct.clone(),
        };
        let mut out = apply_factors(evaluator, &combined, keys, &self.factors)?;
        // The first factor's output is n-periodic: an n-slot ciphertext.
        out.slots = self.slots;
        Ok(out)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuits::bootstrapping::dft::coeffs_to_slots_matrices;
    use crate::circuits::test_values::random_complex as values;
    use crate::{Context, Decryptor, Encryptor, KeyGenerator};

    fn max_error(a: &[Complex], b: &[Complex]) -> f64 {
        a.iter().zip(b).map(|(x, y)| (*x - *y).abs()).fold(0.0, f64::max)
    }

    /// CoeffsToSlots then SlotsToCoeffs without EvalMod: the parts are `2·Re(w')`, `2·Im(w')`
    /// (`w'` the bit-reversed packed coefficients, in value units), and the round trip doubles
    /// the slots.
    #[test]
    fn slots_to_coeffs_inverts_coeffs_to_slots() {
        let params = Parameters::builder()
            .log_n(10)
            .q_bits(&[60, 45, 45, 45, 52, 52, 52])
            .p_bits(&[60, 60])
            .log_scale(45.0)
            .insecure_for_testing_only()
            .build()
            .unwrap();
        let ctx = Context::new(params.clone()).unwrap();
        let mut keygen = KeyGenerator::from_seed(&ctx, [3; 32]);
        let sk = keygen.secret_key();
        let pk = keygen.public_key(&sk).unwrap();
        let encoder = Encoder::new(&ctx);
        let evaluator = Evaluator::new(&ctx);
        let top = params.max_level();
        let scale = 2f64.powi(45);
        for slots in [params.max_slots(), 64, 2] {
            let levels = if slots == 2 { 1 } else { 3 };
            let placement = |level, hoisting| DftPlacement {
                slots,
                levels,
                level,
                input_scale: scale,
                output_scale: scale,
                hoisting,
            };
            let c2s = CoeffsToSlots::new(&encoder, &params, placement(top, Hoisting::Double)).unwrap();
            let s2c_level = top - levels;
            let s2c = SlotsToCoeffs::new(&encoder, &params, placement(s2c_level, Hoisting::Single)).unwrap();
            let mut rotations = c2s.rotations();
            rotations.extend(s2c.rotations());
            let mut keys = keygen.galois_keys_at_levels(&sk, &rotations).unwrap();
            keys.merge(keygen.galois_keys(&sk, &[], crate::Conjugation::Include).unwrap()).unwrap();

            let z = values(slots, slots as u64);
            let pt = encoder.encode_complex(&z, slots, top, scale).unwrap();
            let ct = Encryptor::from_seed(&ctx, [4; 32]).encrypt(&pt, &pk).unwrap();
            let parts = c2s.evaluate(&evaluator, &ct, &keys).unwrap();
            let w =
                coeffs_to_slots_matrices(slots, levels).unwrap().iter().fold(z.clone(), |v, m| m.apply(&v).unwrap());
            let decrypt =
                |ct: &Ciphertext| encoder.decode_complex(&Decryptor::new(&ctx).decrypt(ct, &sk).unwrap()).unwrap();
            match &parts {
                SlotCoefficients::Full { real, imaginary } => {
                    assert_eq!(real.level(), s2c_level);
                    let re: Vec<Complex> = w.iter().map(|z| Complex::from(2.0 * z.re)).collect();
                    let im: Vec<Complex> = w.iter().map(|z| Complex::from(2.0 * z.im)).collect();
                    assert!(max_error(&decrypt(real), &re) < 1e-6, "full real parts");
                    assert!(max_error(&decrypt(imaginary), &im) < 1e-6, "full imaginary parts");
                }
                SlotCoefficients::Sparse(ct) => {
                    assert_eq!(ct.slots(), 2 * slots);
                    let expected: Vec<Complex> = w
                        .iter()
                        .map(|z| Complex::from(2.0 * z.re))
                        .chain(w.iter().map(|z| Complex::from(2.0 * z.im)))
                        .collect();
                    assert!(max_error(&decrypt(ct), &expected) < 1e-6, "sparse parts, {slots} slots");
                }
            }
            let back = s2c.evaluate(&evaluator, &parts, &keys).unwrap();
            assert_eq!((back.slots(), back.level()), (slots, s2c_level - levels));
            assert!((back.scale() / scale - 1.0).abs() < 1e-9);
            let doubled: Vec<Complex> = z.iter().map(|v| v.scale(2.0)).collect();
            let error = max_error(&decrypt(&back), &doubled);
            assert!(error < 1e-5, "round trip, {slots} slots: {error:e}");
        }
    }
}
