//! Ready approximations evaluated on ciphertexts: the decrypted values match the plaintext
//! simulation (`evaluate`) to the parameters' precision, and the true function to the
//! approximation's stated error; N = 2^12 (insecure, fast).

mod common;

use common::*;
use spencnn_ckks::circuits::approximation::{self, ErrorStatistics};
use spencnn_ckks::circuits::polynomial::{CompositePolynomial, Interval, Polynomial, PolynomialEvaluator};
use spencnn_ckks::*;

/// N = 2^12, Q = 60 + 16×40 (16 levels), P = 2×60, scale 2^40.
fn params() -> Parameters {
    let mut q = vec![60];
    q.extend([40; 16]);
    Parameters::builder()
        .log_n(12)
        .q_bits(&q)
        .p_bits(&[60, 60])
        .log_scale(40.0)
        .insecure_for_testing_only()
        .build()
        .unwrap()
}

/// The encrypted precision a depth-`levels` circuit keeps at scale 2^40, N = 2^12: the
/// scale's bits minus the key-switching and rescale noise (~2^9 after `sqrt(N)`), minus a bit
/// per two levels of accumulated rescale noise.
fn encrypted_threshold(levels: usize) -> f64 {
    40.0 - 9.0 - 3.0 - levels as f64 / 2.0
}

struct Outcome {
    /// Decrypted against the plaintext simulation.
    vs_simulation: ErrorStatistics,
    /// Decrypted against the true function.
    vs_function: ErrorStatistics,
    levels: usize,
}

fn run_composite(
    f: &mut Fixture,
    composite: &CompositePolynomial,
    function: impl Fn(f64) -> f64,
    x: &[f64],
    input_scale: f64,
) -> Outcome {
    let rlk = f.rlk.clone();
    let evaluator = Evaluator::new(&f.ctx);
    let poly_eval = PolynomialEvaluator::new(&evaluator, &rlk);
    let pt = f.encoder.encode_real(x, x.len().next_power_of_two(), f.top(), input_scale).unwrap();
    let ct = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    let levels = poly_eval.levels_consumed_composite(composite, &ct);
    let out = poly_eval.evaluate_composite(&ct, composite).unwrap();
    assert_eq!((out.level(), out.scale()), (ct.level() - levels, ct.scale()));
    let got: Vec<f64> = f.decrypt(&out).iter().take(x.len()).map(|z| z.re).collect();
    let simulated: Vec<f64> = x.iter().map(|&v| composite.evaluate(v)).collect();
    let truth: Vec<f64> = x.iter().map(|&v| function(v)).collect();
    Outcome {
        vs_simulation: ErrorStatistics::of(&simulated, &got),
        vs_function: ErrorStatistics::of(&truth, &got),
        levels,
    }
}

fn run_polynomial(f: &mut Fixture, p: &Polynomial, function: impl Fn(f64) -> f64, x: &[f64], scale: f64) -> Outcome {
    run_composite(f, &CompositePolynomial::new(vec![p.clone()]).unwrap(), function, x, scale)
}

fn grid_values(interval: Interval, count: usize) -> Vec<f64> {
    interval.grid(count)
}

