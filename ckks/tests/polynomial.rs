//! Polynomial evaluation on ciphertexts against the `f64` reference (Clenshaw/Horner), with
//! precision thresholds derived from the parameters, at N = 2^12 (insecure, fast).

mod common;

use common::*;
use proptest::prelude::*;
use spencnn_ckks::circuits::CircuitError;
use spencnn_ckks::circuits::polynomial::{Basis, Interval, Polynomial, PolynomialEvaluator};
use spencnn_ckks::*;

const LOG_SCALE: f64 = 40.0;

/// N = 2^12, Q = 60 + 9×40 (9 levels), P = 2×60, scale 2^40.
fn deep_params() -> Parameters {
    Parameters::builder()
        .log_n(12)
        .q_bits(&[60, 40, 40, 40, 40, 40, 40, 40, 40, 40])
        .p_bits(&[60, 60])
        .log_scale(LOG_SCALE)
        .insecure_for_testing_only()
        .build()
        .unwrap()
}

/// Expected precision (bits) of a polynomial result: the scale's bits, minus the noise of a
/// key-switched, rescaled ciphertext (about `sqrt(N)` times a small constant, 2^9 here), minus
/// the growth through the polynomial: `log2` of the sum of the coefficients' magnitudes (the
/// amplification of an error in the powers), and one bit per level for the accumulated
/// rescale noise.
fn threshold_bits(params: &Parameters, p: &Polynomial, levels: usize) -> f64 {
    let norm: f64 = p.coefficients().iter().map(|c| c.abs()).sum::<f64>().max(1.0);
    params.log_scale() - (params.log_n() as f64 / 2.0 + 3.0) - norm.log2() - levels as f64
}

fn real_values(count: usize, seed: u64, interval: Interval) -> Vec<f64> {
    random_values(count, seed).iter().map(|z| interval.from_unit(z.re)).collect()
}

fn decaying_coefficients(degree: usize, seed: u64) -> Vec<f64> {
    random_values(degree + 1, seed).iter().enumerate().map(|(i, z)| z.re / (1.0 + i as f64)).collect()
}

struct Run {
    level: usize,
    scale: f64,
    precision: Precision,
}

impl Run {
    /// Asserts the mean precision and the worst one within 4 bits below it, as
    /// `common::assert_precision` does.
    fn assert_bits(&self, label: &str, threshold: f64) {
        let p = self.precision;
        println!("{label}: min {:.1} bits, mean {:.1} bits (threshold {threshold:.1})", p.min_bits, p.mean_bits);
        assert!(p.mean_bits >= threshold, "{label}: mean precision {:.2} < {threshold:.2}", p.mean_bits);
        assert!(p.min_bits >= threshold - 4.0, "{label}: min precision {:.2} < {:.2}", p.min_bits, threshold - 4.0);
    }
}

fn run(f: &mut Fixture, p: &Polynomial, x: &[f64], input_scale: f64, target: Option<f64>, slots: usize) -> Run {
    let pt = f.encoder.encode_real(x, slots, f.top(), input_scale).unwrap();
    let ct = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    let poly_eval = PolynomialEvaluator::new(&f.evaluator, &f.rlk);
    let levels = poly_eval.levels_consumed(p, &ct);
    let out = match target {
        Some(t) => poly_eval.evaluate_to_scale(&ct, p, t).unwrap(),
        None => poly_eval.evaluate(&ct, p).unwrap(),
    };
    assert_eq!(out.level(), ct.level() - levels, "levels consumed");
    let expected: Vec<Complex> = x.iter().map(|&v| Complex::from(p.evaluate(v))).collect();
    let mut got = f.decrypt(&out);
    got.truncate(x.len());
    Run { level: out.level(), scale: out.scale(), precision: precision(&expected, &got) }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(8))]

    /// Any basis, degree, interval, input scale and target scale: the result lands at
    /// `level − levels_consumed` with exactly the target scale, within the precision threshold.
    #[test]
    fn series_match_the_reference_on_any_interval_and_scale(
        seed in any::<u64>(),
        chebyshev in any::<bool>(),
        degree in 1usize..=40,
        lower in -4.0f64..0.0,
        width in 0.5f64..8.0,
        log_input_scale in 34.0f64..=40.0,
        log_target in proptest::option::of(35.0f64..=41.0),
    ) {
        let mut f = Fixture::new(deep_params());
        let interval = Interval::new(lower, lower + width).unwrap();
        let basis = if chebyshev { Basis::Chebyshev } else { Basis::Monomial };
        let p = Polynomial::new(basis, &decaying_coefficients(degree, seed), interval).unwrap();
        let x = real_values(64, seed ^ 5, interval);
        let target = log_target.map(f64::exp2);
        let r = run(&mut f, &p, &x, log_input_scale.exp2(), target, 64);
        prop_assert_eq!(r.scale, target.unwrap_or(log_input_scale.exp2()));
        // The map onto [-1, 1] multiplies the input's error by α = 2/width; a smaller scale
        // (input or target) loses its difference to 2^40.
        let (alpha, _) = interval.affine_to_unit();
        let scale_loss = LOG_SCALE - log_input_scale.min(target.map_or(LOG_SCALE, f64::log2));
        let levels = f.top() - r.level;
        let threshold = threshold_bits(f.ctx.params(), &p, levels) - alpha.log2().max(0.0) - scale_loss;
        r.assert_bits(&format!("{basis:?} degree {degree} on [{lower:.2}, {:.2}]", lower + width), threshold);
    }
}

