//! Scalar element-wise kernels the CKKS layer needs beyond `spencnn_ntt::vector`.
//!
//! Each one works on whole limbs (one prime at a time) so that it can be vectorised and moved
//! into `spencnn-ntt` later without changing its callers. Lengths are checked by the callers
//! (all slices of one call have the ring degree as length); the kernels `debug_assert` them.

use std::sync::OnceLock;

use spencnn_ntt::{Isa, Modulus};

/// Whether the AVX-512 twins run: the CPU has AVX-512 F and DQ and `spencnn_ntt::Isa::detect`
/// (which honours `SPENCNN_ISA`) chose AVX-512. Decided once per process.
pub fn avx512_enabled() -> bool {
    static ENABLED: OnceLock<bool> = OnceLock::new();
    *ENABLED.get_or_init(|| Isa::detect() == Isa::Avx512)
}

/// `out[j] = Σ_i inputs[i][j] · constants[i].0 mod q`, with `constants[i] = (w, shoup(w))`,
/// `w < q`. Inputs may be any `u64` (residues modulo other primes); output in `[0, q)`.
///
/// The running sum stays in `[0, 2q)` (Shoup products are in `[0, 2q)`, a conditional
/// subtraction after each addition), so any number of terms is safe. Runs the AVX-512 twin
/// when [`avx512_enabled`].
pub fn multiply_scalars_accumulate(out: &mut [u64], inputs: &[&[u64]], constants: &[(u64, u64)], modulus: &Modulus) {
    assert!(inputs.len() == constants.len() && inputs.iter().all(|x| x.len() == out.len()), "equal lengths");
    #[cfg(target_arch = "x86_64")]
    if out.len().is_multiple_of(8) && avx512_enabled() {
        // SAFETY: AVX-512 F and DQ are present (`avx512_enabled`); lengths equal (asserted) and
        // a multiple of 8; moduli of the arithmetic layer are below 2^62.
        unsafe { super::kernels_avx512::multiply_scalars_accumulate(out, inputs, constants, modulus.value()) };
        return;
    }
    multiply_scalars_accumulate_scalar(out, inputs, constants, modulus);
}

/// The scalar twin of [`multiply_scalars_accumulate`].
pub fn multiply_scalars_accumulate_scalar(
    out: &mut [u64],
    inputs: &[&[u64]],
    constants: &[(u64, u64)],
    modulus: &Modulus,
) {
    debug_assert_eq!(inputs.len(), constants.len());
    let two_q = 2 * modulus.value();
    out.fill(0);
    for (input, &(w, w_shoup)) in inputs.iter().zip(constants) {
        debug_assert_eq!(input.len(), out.len());
        for (acc, &x) in out.iter_mut().zip(input.iter()) {
            let sum = *acc + modulus.mul_shoup_lazy(x, w, w_shoup);
            *acc = spencnn_ntt::subtract_if_at_least(sum, two_q);
        }
    }
    for acc in out.iter_mut() {
        *acc = modulus.reduce_once(*acc);
    }
}

/// `out[j] = [x_j]_s mod q`: the centred representative of `x_j ∈ [0, s)` modulo one source
/// prime `s` (`x_j − s` when `x_j > half = ⌊s/2⌋`), reduced modulo the target `q`;
/// `s_mod_q = s mod q`. The one-prime case of the centred basis conversion with one Shoup
/// product per value instead of two and no overflow array. Runs the AVX-512 twin when
/// [`avx512_enabled`].
pub fn centred_single_convert(out: &mut [u64], x: &[u64], half: u64, s_mod_q: u64, modulus: &Modulus) {
    assert_eq!(out.len(), x.len(), "equal lengths");
    #[cfg(target_arch = "x86_64")]
    if out.len().is_multiple_of(8) && avx512_enabled() {
        // SAFETY: AVX-512 F and DQ are present; equal lengths (asserted), a multiple of 8;
        // `s_mod_q` is reduced and moduli are below 2^62.
        unsafe { super::kernels_avx512::centred_single_convert(out, x, half, s_mod_q, modulus.value()) };
        return;
    }
    centred_single_convert_scalar(out, x, half, s_mod_q, modulus);
}

