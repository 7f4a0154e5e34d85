//! `spencnn-ntt`: the arithmetic layer of spencnn.
//!
//! Word-size modular arithmetic ([`Modulus`]: Barrett and Shoup multiplication with lazy
//! reduction), NTT-friendly prime generation ([`primes`]), negacyclic number-theoretic
//! transforms ([`NttPlan`]), Galois automorphisms ([`galois`]) and element-wise vector kernels,
//! including the steps of RNS basis conversion ([`vector`]), and uniform residues expanded from a
//! public seed by ChaCha20 ([`uniform`]). Kernels exist in scalar, AVX2 and
//! AVX-512 form and are chosen at run time ([`Isa`]).
//!
//! Every modulus is an odd number below `2^62`; every function documents the range of its
//! inputs and outputs (`[0, q)` unless stated).
//!
//! ```
//! use spencnn_ntt::{NttPlan, primes::generate_ntt_primes, vector};
//!
//! let n = 1024;
//! let q = generate_ntt_primes(50, n, 1)?[0];
//! let plan = NttPlan::new(n, q)?;
//! // X · X^(n−1) = X^n = −1 in Z_q[X]/(X^n + 1).
//! let (mut a, mut b) = (vec![0u64; n], vec![0u64; n]);
//! a[1] = 1;
//! b[n - 1] = 1;
//! plan.forward(&mut a)?;
//! plan.forward(&mut b)?;
//! vector::mul_assign(&mut a, &b, plan.modulus())?;
//! plan.inverse(&mut a)?;
//! assert_eq!(a[0], q - 1);
//! # Ok::<(), spencnn_ntt::NttError>(())
//! ```
//!
//! The kernels are arithmetic-bound: a dependent's debug build should optimise this crate
//! (unoptimised, it runs tens of times slower):
//!
//! ```toml
//! [profile.dev.package."*"]
//! opt-level = 3
//! ```

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
pub mod uniform;
pub mod vector;

/// The examples of the README, run as documentation tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use bit_reverse::{bit_reverse, bit_reverse_permute};
pub use error::NttError;
pub use galois::{GaloisPermutation, automorphism_coefficients, automorphism_coefficients_with_isa};
pub use isa::Isa;
pub use modulus::{MAX_MODULUS_BITS, Modulus, select, subtract_if_at_least};
pub use ntt::{MAX_LOG_DEGREE, MIN_LOG_DEGREE, NttPlan};
