//! Lane arithmetic shared by the SIMD kernels (NTT, vector, Galois), one file per instruction set.
//!
//! Every function here is a building block of a kernel, not an entry point: kernels are
//! `#[target_feature]` functions that the dispatchers call only after [`crate::Isa::require`]
//! (or [`crate::Isa::is_available`]) confirmed the CPU supports them.

#[cfg(target_arch = "x86_64")]
pub(crate) mod avx2;
#[cfg(target_arch = "x86_64")]
pub(crate) mod avx512;
