//! The precision of the ready approximations, in plaintext and encrypted, as the markdown
//! table of `docs/ckks.md`: each approximation evaluated on a grid of 16384 equally spaced
//! points of its interval (one ciphertext, all slots) with the 128-bit N = 32768 preset.
//!
//! `cargo run --release -p spencnn-ckks --example approximations`

use spencnn_ckks::circuits::CircuitError;
use spencnn_ckks::circuits::approximation::{self, ErrorStatistics};
use spencnn_ckks::circuits::polynomial::{CompositePolynomial, Interval, PolynomialEvaluator};
use spencnn_ckks::{Context, Decryptor, Encoder, Encryptor, Evaluator, KeyGenerator, Preset};

struct Row {
    name: &'static str,
    approximation: CompositePolynomial,
    function: fn(f64) -> f64,
    /// The points the error is measured on (the whole interval, or outside ReLU's gap).
    measured: fn(f64) -> bool,
}

fn single(p: spencnn_ckks::circuits::polynomial::Polynomial) -> Result<CompositePolynomial, CircuitError> {
    CompositePolynomial::new(vec![p])
}

fn main() -> Result<(), CircuitError> {
    let params = Preset::N32768Depth16.build()?;
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

    let wide = Interval::symmetric(8.0)?;
    let positive = Interval::new(0.5, 4.0)?;
    let unit_gap = |x: f64| x.abs() >= 4.0 / 64.0;
    let fine_gap = |x: f64| x.abs() >= 4.0 / 256.0;
    let everywhere = |_: f64| true;
    let rows = [
        Row {
            name: "sigmoid [-8, 8], 1e-4",
            approximation: single(approximation::sigmoid(wide, 1e-4)?)?,
            function: |x| 1.0 / (1.0 + (-x).exp()),
            measured: everywhere,
        },
        Row {
            name: "sigmoid [-8, 8], 1e-6",
            approximation: single(approximation::sigmoid(wide, 1e-6)?)?,
            function: |x| 1.0 / (1.0 + (-x).exp()),
            measured: everywhere,
        },
        Row {
            name: "GELU [-8, 8], 1e-3",
            approximation: single(approximation::gelu(wide, 1e-3)?)?,
            function: |x| 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
            measured: everywhere,
        },
        Row {
            name: "tanh [-8, 8], 1e-4",
            approximation: single(approximation::tanh(wide, 1e-4)?)?,
            function: f64::tanh,
            measured: everywhere,
        },
        Row {
            name: "1/x [0.5, 4], 1e-4",
            approximation: single(approximation::inverse(positive, 1e-4)?)?,
            function: |x| 1.0 / x,
            measured: everywhere,
        },
        Row {
            name: "sqrt [0.5, 4], 1e-5",
            approximation: single(approximation::sqrt(positive, 1e-5)?)?,
            function: f64::sqrt,
            measured: everywhere,
        },
        Row {
            name: "1/sqrt [0.5, 4], 1e-5",
            approximation: single(approximation::inverse_sqrt(positive, 1e-5)?)?,
            function: |x| 1.0 / x.sqrt(),
            measured: everywhere,
        },
        Row {
            name: "sign [-4, 4], ε = 2^-6, α = 10 (|x| ≥ εR)",
            approximation: approximation::sign(Interval::symmetric(4.0)?, 1.0 / 64.0, 10.0)?,
            function: f64::signum,
            measured: unit_gap,
        },
        Row {
            name: "ReLU [-4, 4], ε = 2^-6, α = 10 (|x| ≥ εR)",
            approximation: approximation::relu(Interval::symmetric(4.0)?, 1.0 / 64.0, 10.0)?,
            function: |x| x.max(0.0),
            measured: unit_gap,
        },
        Row {
            name: "ReLU [-4, 4], ε = 2^-6, α = 10 (all x)",
            approximation: approximation::relu(Interval::symmetric(4.0)?, 1.0 / 64.0, 10.0)?,
            function: |x| x.max(0.0),
            measured: everywhere,
        },
        Row {
            name: "ReLU [-4, 4], ε = 2^-8, α = 12 (|x| ≥ εR)",
            approximation: approximation::relu(Interval::symmetric(4.0)?, 1.0 / 256.0, 12.0)?,
            function: |x| x.max(0.0),
            measured: fine_gap,
        },
    ];
    println!(
        "| approximation | degrees | levels | plaintext worst / mean bits | encrypted worst / mean bits | encrypted vs simulation worst bits |"
    );
    println!("|---|---|---:|---:|---:|---:|");
    for row in rows {
        let interval = row.approximation.interval();
        let x: Vec<f64> = interval.grid(slots);
        // An input scale of at most q·2/(b − a) folds the interval map into it (no level).
        let input_scale = scale.min(2f64.powi(40) * 2.0 / (interval.upper() - interval.lower()) * 0.99);
        let ct = encryptor.encrypt(&encoder.encode_real(&x, slots, top, input_scale)?, &public_key)?;
        let out = polynomials.evaluate_composite_to_scale(&ct, &row.approximation, scale)?;
        let got = encoder.decode_real(&decryptor.decrypt(&out, &secret_key)?)?;
        let kept: Vec<usize> = (0..slots).filter(|&i| (row.measured)(x[i])).collect();
        let truth: Vec<f64> = kept.iter().map(|&i| (row.function)(x[i])).collect();
        let simulated: Vec<f64> = kept.iter().map(|&i| row.approximation.evaluate(x[i])).collect();
        let decrypted: Vec<f64> = kept.iter().map(|&i| got[i]).collect();
        let plain = ErrorStatistics::of(&truth, &simulated);
        let encrypted = ErrorStatistics::of(&truth, &decrypted);
        let vs_simulation = ErrorStatistics::of(&simulated, &decrypted);
        let degrees: Vec<String> = row.approximation.stages().iter().map(|p| p.degree().to_string()).collect();
        println!(
            "| {} | {} | {} | {:.1} / {:.1} | {:.1} / {:.1} | {:.1} |",
            row.name,
            degrees.join(", "),
            top - out.level(),
            plain.worst_bits,
            plain.mean_bits,
            encrypted.worst_bits,
            encrypted.mean_bits,
            vs_simulation.worst_bits
        );
    }
    Ok(())
}
