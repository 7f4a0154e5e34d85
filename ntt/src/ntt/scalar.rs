//! Portable negacyclic NTT kernels (Harvey's lazy butterflies).
//!
//! Tables: `twiddles[m + i]` is `ψ^{bitrev(m + i)}` for the forward transform, where `m` is the
//! number of butterfly groups of a stage and `i` the group; `inv_twiddles[m + i]` is its inverse.
//! Companions `*_shoup` are `floor(w·2^64/q)`.

use crate::{Modulus, subtract_if_at_least};

/// Forward Cooley–Tukey transform, natural-order input, bit-reversed output.
///
/// Input in `[0, 4q)`, output in `[0, 4q)`.
pub(super) fn forward_lazy(values: &mut [u64], modulus: &Modulus, twiddles: &[u64], twiddles_shoup: &[u64]) {
    let n = values.len();
    let two_q = 2 * modulus.value();
    let mut half = n;
    let mut groups = 1;
    while groups < n {
        half >>= 1;
        for group in 0..groups {
            let (w, w_shoup) = (twiddles[groups + group], twiddles_shoup[groups + group]);
            let (lo, hi) = values[2 * group * half..2 * (group + 1) * half].split_at_mut(half);
            for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                let a = subtract_if_at_least(*x, two_q);
                let t = modulus.mul_shoup_lazy(*y, w, w_shoup);
                *x = a + t;
                *y = a + two_q - t;
            }
        }
        groups <<= 1;
    }
}

/// Inverse Gentleman–Sande transform, bit-reversed input, natural-order output, including the
/// `1/n` scaling (folded into the last stage through `n_inv` and `last_twiddle = ψ^{-n/2}·n^{-1}`).
///
/// Input in `[0, 2q)`, output in `[0, 2q)`.
pub(super) fn inverse_lazy(
    values: &mut [u64],
    modulus: &Modulus,
    inv_twiddles: &[u64],
    inv_twiddles_shoup: &[u64],
    n_inv: (u64, u64),
    last_twiddle: (u64, u64),
) {
    let n = values.len();
    let two_q = 2 * modulus.value();
    let mut half = 1;
    let mut groups = n >> 1;
    while groups > 1 {
        for group in 0..groups {
            let (w, w_shoup) = (inv_twiddles[groups + group], inv_twiddles_shoup[groups + group]);
            let (lo, hi) = values[2 * group * half..2 * (group + 1) * half].split_at_mut(half);
            for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
                let sum = *x + *y;
                let difference = *x + two_q - *y;
                *x = subtract_if_at_least(sum, two_q);
                *y = modulus.mul_shoup_lazy(difference, w, w_shoup);
            }
        }
        half <<= 1;
        groups >>= 1;
    }
    let (lo, hi) = values.split_at_mut(half);
    for (x, y) in lo.iter_mut().zip(hi.iter_mut()) {
        let sum = *x + *y;
        let difference = *x + two_q - *y;
        *x = modulus.mul_shoup_lazy(sum, n_inv.0, n_inv.1);
        *y = modulus.mul_shoup_lazy(difference, last_twiddle.0, last_twiddle.1);
    }
}

/// Maps every value from `[0, 4q)` to `[0, q)`.
pub(super) fn reduce_from_4q(values: &mut [u64], modulus: &Modulus) {
    let q = modulus.value();
    for v in values.iter_mut() {
        *v = subtract_if_at_least(subtract_if_at_least(*v, 2 * q), q);
    }
}
