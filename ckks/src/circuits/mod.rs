//! Circuits built on the [`crate::Evaluator`]: polynomial evaluation ([`polynomial`]), ready
//! approximations of common functions ([`approximation`]), linear transformations
//! (baby-step giant-step diagonal matrix-vector products, hoisted and double-hoisted:
//! [`linear_transform`]) and bootstrapping ([`bootstrapping`]).

pub mod approximation;
pub mod bootstrapping;
pub mod linear_transform;
pub mod polynomial;

mod error;
#[cfg(test)]
mod test_values;

pub use error::CircuitError;
pub use linear_transform::{BsgsCost, BsgsSplit, DiagonalMatrix, EncodedLinearTransform, Hoisting, LinearTransform};
