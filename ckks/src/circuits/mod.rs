//! Circuits built on the [`crate::Evaluator`]: polynomial evaluation
//! ([`polynomial`]) and ready approximations of common functions ([`approximation`]).

pub mod approximation;
pub mod polynomial;

mod error;

pub use error::CircuitError;
