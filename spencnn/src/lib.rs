#![doc = include_str!("../README.md")]

pub mod backend;
#[cfg(feature = "bundled")]
pub mod bundled;
pub mod files;
pub mod image;
pub mod import;
pub mod inference;
pub mod layout;
pub mod model;
pub mod plan;
pub mod prune;
pub mod reference;
pub mod tensor;
pub mod variant;

pub use tensor::Tensor3;
