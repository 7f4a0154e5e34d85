//! Shared set-up of the spencnn benchmarks.
//!
//! * [`ntt_cases`]: the NTT cases (ours against `tfhe-ntt`), used by the criterion benchmark
//!   `benches/ntt.rs` and the `ntt-compare` binary;
//! * [`ckks_fixture`]: keys, encoded and encrypted operands of one CKKS preset at one level,
//!   used by the criterion benchmark `benches/ckks.rs`;
//! * [`chains`]: the parameter sets of the benchmark binaries by ring degree (`ckks-ops`,
//!   `key-expansion`);
//! * [`matrix`]: which sizes run and how long each is measured — a short default run, or the
//!   full matrix with `SPENCNN_BENCH_FULL=1`.
//!
//! What every benchmark measures, and how to compare with SEAL and OpenFHE: `benches/README.md`.

pub mod chains;
pub mod ckks_fixture;
pub mod matrix;
pub mod ntt_cases;

pub use ntt_cases::{Case, Contender, GALOIS_ELEMENT, LOG_SIZES, MAC_TERMS, PRIMES, cases, residues};
