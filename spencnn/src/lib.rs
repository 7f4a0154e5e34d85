//! `spencnn`: encrypted CNN inference with HE-group convolution, group-interleaved encoding
//! and plaintext-aligned sub-block pruning (SpENCNN, ICML 2023).
//!
//! The pipeline: a [`model::Model`] (layers, weights) is lowered by [`plan::plan`] onto slot
//! [`layout`]s into a [`plan::Schedule`] of HE operations, which any [`backend::Backend`] runs
//! (the exact [`backend::SlotSimulator`] here, CKKS in the inference layer). [`prune`] computes
//! the plaintext-aligned sub-block masks; [`mod@reference`] is the f64 oracle; [`import`] brings
//! models in from ONNX.

pub mod backend;
pub mod image;
pub mod import;
pub mod inference;
pub mod layout;
pub mod memory;
pub mod model;
pub mod plan;
pub mod prune;
pub mod reference;
pub mod summary;
pub mod tensor;
pub mod train;

pub use tensor::Tensor3;
