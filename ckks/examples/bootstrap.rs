//! Compute until the levels run out, bootstrap, compute on: a degree-63 polynomial and a
//! `2^12 × 2^12` linear transform on a fresh ciphertext, then bootstrapping, then a square of
//! the refreshed ciphertext, with the precision of every step against `f64`.
//!
//! ```text
//! cargo run --release -p spencnn-ckks --example bootstrap            # N = 2^16, 128-bit
//! cargo run --release -p spencnn-ckks --example bootstrap -- --small # N = 2^12, insecure, seconds
//! cargo run --release -p spencnn-ckks --example bootstrap -- --sparse-encapsulated [--small]
//! ```
//!
//! The default run uses [`BootstrappingPreset::N65536UniformTernary`] with `2^12` slots: about
//! a minute on one core of a recent x86 CPU (key generation and encoding the bootstrapping
//! plaintexts take most of it) and about 4 GiB of memory. `--small` runs the same steps at
//! `N = 2^12` with `2^10` slots and insecure parameters, in a few seconds.
//! `--sparse-encapsulated` bootstraps with sparse-secret encapsulation
//! ([`BootstrappingPreset::N65536SparseEncapsulated`]: ModRaise under an ephemeral weight-32
//! secret, a shorter EvalMod, 6 levels left at `N = 2^16`).

use std::time::Instant;

use spencnn_ckks::circuits::bootstrapping::{
    Bootstrapper, BootstrappingConfig, BootstrappingPreset, EvalModConfig, SparseEncapsulation,
};
use spencnn_ckks::circuits::polynomial::{Interval, Polynomial, PolynomialEvaluator};
use spencnn_ckks::circuits::{CircuitError, DiagonalMatrix, Hoisting, LinearTransform};
use spencnn_ckks::{Complex, Context, Decryptor, Encoder, Encryptor, Evaluator, KeyGenerator, Parameters};

/// `−log2` of the worst and of the mean absolute error.
fn precision(got: &[f64], expected: &[f64]) -> (f64, f64) {
    let errors: Vec<f64> = got.iter().zip(expected).map(|(g, e)| (g - e).abs()).collect();
    let worst = errors.iter().copied().fold(0.0, f64::max);
    (-worst.log2(), -(errors.iter().sum::<f64>() / errors.len() as f64).log2())
}

/// The parameters and circuit: the `N = 2^16` preset, or a small insecure set; with
/// `encapsulated`, ModRaise under a sparse secret.
fn setup(small: bool, encapsulated: bool, slots: usize) -> Result<(Parameters, BootstrappingConfig), CircuitError> {
    if !small {
        let preset = if encapsulated {
            BootstrappingPreset::N65536SparseEncapsulated
        } else {
            BootstrappingPreset::N65536UniformTernary
        };
        return Ok((preset.parameters()?, preset.config(slots)));
    }
    // The sparse secret's |I| ≤ 16 needs a shorter EvalMod: 8 levels instead of 11.
    let (eval_mod_levels, eval_mod) = if encapsulated {
        (8, EvalModConfig { interval_bound: 16, double_angles: 2, degree: 63 })
    } else {
        (11, EvalModConfig { interval_bound: 128, double_angles: 3, degree: 159 })
    };
    let mut q = vec![60, 52, 52, 42, 42];
    q.extend(std::iter::repeat_n(58, eval_mod_levels));
    q.extend([56, 56]);
    let params = Parameters::builder()
        .log_n(12)
        .q_bits(&q)
        .p_bits(&[60; 5])
        .log_scale(52.0)
        .insecure_for_testing_only()
        .build()?;
    let config = BootstrappingConfig {
        slots,
        coeffs_to_slots_levels: 2,
        slots_to_coeffs_levels: 2,
        eval_mod,
        coeffs_to_slots_hoisting: Hoisting::Double,
        slots_to_coeffs_hoisting: Hoisting::Single,
        encapsulation: encapsulated.then_some(SparseEncapsulation::H32),
    };
    Ok((params, config))
}

