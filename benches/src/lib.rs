//! Shared helpers for the spencnn benchmarks (the benchmarks themselves live in `benches/benches/`).