/// Degrees `2^k − 1` consume `k` levels and `2^k` one more, on full slots, at the thresholds.
#[test]
fn levels_are_depth_optimal_at_every_power_of_two_boundary() {
    let mut f = Fixture::new(deep_params());
    let (scale, slots) = (f.scale(), f.slots());
    let x = real_values(slots, 3, Interval::UNIT);
    for degree in [1usize, 2, 3, 4, 7, 8, 15, 16, 31, 32, 63, 64, 127] {
        let p = Polynomial::chebyshev(&decaying_coefficients(degree, degree as u64), Interval::UNIT).unwrap();
        let depth = (usize::BITS - degree.leading_zeros()) as usize;
        assert_eq!(p.depth(), depth);
        let r = run(&mut f, &p, &x, scale, None, slots);
        assert_eq!(f.top() - r.level, depth, "degree {degree}");
        assert_eq!(r.scale, scale);
        r.assert_bits(&format!("degree {degree}"), threshold_bits(f.ctx.params(), &p, depth));
    }
}

/// Odd and even polynomials take the parity path (only odd or even powers); sparse packing.
#[test]
fn odd_and_even_polynomials_on_sparse_slots() {
    let mut f = Fixture::new(deep_params());
    let scale = f.scale();
    let interval = Interval::symmetric(3.0).unwrap();
    let odd = Polynomial::interpolate(|x| (x / 2.0).tanh(), interval, 31).unwrap();
    let even = Polynomial::interpolate(|x| (-x * x / 4.0).exp(), interval, 30).unwrap();
    for (label, p) in [("odd tanh", odd), ("even gaussian", even)] {
        for slots in [8usize, 256] {
            let x = real_values(slots, 7, interval);
            let r = run(&mut f, &p, &x, scale / 4.0, None, slots);
            assert_eq!(f.top() - r.level, p.depth(), "{label}: folded map");
            r.assert_bits(&format!("{label}, {slots} slots"), threshold_bits(f.ctx.params(), &p, p.depth()) - 2.0);
        }
    }
}

/// With primes of 45 bits and scale 2^40, every rescale divides by ~2^45: the result still
/// has exactly the requested scale and the usual precision.
#[test]
fn scale_exact_when_the_primes_are_far_from_the_scale() {
    let params = Parameters::builder()
        .log_n(12)
        .q_bits(&[60, 45, 45, 45, 45, 45, 45, 45])
        .p_bits(&[60, 60])
        .log_scale(40.0)
        .insecure_for_testing_only()
        .build()
        .unwrap();
    let mut f = Fixture::new(params);
    let interval = Interval::new(-1.0, 3.0).unwrap();
    let p = Polynomial::interpolate(|x| 1.0 / (1.0 + (-2.0 * x).exp()), interval, 63).unwrap();
    let x = real_values(512, 11, interval);
    let target = 2f64.powf(38.7);
    let r = run(&mut f, &p, &x, 2f64.powi(40), Some(target), 512);
    assert_eq!(r.scale, target);
    r.assert_bits("sigmoid degree 63, 45-bit primes", threshold_bits(f.ctx.params(), &p, 7) - 1.3);
}

