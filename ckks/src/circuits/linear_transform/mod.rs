//! Linear transformations of the slots: a matrix stored by its non-zero diagonals
//! ([`DiagonalMatrix`]), split into baby and giant steps ([`BsgsSplit`]), and evaluated on
//! ciphertexts with hoisted rotations ([`LinearTransform`], [`EncodedLinearTransform`]).

mod bsgs;
mod diagonal_matrix;
mod evaluation;
mod transform;

pub use bsgs::{BsgsCost, BsgsSplit, signed_step};
pub use diagonal_matrix::DiagonalMatrix;
pub use transform::{EncodedLinearTransform, Hoisting, LinearTransform};
