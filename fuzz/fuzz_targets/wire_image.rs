//! Fuzz target: `spencnn::inference::wire::fuzzing::fuzz_image` (the same function runs in the
//! normal tests, see `spencnn/tests/wire_fuzzing.rs`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| spencnn::inference::wire::fuzzing::fuzz_image(data));
