//! The homomorphic special DFT, factored into sparse butterfly matrices.
//!
//! With `n` slots, decoding maps the packed coefficients `w` (see
//! [`crate::encoding`]: `w_i = c_{i·g} + i·c_{N/2+i·g}`) to the slots `z = U·w`,
//! `U_{j,i} = ξ^{5^j·i}` with `ξ = e^{2πi/(4n)}`. The special FFT computes `U = B_L ⋯ B_1·R`,
//! where `R` is the bit-reversal permutation and `B_s` the radix-2 butterfly stage of span
//! `2^s` (`L = log2 n`). Each `B_s` has three non-zero diagonals (`0`, `±2^{s-1}`; two for the
//! last stage, where `+n/2` and `−n/2` coincide).
//!
//! Bootstrapping never applies `R`: **SlotsToCoeffs** is `B_L ⋯ B_1` applied to the
//! bit-reversed coefficients, and **CoeffsToSlots** is its inverse `B_1^{-1} ⋯ B_L^{-1}`, which
//! leaves the coefficients in bit-reversed order; the slot-wise modular reduction in between
//! does not care about the order. A level budget of `b` groups the `L` stages into `b` products
//! of consecutive stages, one multiplicative level each: a group of `k` stages of spans
//! `2^a … 2^{a+k-1}` has at most `2^{k+1} − 1` diagonals (`Σ ±2^j`, multiples of `2^{a-1}`),
//! and `2^k` when it holds the last stage (the sums wrap around modulo `n`).

use std::f64::consts::PI;
use std::ops::RangeInclusive;

use crate::circuits::CircuitError;
use crate::circuits::linear_transform::DiagonalMatrix;
use crate::encoding::Complex;

/// The roots `ξ_len^{5^p}` of the butterfly stage of span `len`, for `p < len/2`, with
/// `ξ_len = e^{2πi/(4·len)}` (the roots of the encoder's special FFT).
fn stage_roots(len: usize) -> Vec<Complex> {
    let period = 4 * len;
    let mut power = 1usize;
    (0..len / 2)
        .map(|_| {
            let root = Complex::from_angle(2.0 * PI * power as f64 / period as f64);
            power = power * 5 % period;
            root
        })
        .collect()
}

/// The decoding butterfly `B_s` of span `len` (`2 ≤ len ≤ n`) on `n` slots: in each block of
/// `len` slots, `(u, v) ↦ (u + r_p·v, u − r_p·v)` for the pairs `(p, p + len/2)`.
pub(crate) fn decoding_stage(n: usize, len: usize) -> DiagonalMatrix {
    let half = len / 2;
    let roots = stage_roots(len);
    let one = Complex::from(1.0);
    let (mut main, mut up, mut down) =
        (vec![Complex::default(); n], vec![Complex::default(); n], vec![Complex::default(); n]);
    for i in 0..n {
        let p = i % len;
        if p < half {
            main[i] = one;
            up[i] = roots[p];
        } else {
            main[i] = -roots[p - half];
            down[i] = one;
        }
    }
    let diagonals = [(0, main), (half as i64, up), (-(half as i64), down)];
    DiagonalMatrix::from_diagonals(n, diagonals).expect("n is a power of two and every diagonal has n entries")
}

/// The encoding butterfly `B_s^{-1}` of span `len`: `(u, v) ↦ ((u + v)/2, (u − v)·conj(r_p)/2)`.
pub(crate) fn encoding_stage(n: usize, len: usize) -> DiagonalMatrix {
    let half = len / 2;
    let roots = stage_roots(len);
    let half_one = Complex::from(0.5);
    let (mut main, mut up, mut down) =
        (vec![Complex::default(); n], vec![Complex::default(); n], vec![Complex::default(); n]);
    for i in 0..n {
        let p = i % len;
        if p < half {
            main[i] = half_one;
            up[i] = half_one;
        } else {
            let r = roots[p - half].conj().scale(0.5);
            main[i] = -r;
            down[i] = r;
        }
    }
    let diagonals = [(0, main), (half as i64, up), (-(half as i64), down)];
    DiagonalMatrix::from_diagonals(n, diagonals).expect("n is a power of two and every diagonal has n entries")
}

/// Splits the stages `1..=log_slots` into `levels` groups of consecutive stages, as even as
/// possible with the larger groups last, in increasing span order.
///
/// # Errors
/// [`CircuitError::InvalidLevelBudget`] unless `1 ≤ levels ≤ log_slots`.
pub fn stage_groups(log_slots: u32, levels: usize) -> Result<Vec<RangeInclusive<u32>>, CircuitError> {
    if levels == 0 || levels > log_slots as usize {
        return Err(CircuitError::InvalidLevelBudget { levels, log_slots });
    }
    let stages = log_slots as usize;
    let (base, extra) = (stages / levels, stages % levels);
    let mut groups = Vec::with_capacity(levels);
    let mut first = 1u32;
    for g in 0..levels {
        // The last `extra` groups take one stage more.
        let size = base + usize::from(g >= levels - extra);
        let last = first + size as u32 - 1;
        groups.push(first..=last);
        first = last + 1;
    }
    Ok(groups)
}

