//! The ring layer: RNS polynomials of `Z_{QP}[X]/(X^N + 1)` with their representation in the
//! type, basis conversion, exact division with rounding (mod-down and rescale), CRT
//! reconstruction and samplers. The element-wise arithmetic runs on the kernels of `spencnn-ntt`.

pub mod basis_conversion;
mod buffer_pool;
mod context;
pub mod crt;
mod poly;
mod representation;
pub mod sampling;
mod secret_rng;
#[cfg(test)]
mod tests;

pub use basis_conversion::{BasisConverter, DivideRound};
pub use buffer_pool::Scratch;
pub use context::RingContext;
pub use poly::RnsPoly;
pub(crate) use poly::residue_of_i128;
pub use representation::{Coefficient, Ntt, Representation};
pub use secret_rng::SecretRng;