fn main() -> Result<(), CircuitError> {
    let small = std::env::args().any(|a| a == "--small");
    let encapsulated = std::env::args().any(|a| a == "--sparse-encapsulated");
    let slots = if small { 1 << 10 } else { 1 << 12 };
    let (params, config) = setup(small, encapsulated, slots)?;
    let (top, scale) = (params.max_level(), params.default_scale());
    println!("N = 2^{}, {slots} slots, log QP = {} bits, top level {top}", params.log_n(), params.log_qp_bits());
    let started = Instant::now();
    let ctx = Context::new(params)?;
    let bootstrapper = Bootstrapper::new(&ctx, config)?;
    let mut keygen = KeyGenerator::new(&ctx);
    let secret_key = keygen.secret_key();
    let public_key = keygen.public_key(&secret_key)?;
    let relin_key = keygen.relin_key(&secret_key)?;
    let bootstrapping_keys = bootstrapper.key_requirements().generate(&mut keygen, &secret_key)?;

    // A banded 2^12 x 2^12 matrix (127 diagonals around the main one): the transform's
    // rotation keys, at the level where it is applied.
    let band = 63i64;
    let diagonals = (-band..=band).map(|k| {
        let weight = 1.0 / (2 * band + 1) as f64;
        (k, (0..slots).map(|i| Complex::from(weight * (1.0 + 0.5 * ((i as f64 + k as f64) * 0.01).sin()))).collect())
    });
    let transform = LinearTransform::new(DiagonalMatrix::from_diagonals(slots, diagonals)?, Default::default())?;
    // A degree-63 polynomial: the Chebyshev interpolant of tanh(4x) on [-1, 1] (6 levels).
    let f = |v: f64| (4.0 * v).tanh();
    let p = Polynomial::interpolate(f, Interval::UNIT, 63)?;
    let transform_level = top - p.depth();
    let steps: Vec<(i64, usize)> = transform.rotation_steps().into_iter().map(|s| (s, transform_level)).collect();
    let transform_keys = keygen.galois_keys_at_levels(&secret_key, &steps)?;
    println!(
        "set-up and keys: {:.1} s ({:.2} GB of bootstrapping keys, {:.2} GB of bootstrapping plaintexts)",
        started.elapsed().as_secs_f64(),
        bootstrapping_keys.memory_bytes() as f64 / 1e9,
        bootstrapper.plaintext_bytes() as f64 / 1e9
    );

    let encoder = Encoder::new(&ctx);
    let decryptor = Decryptor::new(&ctx);
    let evaluator = Evaluator::new(&ctx);
    let decrypt = |ct: &spencnn_ckks::Ciphertext| -> Result<Vec<f64>, CircuitError> {
        Ok(encoder.decode_real(&decryptor.decrypt(ct, &secret_key)?)?)
    };
    let x: Vec<f64> = (0..slots).map(|i| ((i * 7919) % 2001) as f64 / 1000.0 - 1.0).collect();
    let ct = Encryptor::new(&ctx).encrypt(&encoder.encode_real(&x, slots, top, scale)?, &public_key)?;

    // 1. The polynomial.
    let started = Instant::now();
    let y = PolynomialEvaluator::new(&evaluator, &relin_key).evaluate(&ct, &p)?;
    let expected_y: Vec<f64> = x.iter().map(|&v| f(v)).collect();
    let (worst, mean) = precision(&decrypt(&y)?, &expected_y);
    println!(
        "degree-{} polynomial: {:.2} s, level {top} -> {}, precision {worst:.1} bits worst, {mean:.1} mean",
        p.degree(),
        started.elapsed().as_secs_f64(),
        y.level()
    );

    // 2. The linear transform, plaintexts encoded on demand, then a rescale (1 level).
    let q = ctx.params().q_primes()[y.level()] as f64;
    let started = Instant::now();
    let z = evaluator.rescale(&transform.evaluate_on_demand(
        &evaluator,
        &encoder,
        &y,
        &transform_keys,
        q,
        Hoisting::Single,
    )?)?;
    let as_complex: Vec<Complex> = expected_y.iter().map(|&v| Complex::from(v)).collect();
    let expected_z: Vec<f64> = transform.matrix().apply(&as_complex)?.iter().map(|c| c.re).collect();
    let (worst, mean) = precision(&decrypt(&z)?, &expected_z);
    println!(
        "{slots} x {slots} transform ({} diagonals, {} rotations): {:.2} s, level -> {}, precision {worst:.1} bits worst, {mean:.1} mean",
        transform.matrix().diagonal_count(),
        transform.rotation_steps().len(),
        started.elapsed().as_secs_f64(),
        z.level()
    );

    // 3. Bootstrapping: whatever level the input is at, the output has the preset's levels.
    let started = Instant::now();
    let refreshed = bootstrapper.bootstrap(&z, &bootstrapping_keys)?;
    let (worst, mean) = precision(&decrypt(&refreshed)?, &expected_z);
    println!(
        "bootstrapping: {:.2} s, level {} -> {}, precision {worst:.1} bits worst, {mean:.1} mean",
        started.elapsed().as_secs_f64(),
        z.level(),
        refreshed.level()
    );

    // 4. The refreshed ciphertext computes on.
    let squared = evaluator.rescale(&evaluator.square_relin(&refreshed, &relin_key)?)?;
    let expected_square: Vec<f64> = expected_z.iter().map(|v| v * v).collect();
    let (worst, mean) = precision(&decrypt(&squared)?, &expected_square);
    println!("square after bootstrapping: level {}, precision {worst:.1} bits worst, {mean:.1} mean", squared.level());
    Ok(())
}