/// SlotsToCoeffs as `levels` matrices in application order: matrix `j` is the product of the
/// decoding stages of group `j` of [`stage_groups`] (smallest spans first). Their product
/// applied to the bit-reversed coefficients gives the slots.
///
/// # Errors
/// [`CircuitError::InvalidMatrixDimension`] unless `slots ≥ 2` is a power of two,
/// [`CircuitError::InvalidLevelBudget`].
pub fn slots_to_coeffs_matrices(slots: usize, levels: usize) -> Result<Vec<DiagonalMatrix>, CircuitError> {
    let log_slots = log2_slots(slots)?;
    stage_groups(log_slots, levels)?
        .into_iter()
        .map(|group| {
            let mut product = DiagonalMatrix::identity(slots)?;
            for s in group {
                product = decoding_stage(slots, 1 << s).product(&product)?;
            }
            Ok(product)
        })
        .collect()
}

/// CoeffsToSlots as `levels` matrices in application order (largest spans first): the
/// inverses of [`slots_to_coeffs_matrices`] in reverse order, so that their product maps the
/// slots to the bit-reversed coefficients.
///
/// # Errors
/// As [`slots_to_coeffs_matrices`].
pub fn coeffs_to_slots_matrices(slots: usize, levels: usize) -> Result<Vec<DiagonalMatrix>, CircuitError> {
    let log_slots = log2_slots(slots)?;
    stage_groups(log_slots, levels)?
        .into_iter()
        .rev()
        .map(|group| {
            let mut product = DiagonalMatrix::identity(slots)?;
            for s in group.rev() {
                product = encoding_stage(slots, 1 << s).product(&product)?;
            }
            Ok(product)
        })
        .collect()
}

fn log2_slots(slots: usize) -> Result<u32, CircuitError> {
    if slots < 2 || !slots.is_power_of_two() {
        return Err(CircuitError::InvalidMatrixDimension { dimension: slots });
    }
    Ok(slots.trailing_zeros())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuits::test_values::random_complex as values;

    /// `i` reversed on `bits` bits.
    fn bit_reverse(i: usize, bits: u32) -> usize {
        if bits == 0 { 0 } else { i.reverse_bits() >> (usize::BITS - bits) }
    }

    /// `z_j = Σ_i w_i ξ^{5^j·i}`, `ξ = e^{2πi/(4n)}`, in `O(n²)`: the definition of decoding.
    fn decode_naive(w: &[Complex]) -> Vec<Complex> {
        let n = w.len();
        let period = 4 * n;
        let mut five = 1usize;
        (0..n)
            .map(|_| {
                let z = w.iter().enumerate().fold(Complex::default(), |acc, (i, &wi)| {
                    acc + wi * Complex::from_angle(2.0 * PI * ((five * i) % period) as f64 / period as f64)
                });
                five = five * 5 % period;
                z
            })
            .collect()
    }

    fn max_distance(a: &[Complex], b: &[Complex]) -> f64 {
        a.iter().zip(b).map(|(x, y)| (*x - *y).abs()).fold(0.0, f64::max)
    }

    fn apply_all(matrices: &[DiagonalMatrix], x: &[Complex]) -> Vec<Complex> {
        matrices.iter().fold(x.to_vec(), |v, m| m.apply(&v).unwrap())
    }

    #[test]
    fn factored_slots_to_coeffs_is_the_decoding_map_on_bit_reversed_input() {
        for log_slots in 1..=8u32 {
            let n = 1usize << log_slots;
            let w = values(n, u64::from(log_slots));
            let reversed: Vec<Complex> = (0..n).map(|i| w[bit_reverse(i, log_slots)]).collect();
            for levels in 1..=log_slots as usize {
                let s2c = slots_to_coeffs_matrices(n, levels).unwrap();
                assert_eq!(s2c.len(), levels);
                let got = apply_all(&s2c, &reversed);
                assert!(max_distance(&got, &decode_naive(&w)) < 1e-10 * n as f64, "n={n} levels={levels}");
                // CoeffsToSlots inverts it, leaving the bit-reversed order.
                let c2s = coeffs_to_slots_matrices(n, levels).unwrap();
                assert!(max_distance(&apply_all(&c2s, &got), &reversed) < 1e-12 * n as f64);
            }
        }
    }

    #[test]
    fn stage_groups_have_the_documented_diagonal_counts() {
        let n = 1 << 10;
        let s2c = slots_to_coeffs_matrices(n, 3).unwrap();
        // Stages 1..=3, 4..=6, 7..=10: strides 1..4, 8..32, 64..512 (the last wraps).
        let counts: Vec<usize> = s2c.iter().map(DiagonalMatrix::diagonal_count).collect();
        assert_eq!(counts, [15, 15, 16]);
        assert!(s2c[1].diagonal_indices().all(|k| k % 8 == 0));
        let c2s = coeffs_to_slots_matrices(n, 3).unwrap();
        let counts: Vec<usize> = c2s.iter().map(DiagonalMatrix::diagonal_count).collect();
        assert_eq!(counts, [16, 15, 15]);
        assert_eq!(stage_groups(15, 3).unwrap(), [1..=5, 6..=10, 11..=15]);
        assert_eq!(stage_groups(14, 4).unwrap(), [1..=3, 4..=6, 7..=10, 11..=14]);
        assert_eq!(stage_groups(3, 0), Err(CircuitError::InvalidLevelBudget { levels: 0, log_slots: 3 }));
        assert_eq!(stage_groups(3, 4), Err(CircuitError::InvalidLevelBudget { levels: 4, log_slots: 3 }));
        assert!(slots_to_coeffs_matrices(1, 1).is_err());
        assert_eq!(stage_roots(8)[1], Complex::from_angle(2.0 * PI * 5.0 / 32.0));
    }
}
