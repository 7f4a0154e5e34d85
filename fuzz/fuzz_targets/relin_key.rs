//! Fuzz target: `spencnn_ckks::serialization::fuzzing::fuzz_relin_key` (the same function runs in
//! the normal tests, see `ckks/tests/serialization_fields.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spencnn_ckks::serialization::fuzzing::fuzz_relin_key(data));
