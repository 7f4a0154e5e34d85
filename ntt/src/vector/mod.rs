//! Element-wise kernels on residue vectors modulo one prime: additions, products, fused
//! multiply-accumulates, and the steps of RNS basis conversion and exact division
//! ([`weighted_sum`], [`reduce_centred`], [`sub_mul_scalar_assign`]) and of turning signed
//! integers into residues ([`signed_to_residues`], [`small_signed_to_residues`]).
//!
//! All inputs are reduced (`[0, q)`) unless a function says otherwise, and so are all outputs.
//! Every function checks slice lengths and returns [`NttError::LengthMismatch`] instead of
//! panicking.
//!
//! The free functions run on the widest instruction set of this CPU ([`Isa::detect`], read
//! once); [`Kernels`] runs them on a chosen one (tests compare every tier with
//! [`Isa::Scalar`], benchmarks time each tier).

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
mod avx512_rns;
mod scalar;

use std::sync::OnceLock;

use crate::error::NttError;
use crate::isa::Isa;
use crate::modulus::Modulus;

fn check_same_len(expected: usize, others: &[usize]) -> Result<(), NttError> {
    match others.iter().copied().find(|&len| len != expected) {
        Some(actual) => Err(NttError::LengthMismatch { expected, actual }),
        None => Ok(()),
    }
}

/// The element-wise kernels of one instruction set.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Kernels {
    isa: Isa,
}

impl Kernels {
    /// Kernels for `isa`.
    ///
    /// # Errors
    /// [`NttError::IsaUnavailable`] when this CPU lacks `isa`.
    pub fn new(isa: Isa) -> Result<Self, NttError> {
        Ok(Self { isa: isa.require()? })
    }

    /// Kernels for the widest instruction set of this CPU (see [`Isa::detect`]).
    pub fn detect() -> Self {
        static DETECTED: OnceLock<Isa> = OnceLock::new();
        Self { isa: *DETECTED.get_or_init(Isa::detect) }
    }

    /// The instruction set these kernels run on.
    pub fn isa(&self) -> Isa {
        self.isa
    }

