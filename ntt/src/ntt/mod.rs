//! Negacyclic number-theoretic transforms over `Z_q[X]/(X^n + 1)`.
//!
//! [`NttPlan`] holds the twiddle tables for one `(n, q)` and dispatches to the scalar, AVX2 or
//! AVX-512 kernels. The per-ISA kernels live in their own files and share the tables' layout.

#[cfg(target_arch = "x86_64")]
mod avx2;
#[cfg(target_arch = "x86_64")]
mod avx512;
#[cfg(target_arch = "x86_64")]
mod avx512_forward;
#[cfg(target_arch = "x86_64")]
mod avx512_ifma;
#[cfg(target_arch = "x86_64")]
mod avx512_inverse;
#[cfg(target_arch = "x86_64")]
mod avx512_lanes;
mod plan;
mod scalar;

pub use plan::{MAX_LOG_DEGREE, MIN_LOG_DEGREE, NttPlan};
