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
pub struct SpecialFft {
    /// `M = 2N`.
    m: usize,
    /// `5^j mod M` for `j < N/2`.
    rotation_group: Vec<usize>,
    /// `e^{2πik/M}` for `k ≤ M`.
    roots: Vec<Complex>,
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
    pub fn new(n: usize) -> Self {
        let m = 2 * n;
        let mut rotation_group = Vec::with_capacity(n / 2);
        let mut power = 1usize;
        for _ in 0..n / 2 {
            rotation_group.push(power);
            power = power * 5 % m;
        }
        let roots = (0..=m).map(|k| Complex::from_angle(2.0 * std::f64::consts::PI * k as f64 / m as f64)).collect();
        Self { m, rotation_group, roots }
    }

    /// Decoding direction, in place: `values[j] ← Σ_i w_i ξ^{5^j·i}` for `w = values` (length `s`).
    pub fn forward(&self, values: &mut [Complex]) {
        let size = values.len();
        bit_reverse_in_place(values);
        let mut len = 2;
        while len <= size {
            let half = len / 2;
            let quarter_period = len * 4;
            let gap = self.m / quarter_period;
            for block in values.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(half);
                for (j, (u, v)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                    let root = self.roots[(self.rotation_group[j] % quarter_period) * gap];
                    let t = *v * root;
                    (*u, *v) = (*u + t, *u - t);
                }
            }
            len *= 2;
        }
    }

    /// Encoding direction, in place: the inverse of [`SpecialFft::forward`] (including `1/s`).
    pub fn inverse(&self, values: &mut [Complex]) {
        let size = values.len();
        let mut len = size;
        while len >= 2 {
            let half = len / 2;
            let quarter_period = len * 4;
            let gap = self.m / quarter_period;
            for block in values.chunks_exact_mut(len) {
                let (lo, hi) = block.split_at_mut(half);
                for (j, (u, v)) in lo.iter_mut().zip(hi.iter_mut()).enumerate() {
                    let root = self.roots[(quarter_period - self.rotation_group[j] % quarter_period) * gap];
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

    /// Reference `O(s²)` evaluation of the decoding direction (for tests).
    #[cfg(test)]
    pub fn forward_naive(&self, w: &[Complex]) -> Vec<Complex> {
        let s = w.len();
        let gap = self.m / (4 * s);
        (0..s)
            .map(|j| {
                w.iter().enumerate().fold(Complex::default(), |acc, (i, &wi)| {
                    acc + wi * self.roots[(self.rotation_group[j] * i * gap) % self.m]
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fft_matches_naive_and_inverts() {
        let fft = SpecialFft::new(64);
        for s in [1usize, 2, 4, 8, 32] {
            let w: Vec<Complex> = (0..s).map(|i| Complex::new(i as f64 * 0.37 - 1.0, (i * i) as f64 * 0.11)).collect();
            let mut fast = w.clone();
            fft.forward(&mut fast);
            for (a, b) in fast.iter().zip(fft.forward_naive(&w)) {
                assert!((*a - b).abs() < 1e-9, "s={s}");
            }
            fft.inverse(&mut fast);
            for (a, b) in fast.iter().zip(&w) {
                assert!((*a - *b).abs() < 1e-12, "s={s}");
            }
        }
    }
}
