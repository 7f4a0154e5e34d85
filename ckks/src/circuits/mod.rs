//! Circuits built on the [`crate::Evaluator`]: polynomial evaluation
//! ([`polynomial`]).

pub mod polynomial;

mod error;

pub use error::CircuitError;