    /// `a[j] = a[j] + b[j] mod q`.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`].
    pub fn add_assign(&self, a: &mut [u64], b: &[u64], modulus: &Modulus) -> Result<(), NttError> {
        check_same_len(a.len(), &[b.len()])?;
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`; lengths are equal.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512::add_assign(a, b, modulus) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { avx2::add_assign(a, b, modulus) },
            _ => scalar::add_assign(a, b, modulus),
        }
        Ok(())
    }

    /// `a[j] = a[j] - b[j] mod q`.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`].
    pub fn sub_assign(&self, a: &mut [u64], b: &[u64], modulus: &Modulus) -> Result<(), NttError> {
        check_same_len(a.len(), &[b.len()])?;
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`; lengths are equal.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512::sub_assign(a, b, modulus) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { avx2::sub_assign(a, b, modulus) },
            _ => scalar::sub_assign(a, b, modulus),
        }
        Ok(())
    }

    /// `a[j] = -a[j] mod q`.
    pub fn neg_assign(&self, a: &mut [u64], modulus: &Modulus) {
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512::neg_assign(a, modulus) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { avx2::neg_assign(a, modulus) },
            _ => scalar::neg_assign(a, modulus),
        }
    }

    /// `a[j] = a[j]·b[j] mod q`.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`].
    pub fn mul_assign(&self, a: &mut [u64], b: &[u64], modulus: &Modulus) -> Result<(), NttError> {
        check_same_len(a.len(), &[b.len()])?;
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`; lengths are equal.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512::mul_assign(a, b, modulus) },
            _ => scalar::mul_assign(a, b, modulus),
        }
        Ok(())
    }

    /// `a[j] = a[j]·w[j] mod q` for a constant vector `w` with Shoup companions
    /// `w_shoup[j] = floor(w[j]·2^64/q)` (see [`shoup_companions`]). `a` may hold any `u64`.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`].
    pub fn mul_shoup_assign(
        &self,
        a: &mut [u64],
        w: &[u64],
        w_shoup: &[u64],
        modulus: &Modulus,
    ) -> Result<(), NttError> {
        check_same_len(a.len(), &[w.len(), w_shoup.len()])?;
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`; lengths are equal.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512::mul_shoup_assign(a, w, w_shoup, modulus) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { avx2::mul_shoup_assign(a, w, w_shoup, modulus) },
            _ => scalar::mul_shoup_assign(a, w, w_shoup, modulus),
        }
        Ok(())
    }

    /// `a[j] = a[j]·c mod q` for one constant `c` (any `u64`, reduced first). `a` may hold any `u64`.
    pub fn mul_scalar_assign(&self, a: &mut [u64], c: u64, modulus: &Modulus) {
        let c = modulus.reduce(c);
        let c_shoup = modulus.shoup(c);
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512::mul_scalar_assign(a, c, c_shoup, modulus) },
            // SAFETY: as above.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => unsafe { avx2::mul_scalar_assign(a, c, c_shoup, modulus) },
            _ => scalar::mul_scalar_assign(a, c, c_shoup, modulus),
        }
    }

    /// Fused multiply-accumulate `acc[j] = acc[j] + Σ_i a_i[j]·b_i[j] mod q` with delayed
    /// reduction: products are summed exactly (128-bit, or 2×52-bit limbs with IFMA) and
    /// reduced once per group of terms. `acc` reduced in and out; every `a_i`, `b_i` reduced.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`] when any slice length differs from `acc.len()`.
    pub fn multiply_accumulate(
        &self,
        acc: &mut [u64],
        pairs: &[(&[u64], &[u64])],
        modulus: &Modulus,
    ) -> Result<(), NttError> {
        for (a, b) in pairs {
            check_same_len(acc.len(), &[a.len(), b.len()])?;
        }
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`; lengths are equal.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512::multiply_accumulate(acc, pairs, modulus) },
            _ => scalar::multiply_accumulate(acc, pairs, modulus, 0),
        }
        Ok(())
    }

    /// Fused multiply-accumulate with fixed operands: `acc[j] = acc[j] + Σ_i a_i[j]·w_i[j] mod q`
    /// where each term is `(a_i, w_i, w_i_shoup)` and `w_i_shoup` holds the Shoup companions of
    /// `w_i` (see [`shoup_companions`]; precompute them once for plaintexts or keys that are
    /// used many times). `acc` and `w_i` reduced; every `a_i` may hold any `u64`.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`] when any slice length differs from `acc.len()`.
    pub fn multiply_accumulate_shoup(
        &self,
        acc: &mut [u64],
        terms: &[(&[u64], &[u64], &[u64])],
        modulus: &Modulus,
    ) -> Result<(), NttError> {
        for (a, w, w_shoup) in terms {
            check_same_len(acc.len(), &[a.len(), w.len(), w_shoup.len()])?;
        }
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`; lengths are equal.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512::multiply_accumulate_shoup(acc, terms, modulus) },
            _ => scalar::multiply_accumulate_shoup(acc, terms, modulus, 0),
        }
        Ok(())
    }

    /// `out[j] = Σ_i inputs[i][j]·w_i mod q` for constants `weights[i] = (w_i, shoup(w_i))`
    /// with `w_i < q` (see [`Modulus::shoup`]): the inner sum of a fast RNS basis conversion.
    /// `out` is overwritten. Inputs may hold any `u64` (e.g. residues modulo other primes);
    /// output reduced. The running sum stays in `[0, 2q)` (each Shoup product lies in `[0, 2q)`
    /// and is followed by one conditional subtraction of `2q`), so any number of terms is safe.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`] when an input's length differs from `out.len()`, or the
    /// number of weights from the number of inputs.
    pub fn weighted_sum(
        &self,
        out: &mut [u64],
        inputs: &[&[u64]],
        weights: &[(u64, u64)],
        modulus: &Modulus,
    ) -> Result<(), NttError> {
        check_same_len(inputs.len(), &[weights.len()])?;
        for input in inputs {
            check_same_len(out.len(), &[input.len()])?;
        }
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`; lengths are equal.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512_rns::weighted_sum(out, inputs, weights, modulus) },
            _ => scalar::weighted_sum(out, inputs, weights, modulus, 0),
        }
        Ok(())
    }

    /// `out[j] = [x_j]_s mod q`: the centred representative of each `x_j ∈ [0, s)` modulo a
    /// source prime `s` (`x_j`, or `x_j − s` when `x_j > source_half = ⌊s/2⌋`), reduced modulo
    /// `q`; `source_mod_q = s mod q`. The one-prime case of the centred basis conversion.
    /// Inputs in `[0, s)`, output reduced.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`].
    pub fn reduce_centred(
        &self,
        out: &mut [u64],
        input: &[u64],
        source_half: u64,
        source_mod_q: u64,
        modulus: &Modulus,
    ) -> Result<(), NttError> {
        check_same_len(out.len(), &[input.len()])?;
        let source_mod_q = modulus.reduce(source_mod_q);
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`; lengths are equal; the constant is reduced.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512_rns::reduce_centred(out, input, source_half, source_mod_q, modulus) },
            _ => scalar::reduce_centred(out, input, source_half, source_mod_q, modulus),
        }
        Ok(())
    }

    /// `a[j] = (a[j] − b[j])·c mod q` for a constant `c < q` with `c_shoup = shoup(c)`: the
    /// last step of an exact division by a product of primes (rescale, mod-down). `a`, `b`
    /// reduced; output reduced.
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`].
    pub fn sub_mul_scalar_assign(
        &self,
        a: &mut [u64],
        b: &[u64],
        c: u64,
        c_shoup: u64,
        modulus: &Modulus,
    ) -> Result<(), NttError> {
        check_same_len(a.len(), &[b.len()])?;
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`; lengths are equal.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512_rns::sub_mul_scalar_assign(a, b, c, c_shoup, modulus) },
            _ => scalar::sub_mul_scalar_assign(a, b, c, c_shoup, modulus),
        }
        Ok(())
    }

    /// `out[j] = values[j] mod q` for any `i64` (e.g. rounded, scaled encoder values); output
    /// reduced. The scalar twin reduces with a Barrett step whose corrections may branch: for
    /// secret values use [`small_signed_to_residues`].
    ///
    /// # Errors
    /// [`NttError::LengthMismatch`].
    pub fn signed_to_residues(&self, out: &mut [u64], values: &[i64], modulus: &Modulus) -> Result<(), NttError> {
        check_same_len(out.len(), &[values.len()])?;
        match self.isa {
            // SAFETY: `Kernels` only holds an available `isa`; lengths are equal.
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => unsafe { avx512_rns::signed_to_residues(out, values, modulus) },
            _ => scalar::signed_to_residues(out, values, modulus),
        }
        Ok(())
    }
}

/// `a[j] = a[j] + b[j] mod q`.
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn add_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) -> Result<(), NttError> {
    Kernels::detect().add_assign(a, b, modulus)
}

/// `a[j] = a[j] - b[j] mod q`.
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn sub_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) -> Result<(), NttError> {
    Kernels::detect().sub_assign(a, b, modulus)
}

/// `a[j] = -a[j] mod q`.
pub fn neg_assign(a: &mut [u64], modulus: &Modulus) {
    Kernels::detect().neg_assign(a, modulus)
}

/// `a[j] = a[j] · b[j] mod q`.
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn mul_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) -> Result<(), NttError> {
    Kernels::detect().mul_assign(a, b, modulus)
}

/// `a[j] = a[j] · w[j] mod q` for a constant vector `w` with Shoup companions
/// `w_shoup[j] = floor(w[j]·2^64/q)` (see [`shoup_companions`]). `a` may hold any `u64`.
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn mul_shoup_assign(a: &mut [u64], w: &[u64], w_shoup: &[u64], modulus: &Modulus) -> Result<(), NttError> {
    Kernels::detect().mul_shoup_assign(a, w, w_shoup, modulus)
}

/// `a[j] = a[j] · c mod q` for one constant `c`. `a` may hold any `u64`.
pub fn mul_scalar_assign(a: &mut [u64], c: u64, modulus: &Modulus) {
    Kernels::detect().mul_scalar_assign(a, c, modulus)
}

/// The Shoup companions `floor(w[j]·2^64/q)` of a reduced constant vector.
pub fn shoup_companions(w: &[u64], modulus: &Modulus) -> Vec<u64> {
    w.iter().map(|&c| modulus.shoup(c)).collect()
}

/// Fused multiply-accumulate: `acc[j] = acc[j] + Σ_i a_i[j] · b_i[j] mod q`, with delayed
/// reduction (see [`Kernels::multiply_accumulate`]). `acc` reduced in and out; every `a_i`,
/// `b_i` reduced.
///
/// # Errors
/// [`NttError::LengthMismatch`] when any slice length differs from `acc.len()`.
pub fn multiply_accumulate(acc: &mut [u64], pairs: &[(&[u64], &[u64])], modulus: &Modulus) -> Result<(), NttError> {
    Kernels::detect().multiply_accumulate(acc, pairs, modulus)
}

/// Fused multiply-accumulate with fixed operands and precomputed Shoup companions:
/// `acc[j] = acc[j] + Σ_i a_i[j] · w_i[j] mod q` (see [`Kernels::multiply_accumulate_shoup`]).
///
/// # Errors
/// [`NttError::LengthMismatch`] when any slice length differs from `acc.len()`.
pub fn multiply_accumulate_shoup(
    acc: &mut [u64],
    terms: &[(&[u64], &[u64], &[u64])],
    modulus: &Modulus,
) -> Result<(), NttError> {
    Kernels::detect().multiply_accumulate_shoup(acc, terms, modulus)
}

/// `a[j] = a[j] + c mod q` for a reduced constant `c` (scalar; no SIMD kernel).
pub fn add_scalar_assign(a: &mut [u64], c: u64, modulus: &Modulus) {
    for x in a.iter_mut() {
        *x = modulus.add(*x, c);
    }
}

/// `out[j] = Σ_i inputs[i][j]·w_i mod q` (see [`Kernels::weighted_sum`]).
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn weighted_sum(
    out: &mut [u64],
    inputs: &[&[u64]],
    weights: &[(u64, u64)],
    modulus: &Modulus,
) -> Result<(), NttError> {
    Kernels::detect().weighted_sum(out, inputs, weights, modulus)
}

/// The centred representatives of residues modulo a source prime, reduced modulo `q` (see
/// [`Kernels::reduce_centred`]).
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn reduce_centred(
    out: &mut [u64],
    input: &[u64],
    source_half: u64,
    source_mod_q: u64,
    modulus: &Modulus,
) -> Result<(), NttError> {
    Kernels::detect().reduce_centred(out, input, source_half, source_mod_q, modulus)
}

/// `a[j] = (a[j] − b[j])·c mod q` (see [`Kernels::sub_mul_scalar_assign`]).
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn sub_mul_scalar_assign(
    a: &mut [u64],
    b: &[u64],
    c: u64,
    c_shoup: u64,
    modulus: &Modulus,
) -> Result<(), NttError> {
    Kernels::detect().sub_mul_scalar_assign(a, b, c, c_shoup, modulus)
}

/// `out[j] = values[j] mod q` for any `i64` (see [`Kernels::signed_to_residues`]).
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn signed_to_residues(out: &mut [u64], values: &[i64], modulus: &Modulus) -> Result<(), NttError> {
    Kernels::detect().signed_to_residues(out, values, modulus)
}

/// `out[j] = values[j] mod q` for small signed values `|values[j]| < q` (secret, error and
/// encryption-randomness coefficients), with no branch and no data-dependent instruction
/// timing: a sign mask selects `q − |v|`. Scalar (no SIMD kernel). Values must satisfy
/// `|v| < q` (checked in debug builds); output reduced.
///
/// # Errors
/// [`NttError::LengthMismatch`].
pub fn small_signed_to_residues(out: &mut [u64], values: &[i64], modulus: &Modulus) -> Result<(), NttError> {
    check_same_len(out.len(), &[values.len()])?;
    let q = modulus.value();
    for (o, &v) in out.iter_mut().zip(values) {
        let magnitude = v.unsigned_abs();
        debug_assert!(magnitude < q, "|{v}| is not below q = {q}");
        let negative_mask = (v >> 63) as u64;
        // v ≥ 0: |v|; v < 0: q − |v| ∈ [1, q − 1]. No other case, so no final correction.
        *o = magnitude ^ ((magnitude ^ q.wrapping_sub(magnitude)) & negative_mask);
    }
    Ok(())
}
