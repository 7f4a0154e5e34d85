//! Portable element-wise kernels: the reference twins of the SIMD kernels, and the tails the
//! SIMD kernels leave (lengths not a multiple of the vector width). Slice lengths were checked
//! by the caller (`vector/mod.rs`). Inputs reduced (`[0, q)`) unless stated, outputs reduced.

use crate::modulus::{Modulus, select, subtract_if_at_least};

/// `a[j] = a[j] + b[j] mod q`.
pub(super) fn add_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x = modulus.add(*x, y);
    }
}

/// `a[j] = a[j] - b[j] mod q`.
pub(super) fn sub_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x = modulus.sub(*x, y);
    }
}

/// `a[j] = -a[j] mod q`.
pub(super) fn neg_assign(a: &mut [u64], modulus: &Modulus) {
    for x in a.iter_mut() {
        *x = modulus.neg(*x);
    }
}

/// `a[j] = a[j]·b[j] mod q` (Barrett).
pub(super) fn mul_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) {
    for (x, &y) in a.iter_mut().zip(b) {
        *x = modulus.mul(*x, y);
    }
}

/// `a[j] = a[j]·w[j] mod q` with Shoup companions; `a` may hold any `u64`.
pub(super) fn mul_shoup_assign(a: &mut [u64], w: &[u64], w_shoup: &[u64], modulus: &Modulus) {
    for ((x, &c), &c_shoup) in a.iter_mut().zip(w).zip(w_shoup) {
        *x = modulus.mul_shoup(*x, c, c_shoup);
    }
}

/// `a[j] = a[j]·c mod q` for a reduced `c` with companion `c_shoup`; `a` may hold any `u64`.
pub(super) fn mul_scalar_assign(a: &mut [u64], c: u64, c_shoup: u64, modulus: &Modulus) {
    for x in a.iter_mut() {
        *x = modulus.mul_shoup(*x, c, c_shoup);
    }
}

/// How many products of reduced values a 128-bit sum holds next to one reduced value.
pub(super) fn terms_per_reduction(modulus: &Modulus) -> usize {
    let max_product = u128::from(modulus.value() - 1).pow(2).max(1);
    ((u128::MAX - u128::from(modulus.value())) / max_product).min(1 << 20) as usize
}

/// `acc[j] = acc[j] + Σ_i a_i[j]·b_i[j] mod q`, summing in 128 bits and reducing once per
/// [`terms_per_reduction`] products.
pub(super) fn multiply_accumulate(acc: &mut [u64], pairs: &[(&[u64], &[u64])], modulus: &Modulus, offset: usize) {
    const BLOCK: usize = 64;
    let n = acc.len();
    let terms = terms_per_reduction(modulus);
    let mut sums = [0u128; BLOCK];
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        let width = end - start;
        for (sum, &x) in sums.iter_mut().zip(&acc[start..end]) {
            *sum = u128::from(x);
        }
        for chunk in pairs.chunks(terms) {
            for (a, b) in chunk {
                let (a, b) = (&a[offset + start..offset + end], &b[offset + start..offset + end]);
                for ((sum, &x), &y) in sums[..width].iter_mut().zip(a).zip(b) {
                    *sum += u128::from(x) * u128::from(y);
                }
            }
            for sum in sums[..width].iter_mut() {
                *sum = u128::from(modulus.reduce_u128(*sum));
            }
        }
        for (x, &sum) in acc[start..end].iter_mut().zip(&sums[..width]) {
            *x = sum as u64;
        }
    }
}

/// `acc[j] = acc[j] + Σ_i a_i[j]·w_i[j] mod q` for fixed operands `w_i` with Shoup companions;
/// every `a_i` may hold any `u64`.
pub(super) fn multiply_accumulate_shoup(
    acc: &mut [u64],
    terms: &[(&[u64], &[u64], &[u64])],
    modulus: &Modulus,
    offset: usize,
) {
    for (j, x) in acc.iter_mut().enumerate() {
        let j = offset + j;
        *x = terms.iter().fold(*x, |sum, (a, w, w_shoup)| modulus.add(sum, modulus.mul_shoup(a[j], w[j], w_shoup[j])));
    }
}

/// `out[j] = Σ_i inputs[i][j]·w_i mod q` for `weights[i] = (w_i, shoup(w_i))`; inputs any `u64`.
/// The running sum stays in `[0, 2q)`: a Shoup product in `[0, 2q)` is added, then `2q` is
/// conditionally subtracted; one final conditional subtraction reduces it.
pub(super) fn weighted_sum(
    out: &mut [u64],
    inputs: &[&[u64]],
    weights: &[(u64, u64)],
    modulus: &Modulus,
    offset: usize,
) {
    let two_q = 2 * modulus.value();
    out.fill(0);
    for (input, &(w, w_shoup)) in inputs.iter().zip(weights) {
        for (acc, &x) in out.iter_mut().zip(&input[offset..]) {
            *acc = subtract_if_at_least(*acc + modulus.mul_shoup_lazy(x, w, w_shoup), two_q);
        }
    }
    for acc in out.iter_mut() {
        *acc = modulus.reduce_once(*acc);
    }
}

/// `out[j] = [x_j]_s mod q` for `x_j ∈ [0, s)`: `x_j`, or `x_j − s` when `x_j > source_half`,
/// reduced modulo `q`, with `source_mod_q = s mod q`.
pub(super) fn reduce_centred(out: &mut [u64], input: &[u64], source_half: u64, source_mod_q: u64, modulus: &Modulus) {
    let one_shoup = modulus.shoup(1);
    for (o, &x) in out.iter_mut().zip(input) {
        let r = modulus.mul_shoup(x, 1, one_shoup);
        *o = select(x > source_half, modulus.sub(r, source_mod_q), r);
    }
}

/// `a[j] = (a[j] − b[j])·c mod q` with `c_shoup = shoup(c)`; `a`, `b` reduced.
pub(super) fn sub_mul_scalar_assign(a: &mut [u64], b: &[u64], c: u64, c_shoup: u64, modulus: &Modulus) {
    let q = modulus.value();
    for (x, &y) in a.iter_mut().zip(b) {
        // x + q − y ∈ [1, 2q): any u64 is a valid Shoup input.
        *x = modulus.mul_shoup(*x + q - y, c, c_shoup);
    }
}

/// `out[j] = values[j] mod q` for any `i64`.
pub(super) fn signed_to_residues(out: &mut [u64], values: &[i64], modulus: &Modulus) {
    let q = modulus.value();
    for (o, &v) in out.iter_mut().zip(values) {
        let magnitude = modulus.reduce(v.unsigned_abs());
        // v < 0: q − |v| mod q, which is q itself (to be mapped to 0) when |v| ≡ 0.
        let r = select(v < 0, q - magnitude, magnitude);
        *o = subtract_if_at_least(r, q);
    }
}
