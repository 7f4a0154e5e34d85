//! Scalar element-wise kernels the CKKS layer needs beyond `spencnn_ntt::vector`.
//!
//! Each one works on whole limbs (one prime at a time) so that it can be vectorised and moved
//! into `spencnn-ntt` later without changing its callers. Lengths are checked by the callers
//! (all slices of one call have the ring degree as length); the kernels `debug_assert` them.

use spencnn_ntt::Modulus;

/// `out[j] = Σ_i inputs[i][j] · constants[i].0 mod q`, with `constants[i] = (w, shoup(w))`,
/// `w < q`. Inputs may be any `u64` (residues modulo other primes); output in `[0, q)`.
///
/// The running sum stays in `[0, 2q)` (Shoup products are in `[0, 2q)`, a conditional
/// subtraction after each addition), so any number of terms is safe.
pub fn multiply_scalars_accumulate(out: &mut [u64], inputs: &[&[u64]], constants: &[(u64, u64)], modulus: &Modulus) {
    debug_assert_eq!(inputs.len(), constants.len());
    let two_q = 2 * modulus.value();
    out.fill(0);
    for (input, &(w, w_shoup)) in inputs.iter().zip(constants) {
        debug_assert_eq!(input.len(), out.len());
        for (acc, &x) in out.iter_mut().zip(input.iter()) {
            let sum = *acc + modulus.mul_shoup_lazy(x, w, w_shoup);
            *acc = if sum >= two_q { sum - two_q } else { sum };
        }
    }
    for acc in out.iter_mut() {
        *acc = modulus.reduce_once(*acc);
    }
}

/// `a[j] = (a[j] - b[j]) · w mod q` with `w_shoup = shoup(w)`. `a`, `b` reduced; output reduced.
pub fn sub_then_multiply_scalar(a: &mut [u64], b: &[u64], w: u64, w_shoup: u64, modulus: &Modulus) {
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

/// `out[j] = values[j] mod q` for signed values, without branches on the values (used for
/// secret and error coefficients).
pub fn signed_to_residues(out: &mut [u64], values: &[i64], modulus: &Modulus) {
    debug_assert_eq!(out.len(), values.len());
    let q = modulus.value();
    for (o, &v) in out.iter_mut().zip(values) {
        // |v| is small (ternary or Gaussian), but reduce anyway; the sign is folded in with a mask.
        let magnitude = modulus.reduce(v.unsigned_abs());
        let negative_mask = (v >> 63) as u64;
        let r = magnitude ^ ((magnitude ^ (q - magnitude)) & negative_mask);
        // r == q only for v == 0 mod q with a negative sign.
        *o = r - (q & u64::from(r == q).wrapping_neg());
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
        signed_to_residues(&mut out, &values, &m);
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
