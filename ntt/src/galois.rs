//! Galois automorphisms `σ_k: a(X) ↦ a(X^k)` of `Z_q[X]/(X^n + 1)` for odd `k`.
//!
//! In coefficient form, coefficient `j` moves to `j·k mod 2n`, negated when that index wraps
//! past `n` (because `X^n = -1`). In NTT form (the bit-reversed evaluation order of
//! [`crate::NttPlan`]) the automorphism only permutes the evaluations: slot `i` holds
//! `a(ψ^{e_i})` with `e_i = 2·bitrev(i)+1`, and `σ_k(a)(ψ^{e_i}) = a(ψ^{k·e_i})`.

use crate::bit_reverse::bit_reverse;
use crate::error::NttError;
use crate::modulus::Modulus;

fn check_element(n: usize, k: u64) -> Result<(), NttError> {
    let two_n = 2 * n as u64;
    if k.is_multiple_of(2) || k >= two_n {
        return Err(NttError::InvalidGaloisElement { k, two_n });
    }
    Ok(())
}

fn check_lengths(n: usize, lengths: [usize; 2]) -> Result<(), NttError> {
    match lengths.into_iter().find(|&len| len != n) {
        Some(actual) => Err(NttError::LengthMismatch { expected: n, actual }),
        None => Ok(()),
    }
}

/// Applies `σ_k` to a polynomial in coefficient form: `output = input(X^k)`.
///
/// `input` reduced (`[0, q)`), output reduced. `n = input.len()` must be a power of two.
///
/// # Errors
/// [`NttError::DegreeNotPowerOfTwo`], [`NttError::InvalidGaloisElement`] (even `k` or `k >= 2n`),
/// [`NttError::LengthMismatch`].
pub fn automorphism_coefficients(input: &[u64], output: &mut [u64], k: u64, modulus: &Modulus) -> Result<(), NttError> {
    let n = input.len();
    if !n.is_power_of_two() {
        return Err(NttError::DegreeNotPowerOfTwo { n });
    }
    check_element(n, k)?;
    check_lengths(n, [input.len(), output.len()])?;
    let mask = 2 * n - 1;
    let k = k as usize;
    let mut index = 0usize;
    for &a in input {
        if index < n {
            output[index] = a;
        } else {
            output[index - n] = modulus.neg(a);
        }
        index = (index + k) & mask;
    }
    Ok(())
}

/// The index permutation that realises `σ_k` on NTT-form polynomials.
///
/// Built once per `(n, k)`; [`GaloisPermutation::apply`] is then a gather
/// `output[i] = input[source[i]]`, valid for any modulus (it moves values, it does not
/// change them, so any lazy range is preserved).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GaloisPermutation {
    galois_element: u64,
    source: Vec<u32>,
}

impl GaloisPermutation {
    /// Precomputes the permutation of `σ_k` for degree `n` (a power of two, at most `2^31`).
    ///
    /// # Errors
    /// [`NttError::DegreeNotPowerOfTwo`], [`NttError::InvalidGaloisElement`].
    pub fn new(n: usize, k: u64) -> Result<Self, NttError> {
        if !n.is_power_of_two() || n > 1 << 31 {
            return Err(NttError::DegreeNotPowerOfTwo { n });
        }
        check_element(n, k)?;
        let log_n = n.trailing_zeros();
        let mask = 2 * n as u64 - 1;
        let source = (0..n)
            .map(|i| {
                let exponent = 2 * bit_reverse(i, log_n) as u64 + 1;
                let image = (exponent * k) & mask;
                bit_reverse(((image - 1) / 2) as usize, log_n) as u32
            })
            .collect();
        Ok(Self { galois_element: k, source })
    }

    /// The Galois element `k`.
    pub fn galois_element(&self) -> u64 {
        self.galois_element
    }

    /// The ring degree.
    pub fn n(&self) -> usize {
        self.source.len()
    }

    /// `output[i] = input[source[i]]`: the NTT form of `σ_k(a)` from the NTT form of `a`.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`].
    pub fn apply(&self, input: &[u64], output: &mut [u64]) -> Result<(), NttError> {
        check_lengths(self.n(), [input.len(), output.len()])?;
        for (out, &src) in output.iter_mut().zip(&self.source) {
            *out = input[src as usize];
        }
        Ok(())
    }

    /// The gather indices, `source[i]` being the input slot that lands in output slot `i`.
    pub fn source_indices(&self) -> &[u32] {
        &self.source
    }
}
