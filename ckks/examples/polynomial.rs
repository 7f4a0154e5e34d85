//! A degree-63 Chebyshev series on encrypted data with the 128-bit N = 16384 preset, and a
//! sigmoid whose degree is chosen for a target error; prints levels, time and precision.
//!
//! `cargo run --release -p spencnn-ckks --example polynomial`

use std::time::Instant;

use spencnn_ckks::circuits::CircuitError;
use spencnn_ckks::circuits::approximation::{self, ErrorStatistics};
use spencnn_ckks::circuits::polynomial::{Interval, Polynomial, PolynomialEvaluator};
use spencnn_ckks::{Context, Decryptor, Encoder, Encryptor, Evaluator, KeyGenerator, Preset};

fn main() -> Result<(), CircuitError> {
    let params = Preset::N16384Depth7.build()?;
    let (slots, top, scale) = (params.max_slots(), params.max_level(), params.default_scale());
    let ctx = Context::new(params)?;
    let mut keygen = KeyGenerator::new(&ctx);
    let secret_key = keygen.secret_key();
    let public_key = keygen.public_key(&secret_key)?;
    let relin_key = keygen.relin_key(&secret_key)?;
    let encoder = Encoder::new(&ctx);
    let decryptor = Decryptor::new(&ctx);
    let evaluator = Evaluator::new(&ctx);
    let polynomials = PolynomialEvaluator::new(&evaluator, &relin_key);
    let mut encryptor = Encryptor::new(&ctx);

    // Runge's function, shifted: 1/(1 + 25(x − 0.2)²) on [-1, 1]. Its Chebyshev coefficients
    // decay slowly, so the interpolant keeps all 63 degrees (6 levels of the 7).
    let runge = |x: f64| 1.0 / (1.0 + 25.0 * (x - 0.2) * (x - 0.2));
    let p = Polynomial::interpolate(runge, Interval::UNIT, 63)?;
    let x: Vec<f64> = (0..slots).map(|i| -1.0 + 2.0 * i as f64 / (slots - 1) as f64).collect();
    let ct = encryptor.encrypt(&encoder.encode_real(&x, slots, top, scale)?, &public_key)?;
    let start = Instant::now();
    let out = polynomials.evaluate(&ct, &p)?;
    let seconds = start.elapsed().as_secs_f64();
    let got = encoder.decode_real(&decryptor.decrypt(&out, &secret_key)?)?;
    report("Runge, degree 63", &p, &x, &got, |v| p.evaluate(v), runge, top - out.level(), seconds);

    // The sigmoid on [-8, 8] to 1e-4: the degree chooser picks the smallest depth, then degree.
    // An input scale of 2^36 (≤ q/8) lets the map x/8 onto [-1, 1] fold into it for free.
    let interval = Interval::symmetric(8.0)?;
    let sigmoid = approximation::sigmoid(interval, 1e-4)?;
    let x: Vec<f64> = (0..slots).map(|i| interval.from_unit(-1.0 + 2.0 * i as f64 / (slots - 1) as f64)).collect();
    let ct = encryptor.encrypt(&encoder.encode_real(&x, slots, top, 2f64.powi(36))?, &public_key)?;
    let start = Instant::now();
    let out = polynomials.evaluate_to_scale(&ct, &sigmoid, scale)?;
    let seconds = start.elapsed().as_secs_f64();
    let got = encoder.decode_real(&decryptor.decrypt(&out, &secret_key)?)?;
    let logistic = |v: f64| 1.0 / (1.0 + (-v).exp());
    report("sigmoid on [-8, 8]", &sigmoid, &x, &got, |v| sigmoid.evaluate(v), logistic, top - out.level(), seconds);
    Ok(())
}

/// Prints the precision of the decrypted values against the polynomial (the encryption's
/// error) and against the function (adding the approximation's error).
#[allow(clippy::too_many_arguments)]
fn report(
    label: &str,
    p: &Polynomial,
    x: &[f64],
    got: &[f64],
    polynomial: impl Fn(f64) -> f64,
    function: impl Fn(f64) -> f64,
    levels: usize,
    seconds: f64,
) {
    let vs_polynomial = ErrorStatistics::of(&x.iter().map(|&v| polynomial(v)).collect::<Vec<_>>(), got);
    let vs_function = ErrorStatistics::of(&x.iter().map(|&v| function(v)).collect::<Vec<_>>(), got);
    let plain = ErrorStatistics::measure(&polynomial, &function, x);
    println!("{label}: degree {}, {levels} levels, {:.3} s", p.degree(), seconds);
    println!(
        "  encrypted vs polynomial: worst {:.1} bits, mean {:.1} bits",
        vs_polynomial.worst_bits, vs_polynomial.mean_bits
    );
    println!(
        "  encrypted vs function:   worst {:.1} bits, mean {:.1} bits",
        vs_function.worst_bits, vs_function.mean_bits
    );
    println!("  plaintext vs function:   worst {:.1} bits, mean {:.1} bits", plain.worst_bits, plain.mean_bits);
}
