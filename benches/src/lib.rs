//! Shared helpers for the spencnn benchmarks (criterion benchmarks live in `benches/benches/`,
//! benchmark binaries in `src/bin/`).

pub mod timing;