/// The scalar twin of [`centred_single_convert`].
pub fn centred_single_convert_scalar(out: &mut [u64], x: &[u64], half: u64, s_mod_q: u64, modulus: &Modulus) {
    debug_assert_eq!(out.len(), x.len());
    let (one, one_shoup) = (1, modulus.shoup(1));
    for (o, &v) in out.iter_mut().zip(x) {
        let r = modulus.mul_shoup(v, one, one_shoup);
        let corrected = modulus.sub(r, s_mod_q);
        *o = if v > half { corrected } else { r };
    }
}

/// `a[j] = (a[j] - b[j]) · w mod q` with `w_shoup = shoup(w)`. `a`, `b` reduced; output reduced.
/// Runs the AVX-512 twin when [`avx512_enabled`].
pub fn sub_then_multiply_scalar(a: &mut [u64], b: &[u64], w: u64, w_shoup: u64, modulus: &Modulus) {
    assert_eq!(a.len(), b.len(), "equal lengths");
    #[cfg(target_arch = "x86_64")]
    if a.len().is_multiple_of(8) && avx512_enabled() {
        // SAFETY: AVX-512 F and DQ are present; equal lengths (asserted), a multiple of 8;
        // moduli of the arithmetic layer are below 2^62.
        unsafe { super::kernels_avx512::sub_then_multiply_scalar(a, b, w, w_shoup, modulus.value()) };
        return;
    }
    sub_then_multiply_scalar_scalar(a, b, w, w_shoup, modulus);
}

/// The scalar twin of [`sub_then_multiply_scalar`].
pub fn sub_then_multiply_scalar_scalar(a: &mut [u64], b: &[u64], w: u64, w_shoup: u64, modulus: &Modulus) {
    debug_assert_eq!(a.len(), b.len());
    let q = modulus.value();
    for (x, &y) in a.iter_mut().zip(b) {
        *x = modulus.mul_shoup(*x + q - y, w, w_shoup);
    }
}

/// `a[j] = a[j] + c mod q` for a reduced constant `c`.
pub fn add_scalar_assign(a: &mut [u64], c: u64, modulus: &Modulus) {
    for x in a.iter_mut() {
        *x = modulus.add(*x, c);
    }
}

/// `out[j] = values[j] mod q` for any signed values (the encoder's scaled coefficients).
/// Runs the AVX-512 twin when [`avx512_enabled`].
pub fn signed_to_residues(out: &mut [u64], values: &[i64], modulus: &Modulus) {
    assert_eq!(out.len(), values.len(), "equal lengths");
    #[cfg(target_arch = "x86_64")]
    if out.len().is_multiple_of(8) && avx512_enabled() {
        // SAFETY: AVX-512 F and DQ are present; equal lengths (asserted), a multiple of 8;
        // moduli of the arithmetic layer are below 2^62.
        unsafe { super::kernels_avx512::signed_to_residues(out, values, modulus.value()) };
        return;
    }
    signed_to_residues_scalar(out, values, modulus);
}

/// The scalar twin of [`signed_to_residues`].
pub fn signed_to_residues_scalar(out: &mut [u64], values: &[i64], modulus: &Modulus) {
    debug_assert_eq!(out.len(), values.len());
    let q = modulus.value();
    for (o, &v) in out.iter_mut().zip(values) {
        let magnitude = modulus.reduce(v.unsigned_abs());
        let negative_mask = (v >> 63) as u64;
        let r = magnitude ^ ((magnitude ^ (q - magnitude)) & negative_mask);
        // r == q only for v == 0 mod q with a negative sign.
        *o = r - (q & u64::from(r == q).wrapping_neg());
    }
}

