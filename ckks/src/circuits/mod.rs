//! Circuits built on the evaluator: linear transformations (baby-step giant-step diagonal
//! matrix-vector products, hoisted and double-hoisted) and bootstrapping.

pub mod bootstrapping;
pub mod linear_transform;

pub use linear_transform::{BsgsCost, BsgsSplit, DiagonalMatrix, EncodedLinearTransform, Hoisting, LinearTransform};
