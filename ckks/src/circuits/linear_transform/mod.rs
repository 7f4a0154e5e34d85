//! Linear transformations of the slots: a matrix stored by its non-zero diagonals
//! ([`DiagonalMatrix`]), split into baby and giant steps ([`BsgsSplit`]).

mod bsgs;
mod diagonal_matrix;

pub use bsgs::{BsgsCost, BsgsSplit, signed_step};
pub use diagonal_matrix::DiagonalMatrix;
