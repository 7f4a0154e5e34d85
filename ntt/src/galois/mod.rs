//! Galois automorphisms `σ_k: a(X) ↦ a(X^k)` of `Z_q[X]/(X^n + 1)` for odd `k`.
//!
//! In coefficient form, coefficient `j` moves to `j·k mod 2n`, negated when that index wraps
//! past `n` (because `X^n = -1`). In NTT form (the bit-reversed evaluation order of
//! [`crate::NttPlan`]) the automorphism only permutes the evaluations: slot `i` holds
//! `a(ψ^{e_i})` with `e_i = 2·bitrev(i)+1`, and `σ_k(a)(ψ^{e_i}) = a(ψ^{k·e_i})`.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;

use crate::bit_reverse::bit_reverse;
use crate::error::NttError;
use crate::isa::Isa;
use crate::modulus::Modulus;
use crate::vector::Kernels;

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
    automorphism_coefficients_with_isa(Kernels::detect().isa(), input, output, k, modulus)
}

/// [`automorphism_coefficients`] on a chosen instruction set (a gather of
/// `input[i·k⁻¹ mod 2n]` with the sign folded in, for AVX2/AVX-512).
///
/// # Errors
/// As [`automorphism_coefficients`], plus [`NttError::IsaUnavailable`].
pub fn automorphism_coefficients_with_isa(
    isa: Isa,
    input: &[u64],
    output: &mut [u64],
    k: u64,
    modulus: &Modulus,
) -> Result<(), NttError> {
    let n = input.len();
    if !n.is_power_of_two() {
        return Err(NttError::DegreeNotPowerOfTwo { n });
    }
    check_element(n, k)?;
    check_lengths(n, [input.len(), output.len()])?;
    let two_n = 2 * n as u64;
    match isa.require()? {
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `require` confirmed AVX-512; equal power-of-two lengths; k odd below 2n.
        Isa::Avx512 if n >= 8 => unsafe {
            avx512::automorphism_coefficients(input, output, inverse_mod_power_of_two(k, two_n), modulus)
        },
        #[cfg(target_arch = "x86_64")]
        // SAFETY: `require` confirmed AVX2; as above.
        Isa::Avx2 if n >= 4 => unsafe {
            avx2::automorphism_coefficients(input, output, inverse_mod_power_of_two(k, two_n), modulus)
        },
        _ => scatter_coefficients(input, output, k as usize, modulus),
    }
    Ok(())
}

/// The scalar twin: coefficient `j` moves to `j·k mod 2n`, negated past `n`.
fn scatter_coefficients(input: &[u64], output: &mut [u64], k: usize, modulus: &Modulus) {
    let n = input.len();
    let mask = 2 * n - 1;
    let mut index = 0usize;
    for &a in input {
        if index < n {
            output[index] = a;
        } else {
            output[index - n] = modulus.neg(a);
        }
        index = (index + k) & mask;
    }
}

/// `k⁻¹ mod m` for odd `k` and a power of two `m` (Newton iteration on 2-adic inverses).
fn inverse_mod_power_of_two(k: u64, m: u64) -> u64 {
    let mut inverse = k; // correct to 3 bits for odd k
    for _ in 0..5 {
        inverse = inverse.wrapping_mul(2u64.wrapping_sub(k.wrapping_mul(inverse)));
    }
    inverse & (m - 1)
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
    /// Per aligned block of 8 output slots: `source block start | lane indices << 32`, where
    /// lane `l`'s 3-bit index sits at bits `32 + 3l`. Every block of 8 outputs comes from one
    /// aligned block of 8 inputs (the low bits of a slot index are the high bits of its
    /// exponent, which `σ_k` moves together), so the SIMD kernels gather with one load and one
    /// in-register permute per block. Empty for `n < 8`.
    blocks: Vec<u64>,
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
            .collect::<Vec<u32>>();
        let blocks = lane_blocks(&source);
        Ok(Self { galois_element: k, source, blocks })
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
        self.apply_with_isa(Kernels::detect().isa(), input, output)
    }

    /// [`GaloisPermutation::apply`] on a chosen instruction set.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`], [`NttError::IsaUnavailable`].
    pub fn apply_with_isa(&self, isa: Isa, input: &[u64], output: &mut [u64]) -> Result<(), NttError> {
        check_lengths(self.n(), [input.len(), output.len()])?;
        match isa.require()? {
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `require` confirmed AVX-512; lengths are n; `blocks` was built from `source`.
            Isa::Avx512 if !self.blocks.is_empty() => unsafe { avx512::permute_blocks(&self.blocks, input, output) },
            #[cfg(target_arch = "x86_64")]
            // SAFETY: `require` confirmed AVX2; lengths are n and every source index is below n.
            Isa::Avx2 if self.n() >= 4 => unsafe { avx2::gather(&self.source, input, output) },
            _ => {
                for (out, &src) in output.iter_mut().zip(&self.source) {
                    *out = input[src as usize];
                }
            }
        }
        Ok(())
    }

    /// The gather indices, `source[i]` being the input slot that lands in output slot `i`.
    pub fn source_indices(&self) -> &[u32] {
        &self.source
    }
}

/// The per-block form of a gather (see [`GaloisPermutation`]'s `blocks`), or an empty vector
/// when `n < 8` or (which the structure of `σ_k` rules out) some block of 8 outputs reads from
/// more than one block of inputs; an empty vector makes `apply` use the plain gather.
fn lane_blocks(source: &[u32]) -> Vec<u64> {
    if source.len() < 8 {
        return Vec::new();
    }
    let mut blocks = Vec::with_capacity(source.len() / 8);
    for block in source.chunks_exact(8) {
        let start = block[0] & !7;
        let mut lanes = 0u64;
        for (lane, &src) in block.iter().enumerate() {
            let same_block = src & !7 == start;
            debug_assert!(same_block, "a block of 8 outputs must come from one block of 8 inputs");
            if !same_block {
                return Vec::new();
            }
            lanes |= u64::from(src & 7) << (3 * lane);
        }
        blocks.push(u64::from(start) | lanes << 32);
    }
    blocks
}