/// `out[j] = values[j] mod q` for small signed values `|values[j]| < q` (secret, error and
/// encryption-randomness coefficients), with no branch and no data-dependent instruction
/// timing: a sign mask selects `q − |v|`.
/// [`signed_to_residues`] accepts any `i64` but reduces with a Barrett step whose final
/// corrections may compile to branches.
pub fn small_signed_to_residues(out: &mut [u64], values: &[i64], modulus: &Modulus) {
    debug_assert_eq!(out.len(), values.len());
    let q = modulus.value();
    for (o, &v) in out.iter_mut().zip(values) {
        let magnitude = v.unsigned_abs();
        debug_assert!(magnitude < q, "|{v}| is not below q = {q}");
        let negative_mask = (v >> 63) as u64;
        // v ≥ 0: |v|; v < 0: q − |v| ∈ [1, q − 1]. No other case, so no final correction.
        *o = magnitude ^ ((magnitude ^ q.wrapping_sub(magnitude)) & negative_mask);
    }
}

/// `overflow[j] = round(Σ_i scaled[i][j] / s_i)` from `f64` reciprocals `inv_s_i = 1/s_i`: the
/// number of times the source product `S` must be subtracted from `Σ_i scaled_i·(S/s_i)` to reach
/// the centred representative. Inputs reduced modulo their `s_i`.
pub fn centred_overflow(overflow: &mut [u64], scaled: &[&[u64]], inv_sources: &[f64]) {
    overflow.fill(0);
    let mut sums = vec![0.0f64; overflow.len()];
    for (input, &inv) in scaled.iter().zip(inv_sources) {
        for (sum, &x) in sums.iter_mut().zip(input.iter()) {
            *sum += x as f64 * inv;
        }
    }
    for (o, sum) in overflow.iter_mut().zip(sums) {
        *o = sum.round() as u64;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signed_residues_match_rem_euclid() {
        let m = Modulus::new(1_152_921_504_606_584_833).unwrap();
        let values = [0i64, 1, -1, 19, -19, i64::MAX, i64::MIN + 1, -(1 << 40)];
        let mut out = [0u64; 8];
        signed_to_residues_scalar(&mut out, &values, &m);
        for (&v, &o) in values.iter().zip(&out) {
            assert_eq!(i128::from(o), i128::from(v).rem_euclid(i128::from(m.value())), "v={v}");
        }
    }

    /// Inputs that stress the lazy ranges: every value near 0, near q, near 2^62 and 2^64.
    fn edge_heavy_inputs(len: usize, seed: u64, q: u64) -> Vec<u64> {
        let mut state = seed | 1;
        (0..len)
            .map(|j| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                match j % 5 {
                    0 => state,
                    1 => state % q,
                    2 => q - 1 - (state % 3),
                    3 => (1u64 << 62) - 1 - (state % 5),
                    _ => state % 4,
                }
            })
            .collect()
    }

    #[test]
    fn avx512_kernels_match_their_scalar_twins() {
        if !avx512_enabled() {
            eprintln!("SKIPPED avx512_kernels_match_their_scalar_twins: AVX-512 F/DQ not available or disabled");
            return;
        }
        for q in [1_099_511_480_321u64, 1_152_921_504_606_584_833, (1 << 61) - 1, 65_537] {
            let m = Modulus::new(q).unwrap();
            let len = 64;
            for terms in 1..=5 {
                let inputs: Vec<Vec<u64>> = (0..terms).map(|t| edge_heavy_inputs(len, 17 + t as u64, q)).collect();
                let views: Vec<&[u64]> = inputs.iter().map(|x| &x[..]).collect();
                let constants: Vec<(u64, u64)> =
                    (0..terms).map(|t| [q - 1, 1, 0, q / 3, 12345][t % 5]).map(|w| (w, m.shoup(w))).collect();
                let (mut simd, mut scalar) = (vec![0; len], vec![0; len]);
                multiply_scalars_accumulate(&mut simd, &views, &constants, &m);
                multiply_scalars_accumulate_scalar(&mut scalar, &views, &constants, &m);
                assert_eq!(simd, scalar, "q={q}, {terms} terms");
            }
            let a: Vec<u64> = edge_heavy_inputs(len, 3, q).into_iter().map(|x| x % q).collect();
            let b: Vec<u64> = edge_heavy_inputs(len, 4, q).into_iter().map(|x| x % q).collect();
            for w in [0, 1, q - 1, q / 2 + 1] {
                let (mut simd, mut scalar) = (a.clone(), a.clone());
                sub_then_multiply_scalar(&mut simd, &b, w, m.shoup(w), &m);
                sub_then_multiply_scalar_scalar(&mut scalar, &b, w, m.shoup(w), &m);
                assert_eq!(simd, scalar, "q={q}, w={w}");
            }
            let signed: Vec<i64> = edge_heavy_inputs(len, 5, q)
                .into_iter()
                .enumerate()
                .map(|(j, x)| if j % 2 == 0 { x as i64 } else { (x as i64).wrapping_neg() })
                .chain([0, -1, 1, i64::MIN, i64::MAX, q as i64, -(q as i64), 2 * q as i64])
                .collect();
            let (mut simd, mut scalar) = (vec![0; signed.len()], vec![0; signed.len()]);
            signed_to_residues(&mut simd, &signed, &m);
            signed_to_residues_scalar(&mut scalar, &signed, &m);
            assert_eq!(simd, scalar, "q={q}: signed residues");
            // Sources larger and smaller than the target.
            for s in [(1u64 << 61) - 1, 1_152_921_504_606_584_833, 65_537, 1_099_511_480_321] {
                let x: Vec<u64> = edge_heavy_inputs(len, 9, s).into_iter().map(|v| v % s).collect();
                let (mut simd, mut scalar) = (vec![0; len], vec![0; len]);
                centred_single_convert(&mut simd, &x, s / 2, s % q, &m);
                centred_single_convert_scalar(&mut scalar, &x, s / 2, s % q, &m);
                assert_eq!(simd, scalar, "q={q}, s={s}: centred single conversion");
                for (&v, &o) in x.iter().zip(&scalar) {
                    let centred = if v > s / 2 { i128::from(v) - i128::from(s) } else { i128::from(v) };
                    assert_eq!(i128::from(o), centred.rem_euclid(i128::from(q)));
                }
            }
        }
    }

    #[test]
    fn small_signed_residues_match_rem_euclid() {
        let m = Modulus::new(1_099_511_480_321).unwrap();
        let values: Vec<i64> = (-40..=40).chain([1 << 39, -(1 << 39), 1_099_511_480_320, -1_099_511_480_320]).collect();
        let mut out = vec![0u64; values.len()];
        small_signed_to_residues(&mut out, &values, &m);
        for (&v, &o) in values.iter().zip(&out) {
            assert_eq!(i128::from(o), i128::from(v).rem_euclid(i128::from(m.value())), "v={v}");
        }
    }

    #[test]
    fn scalar_accumulate_matches_u128() {
        let m = Modulus::new(1_099_511_480_321).unwrap(); // 40-bit
        let a: Vec<u64> = (0..64).map(|j| (1u64 << 61) - 1 - j * 977).collect();
        let b: Vec<u64> = (0..64).map(|j| j * 123_456_789).collect();
        let c = [(m.value() - 1, m.shoup(m.value() - 1)), (12345, m.shoup(12345))];
        let mut out = vec![0u64; 64];
        multiply_scalars_accumulate(&mut out, &[&a, &b], &c, &m);
        for j in 0..64 {
            let expected =
                (u128::from(a[j]) * u128::from(c[0].0) + u128::from(b[j]) * u128::from(c[1].0)) % u128::from(m.value());
            assert_eq!(u128::from(out[j]), expected);
        }
    }
}
