//! `spencnn-ckks`: leveled RNS-CKKS homomorphic encryption built on `spencnn-ntt`.

mod error;
pub mod params;
pub mod ring;

pub use error::CkksError;
pub use params::{Parameters, ParametersBuilder, Preset, SecretDistribution};
