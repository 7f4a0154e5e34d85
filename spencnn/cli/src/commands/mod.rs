//! The subcommands, one per file: each has its clap `…Args` and a `run` returning
//! `anyhow::Result<()>`. Adding one: a file here, a variant of `Command` in `main.rs`.

pub(crate) mod bench;
pub(crate) mod calibrate;
pub(crate) mod demo;
pub(crate) mod eval;
pub(crate) mod infer;
pub(crate) mod plan;
pub(crate) mod train;
