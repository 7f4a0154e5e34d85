//! `spencnn-ntt`: the arithmetic layer of spencnn.
//!
//! Word-size modular arithmetic ([`Modulus`]: Barrett and Shoup multiplication with lazy
//! reduction), NTT-friendly prime generation ([`primes`]), negacyclic number-theoretic
//! transforms ([`NttPlan`]), Galois automorphisms ([`galois`]) and element-wise vector kernels
//! ([`vector`]). Kernels exist in scalar, AVX2 and AVX-512 form and are chosen at run time
//! ([`Isa`]).
//!
//! Every modulus is an odd number below `2^62`; every function documents the range of its
//! inputs and outputs (`[0, q)` unless stated).

mod bit_reverse;
mod error;
pub mod galois;
mod isa;
mod modulus;
#[cfg(test)]
mod modulus_props;
mod ntt;
pub mod primes;
mod simd;
pub mod vector;

pub use bit_reverse::{bit_reverse, bit_reverse_permute};
pub use error::NttError;
pub use galois::{GaloisPermutation, automorphism_coefficients, automorphism_coefficients_with_isa};
pub use isa::Isa;
pub use modulus::{MAX_MODULUS_BITS, Modulus, select, subtract_if_at_least};
pub use ntt::{MAX_LOG_DEGREE, MIN_LOG_DEGREE, NttPlan};
