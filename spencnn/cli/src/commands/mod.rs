//! The subcommands, one per file: each has its clap `…Args` and a `run` returning
//! `anyhow::Result<()>`. Adding one: a file here, a variant of `Command` in `main.rs`.

pub(crate) mod bench;
pub(crate) mod calibrate;
pub(crate) mod demo;
pub(crate) mod eval;
mod eval_onnx;
pub(crate) mod export;
pub(crate) mod infer;
pub(crate) mod inspect;
pub(crate) mod plan;
pub(crate) mod prune;
pub(crate) mod train;
