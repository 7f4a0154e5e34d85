//! The "special FFT" of CKKS: the canonical embedding restricted to the slot orbit of 5.
//!
//! A plaintext polynomial `m(X)` with real coefficients, packed with `s` slots (a power of two
//! `≤ N/2`), holds only the coefficients at multiples of `g = N/(2s)` and at `N/2` plus those
//! multiples; slot `j` is `m(ζ^{5^j})` with `ζ = e^{iπ/N}`. Writing `w_i = c_{i·g} + i·c_{N/2+i·g}`
//! (since `ζ^{5^j·N/2} = i`), slot `j` is `Σ_i w_i ξ^{5^j·i}` with `ξ = ζ^g` a primitive
//! `4s`-th root of unity. [`SpecialFft::forward`] evaluates that in `O(s log s)` (decoding) and
//! [`SpecialFft::inverse`] interpolates it back (encoding). Rotation by `k` slots is the
//! automorphism `X ↦ X^{5^k}`, conjugation is `X ↦ X^{-1}`.

use super::complex::Complex;

/// Precomputed roots for the special FFT of a ring of degree `N`.
#[derive(Debug, Clone)]
pub(crate) struct SpecialFft {
    /// Per butterfly span `len = 2, 4, …, N/2`: the roots `ξ_len^{5^j}`, `j < len/2`, of the
    /// forward transform, contiguous; the span `len` starts at index `len/2 − 1`.
    forward_roots: Vec<Complex>,
    /// The same for the inverse transform (the conjugate roots).
    inverse_roots: Vec<Complex>,
}

fn bit_reverse_in_place(values: &mut [Complex]) {
    let n = values.len();
    let bits = n.trailing_zeros();
    if bits == 0 {
        return;
    }
    for i in 0..n {
        let j = i.reverse_bits() >> (usize::BITS - bits);
        if i < j {
            values.swap(i, j);
        }
    }
}

impl SpecialFft {
    /// Tables for ring degree `n` (a power of two).
    pub(crate) fn new(n: usize) -> Self {
        let m = 2 * n;
        let mut rotation_group = Vec::with_capacity(n / 2);
        let mut power = 1usize;
        for _ in 0..n / 2 {
            rotation_group.push(power);
            power = power * 5 % m;
        }
        let roots: Vec<Complex> =
            (0..=m).map(|k| Complex::from_angle(2.0 * std::f64::consts::PI * k as f64 / m as f64)).collect();
        let (mut forward_roots, mut inverse_roots) = (Vec::new(), Vec::new());
        let mut len = 2;
        while len <= n / 2 {
            // quarter_period = 4·len is a power of two: reduce with a mask.
            let (quarter_period, gap) = (len * 4, m / (len * 4));
            for &r in &rotation_group[..len / 2] {
                let k = r & (quarter_period - 1);
                forward_roots.push(roots[k * gap]);
                inverse_roots.push(roots[(quarter_period - k) * gap]);
            }
            len *= 2;
        }
        Self { forward_roots, inverse_roots }
    }

    /// The roots of span `len` (see the field documentation).
    fn stage_roots(table: &[Complex], len: usize) -> &[Complex] {
        &table[len / 2 - 1..len - 1]
    }

    /// Decoding direction, in place: `values[j] ← Σ_i w_i ξ^{5^j·i}` for `w = values` (length `s`).
    pub(crate) fn forward(&self, values: &mut [Complex]) {
        let size = values.len();
        bit_reverse_in_place(values);
        let mut len = 2;
        while len <= size {
            let half = len / 2;
            let roots = Self::stage_roots(&self.forward_roots, len);
            for block in values.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(half);
                for ((u, v), &root) in lo.iter_mut().zip(hi.iter_mut()).zip(roots) {
                    let t = *v * root;
                    (*u, *v) = (*u + t, *u - t);
                }
            }
            len *= 2;
        }
    }

    /// Encoding direction, in place: the inverse of [`SpecialFft::forward`] (including `1/s`).
    pub(crate) fn inverse(&self, values: &mut [Complex]) {
        let size = values.len();
        let mut len = size;
        while len >= 2 {
            let half = len / 2;
            let roots = Self::stage_roots(&self.inverse_roots, len);
            for block in values.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(half);
                for ((u, v), &root) in lo.iter_mut().zip(hi.iter_mut()).zip(roots) {
                    (*u, *v) = (*u + *v, (*u - *v) * root);
                }
            }
            len /= 2;
        }
        bit_reverse_in_place(values);
        let inv = 1.0 / size as f64;
        for v in values.iter_mut() {
            *v = v.scale(inv);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reference `O(s²)` evaluation of the decoding direction for ring degree `n`.
    fn forward_naive(n: usize, w: &[Complex]) -> Vec<Complex> {
        let (m, s) = (2 * n, w.len());
        let gap = m / (4 * s);
        let mut five_power = 1usize;
        (0..s)
            .map(|_| {
                let slot = w.iter().enumerate().fold(Complex::default(), |acc, (i, &wi)| {
                    let k = (five_power * i * gap) % m;
                    acc + wi * Complex::from_angle(2.0 * std::f64::consts::PI * k as f64 / m as f64)
                });
                five_power = five_power * 5 % m;
                slot
            })
            .collect()
    }

    #[test]
    fn fft_matches_naive_and_inverts() {
        let fft = SpecialFft::new(64);
        for s in [1usize, 2, 4, 8, 32] {
            let w: Vec<Complex> = (0..s).map(|i| Complex::new(i as f64 * 0.37 - 1.0, (i * i) as f64 * 0.11)).collect();
            let mut fast = w.clone();
            fft.forward(&mut fast);
            for (a, b) in fast.iter().zip(forward_naive(64, &w)) {
                assert!((*a - b).abs() < 1e-9, "s={s}");
            }
            fft.inverse(&mut fast);
            for (a, b) in fast.iter().zip(&w) {
                assert!((*a - *b).abs() < 1e-12, "s={s}");
            }
        }
    }
}