#[test]
fn relu_and_sign_on_ciphertexts() {
    let mut f = Fixture::new(params());
    let interval = Interval::symmetric(4.0).unwrap();
    let (epsilon, bits) = (1.0 / 64.0, 10.0);
    let x = grid_values(interval, 1024);
    let relu = approximation::relu(interval, epsilon, bits).unwrap();
    // Input at scale ≤ q/4: the map onto [-1, 1] folds.
    let outcome = run_composite(&mut f, &relu, |v| v.max(0.0), &x, 2f64.powi(38));
    assert_eq!(outcome.levels, relu.depth());
    println!(
        "relu: {} levels, vs simulation {:.1} / {:.1} bits, vs ReLU {:.1} / {:.1} bits (worst / mean)",
        outcome.levels,
        outcome.vs_simulation.worst_bits,
        outcome.vs_simulation.mean_bits,
        outcome.vs_function.worst_bits,
        outcome.vs_function.mean_bits
    );
    assert!(outcome.vs_simulation.worst_bits >= encrypted_threshold(outcome.levels) - 4.0 - 2.0);
    // Worst case inside the gap: |x|·(1 + |s|)/2 ≤ ε·R.
    assert!(outcome.vs_function.worst_bits >= -(epsilon * 4.0).log2() - 0.1);
    let outside: Vec<f64> = x.iter().copied().filter(|v| v.abs() >= epsilon * 4.0).collect();
    let outcome = run_composite(&mut f, &relu, |v| v.max(0.0), &outside, 2f64.powi(38));
    assert!(outcome.vs_function.worst_bits >= bits + 1.0 - 2.0 - 0.1, "{:?}", outcome.vs_function);

    let sign = approximation::sign(interval, epsilon, bits).unwrap();
    let outcome = run_composite(&mut f, &sign, f64::signum, &outside, 2f64.powi(40));
    assert_eq!(outcome.levels, sign.depth() + 1, "scale 2^40 > q/4: the map costs a level");
    println!("sign: vs sign {:.1} bits worst", outcome.vs_function.worst_bits);
    assert!(outcome.vs_function.worst_bits >= bits - 0.1);
}

#[test]
fn smooth_approximations_on_ciphertexts() {
    let mut f = Fixture::new(params());
    type Case = (&'static str, Polynomial, fn(f64) -> f64, f64);
    let interval = Interval::symmetric(8.0).unwrap();
    let positive = Interval::new(0.5, 4.0).unwrap();
    let cases: [Case; 5] = [
        ("sigmoid", approximation::sigmoid(interval, 1e-5).unwrap(), |x| 1.0 / (1.0 + (-x).exp()), 1e-5),
        (
            "gelu",
            approximation::gelu(interval, 1e-4).unwrap(),
            |x| 0.5 * x * (1.0 + libm::erf(x / std::f64::consts::SQRT_2)),
            1e-4,
        ),
        ("1/x", approximation::inverse(positive, 1e-5).unwrap(), |x| 1.0 / x, 1e-5),
        ("sqrt", approximation::sqrt(positive, 1e-6).unwrap(), f64::sqrt, 1e-6),
        ("1/sqrt", approximation::inverse_sqrt(positive, 1e-6).unwrap(), |x| 1.0 / x.sqrt(), 1e-6),
    ];
    for (name, p, function, max_error) in cases {
        let x = grid_values(p.interval(), 512);
        let outcome = run_polynomial(&mut f, &p, function, &x, 2f64.powi(40));
        println!(
            "{name}: degree {}, {} levels, vs simulation {:.1} bits, vs function {:.1} bits (worst)",
            p.degree(),
            outcome.levels,
            outcome.vs_simulation.worst_bits,
            outcome.vs_function.worst_bits
        );
        assert!(outcome.vs_simulation.worst_bits >= encrypted_threshold(outcome.levels) - 4.0 - 3.0, "{name}");
        // The approximation error dominates: within 0.5 bit of the plaintext bound.
        assert!(outcome.vs_function.worst_bits >= -max_error.log2() - 0.5, "{name}");
    }
}

#[test]
fn composite_evaluation_checks_levels_before_working() {
    let mut f = Fixture::new(params());
    let relu = approximation::relu(Interval::UNIT, 1.0 / 1024.0, 16.0).unwrap();
    let rlk = f.rlk.clone();
    let evaluator = Evaluator::new(&f.ctx);
    let poly_eval = PolynomialEvaluator::new(&evaluator, &rlk);
    let ct = f.encrypt(&[Complex::from(0.5)]);
    let low = evaluator.drop_to_level(&ct, 4).unwrap();
    assert!(matches!(
        poly_eval.evaluate_composite(&low, &relu),
        Err(spencnn_ckks::circuits::CircuitError::InsufficientLevels { available: 4, level: 4, .. })
    ));
}
