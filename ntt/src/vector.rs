//! Element-wise kernels on residue vectors modulo one prime.
//!
//! All inputs are reduced (`[0, q)`) unless a function says otherwise, and so are all outputs.
//! Every function checks slice lengths and returns [`NttError::LengthMismatch`] instead of
//! panicking.

use crate::error::NttError;
use crate::modulus::Modulus;

fn check_same_len(expected: usize, others: &[usize]) -> Result<(), NttError> {
    match others.iter().copied().find(|&len| len != expected) {
        Some(actual) => Err(NttError::LengthMismatch { expected, actual }),
        None => Ok(()),
    }
}

/// `a[j] = a[j] + b[j] mod q`.
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn add_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) -> Result<(), NttError> {
    check_same_len(a.len(), &[b.len()])?;
    for (x, &y) in a.iter_mut().zip(b) {
        *x = modulus.add(*x, y);
    }
    Ok(())
}

/// `a[j] = a[j] - b[j] mod q`.
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn sub_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) -> Result<(), NttError> {
    check_same_len(a.len(), &[b.len()])?;
    for (x, &y) in a.iter_mut().zip(b) {
        *x = modulus.sub(*x, y);
    }
    Ok(())
}

/// `a[j] = -a[j] mod q`.
pub fn neg_assign(a: &mut [u64], modulus: &Modulus) {
    for x in a.iter_mut() {
        *x = modulus.neg(*x);
    }
}

/// `a[j] = a[j] · b[j] mod q` (Barrett).
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn mul_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) -> Result<(), NttError> {
    check_same_len(a.len(), &[b.len()])?;
    for (x, &y) in a.iter_mut().zip(b) {
        *x = modulus.mul(*x, y);
    }
    Ok(())
}

/// `a[j] = a[j] · w[j] mod q` for a constant vector `w` with Shoup companions
/// `w_shoup[j] = floor(w[j]·2^64/q)` (see [`shoup_companions`]). `a` may hold any `u64`.
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn mul_shoup_assign(a: &mut [u64], w: &[u64], w_shoup: &[u64], modulus: &Modulus) -> Result<(), NttError> {
    check_same_len(a.len(), &[w.len(), w_shoup.len()])?;
    for ((x, &c), &c_shoup) in a.iter_mut().zip(w).zip(w_shoup) {
        *x = modulus.mul_shoup(*x, c, c_shoup);
    }
    Ok(())
}

/// `a[j] = a[j] · c mod q` for one reduced constant `c`. `a` may hold any `u64`.
pub fn mul_scalar_assign(a: &mut [u64], c: u64, modulus: &Modulus) {
    let c = modulus.reduce(c);
    let c_shoup = modulus.shoup(c);
    for x in a.iter_mut() {
        *x = modulus.mul_shoup(*x, c, c_shoup);
    }
}

/// The Shoup companions `floor(w[j]·2^64/q)` of a reduced constant vector.
pub fn shoup_companions(w: &[u64], modulus: &Modulus) -> Vec<u64> {
    w.iter().map(|&c| modulus.shoup(c)).collect()
}

/// Fused multiply-accumulate: `acc[j] = acc[j] + Σ_i a_i[j] · b_i[j] mod q`.
///
/// The products are summed in 128 bits and reduced once per group of terms (as many as fit
/// without overflow: `floor((2^128-1) / (q-1)^2)`, at least 16 for `q < 2^62`), instead of once
/// per product. `acc` reduced in and out; every `a_i`, `b_i` reduced.
///
/// # Errors
/// [`NttError::LengthMismatch`] when any slice length differs from `acc.len()`.
pub fn multiply_accumulate(acc: &mut [u64], pairs: &[(&[u64], &[u64])], modulus: &Modulus) -> Result<(), NttError> {
    let n = acc.len();
    for (a, b) in pairs {
        check_same_len(n, &[a.len(), b.len()])?;
    }
    const BLOCK: usize = 64;
    let max_product = u128::from(modulus.value() - 1).pow(2).max(1);
    // One slot of headroom for the running accumulator value itself.
    let terms_per_reduction = ((u128::MAX - u128::from(modulus.value())) / max_product).min(1 << 20) as usize;
    let mut sums = [0u128; BLOCK];
    for start in (0..n).step_by(BLOCK) {
        let end = (start + BLOCK).min(n);
        let width = end - start;
        for (sum, &x) in sums.iter_mut().zip(&acc[start..end]) {
            *sum = u128::from(x);
        }
        for chunk in pairs.chunks(terms_per_reduction) {
            for (a, b) in chunk {
                for ((sum, &x), &y) in sums[..width].iter_mut().zip(&a[start..end]).zip(&b[start..end]) {
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
    Ok(())
}