/// The interval map is folded into the input's scale when `2/(b − a)·q ≥ scale`.
#[test]
fn the_interval_map_costs_a_level_only_when_it_cannot_be_folded() {
    let mut f = Fixture::new(deep_params());
    let (evaluator, rlk) = (Evaluator::new(&f.ctx), f.rlk.clone());
    let poly_eval = PolynomialEvaluator::new(&evaluator, &rlk);
    let interval = Interval::symmetric(8.0).unwrap();
    let p = Polynomial::interpolate(f64::sin, interval, 31).unwrap();
    let top = f.top();
    let mut levels_at = |log_scale: f64| {
        let pt = f.encoder.encode_real(&[1.0], 1, top, log_scale.exp2()).unwrap();
        poly_eval.levels_consumed(&p, &f.encryptor.encrypt(&pt, &f.pk).unwrap())
    };
    assert_eq!(levels_at(40.0), 6, "scale above q/8: one level for the map");
    assert_eq!(levels_at(36.9), 5, "scale below q/8: folded");
    // The same decision without a ciphertext, at the boundary the evaluator reports.
    let boundary = poly_eval.max_folding_scale(interval, top);
    assert!((boundary.log2() - 37.0).abs() < 0.01, "about q/8: 2^{}", boundary.log2());
    assert_eq!(poly_eval.levels_consumed_at(&p, top, boundary), 5);
    assert_eq!(poly_eval.levels_consumed_at(&p, top, boundary * 1.001), 6);
    assert_eq!(poly_eval.max_folding_scale(Interval::UNIT, top), f64::INFINITY);
    let unit = Polynomial::chebyshev(&[0.0, 1.0, 0.5], Interval::UNIT).unwrap();
    let pt = f.encoder.encode_real(&[0.5], 1, top, 2f64.powi(40)).unwrap();
    assert_eq!(poly_eval.levels_consumed(&unit, &f.encryptor.encrypt(&pt, &f.pk).unwrap()), 2);
}

#[test]
fn errors_are_typed_and_edge_degrees_work() {
    let mut f = Fixture::new(deep_params());
    let (evaluator, rlk) = (Evaluator::new(&f.ctx), f.rlk.clone());
    let poly_eval = PolynomialEvaluator::new(&evaluator, &rlk);
    let x = [0.25, -0.5];
    let ct = f.encrypt(&x.map(Complex::from));
    let p63 = Polynomial::chebyshev(&decaying_coefficients(63, 1), Interval::UNIT).unwrap();
    let low = evaluator.drop_to_level(&ct, 5).unwrap();
    assert_eq!(
        poly_eval.evaluate(&low, &p63).unwrap_err(),
        CircuitError::InsufficientLevels { needed: 6, available: 5, level: 5 }
    );
    assert!(matches!(poly_eval.evaluate_to_scale(&ct, &p63, f64::NAN), Err(CircuitError::InvalidTargetScale { .. })));
    assert!(matches!(poly_eval.evaluate_to_scale(&ct, &p63, -1.0), Err(CircuitError::InvalidTargetScale { .. })));
    let size3 = evaluator.multiply(&ct, &ct).unwrap();
    assert!(matches!(
        poly_eval.evaluate(&size3, &p63),
        Err(CircuitError::Ckks(CkksError::CiphertextSize { size: 3, expected: 2 }))
    ));
    // Degree 0: the constant at the input's level; degree 1: one level.
    let constant = Polynomial::chebyshev(&[0.75], Interval::UNIT).unwrap();
    let out = poly_eval.evaluate(&ct, &constant).unwrap();
    assert_eq!(out.level(), ct.level());
    assert!(f.decrypt(&out).iter().take(2).all(|z| (z.re - 0.75).abs() < 1e-9));
    let linear = Polynomial::monomial(&[0.5, -2.0]).unwrap();
    let out = poly_eval.evaluate(&ct, &linear).unwrap();
    assert_eq!(out.level(), ct.level() - 1);
    let got = f.decrypt(&out);
    assert!((got[0].re - 0.0).abs() < 1e-7 && (got[1].re - 1.5).abs() < 1e-7);
}
