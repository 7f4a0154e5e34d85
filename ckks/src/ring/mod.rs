//! The ring layer: RNS polynomials of `Z_{QP}[X]/(X^N + 1)` with their representation in the
//! type ([`RnsPoly`], [`RingContext`]). Inside the crate it also holds the basis conversion, the
//! exact division with rounding (mod-down and rescale), CRT reconstruction and the samplers.
//! The element-wise arithmetic runs on the kernels of `spencnn-ntt`.

mod basis_conversion;
mod buffer_pool;
mod context;
pub(crate) mod crt;
mod poly;
mod representation;
pub(crate) mod sampling;
mod secret_rng;
#[cfg(test)]
mod tests;

pub(crate) use basis_conversion::{BasisConverter, DivideRound};
pub(crate) use buffer_pool::Scratch;
pub use context::RingContext;
pub use poly::RnsPoly;
pub(crate) use poly::residue_of_i128;
pub use representation::{Coefficient, Ntt, Representation};
pub(crate) use secret_rng::SecretRng;
