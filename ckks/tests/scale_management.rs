//! Scale and level management: the managed evaluator's laws (sums and products of operands at
//! different levels and scales equal the plaintext results), exact adjustments, the scale
//! ladder, and the error messages, at N = 2^12 (insecure, fast).

mod common;

use common::*;
use proptest::prelude::*;
use spencnn_ckks::*;

/// N = 2^12, Q = 60 + 6×40, P = 2×60, scale 2^40.
fn params() -> Parameters {
    Parameters::builder()
        .log_n(12)
        .q_bits(&[60, 40, 40, 40, 40, 40, 40])
        .p_bits(&[60, 60])
        .log_scale(40.0)
        .insecure_for_testing_only()
        .build()
        .unwrap()
}

fn slotwise(a: &[Complex], b: &[Complex], f: impl Fn(Complex, Complex) -> Complex) -> Vec<Complex> {
    a.iter().zip(b).map(|(&x, &y)| f(x, y)).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    /// For operands at any two levels with any scales (fresh at the default scale, fresh at
    /// the ladder's, or rescaled products), the managed sum, difference and product equal the
    /// plaintext results, and the explicit evaluator refuses the same operands.
    #[test]
    fn managed_operations_on_mismatched_operands_equal_the_plaintext_results(
        seed in any::<u64>(),
        drop_a in 0usize..3,
        drop_b in 0usize..3,
        ladder_a in any::<bool>(),
        squared_b in any::<bool>(),
    ) {
        let mut f = Fixture::new(params());
        let rlk = f.rlk.clone();
        let eval = ManagedEvaluator::new(&f.ctx, &rlk);
        let slots = f.slots();
        let (a, b) = (random_values(slots, seed), random_values(slots, seed ^ 9));
        let encrypt = |f: &mut Fixture, values: &[Complex], level: usize, ladder: bool| {
            let pt = if ladder {
                eval.encode_complex(values, slots, level).unwrap()
            } else {
                f.encoder.encode_complex(values, slots, level, f.scale()).unwrap()
            };
            f.encryptor.encrypt(&pt, &f.pk).unwrap()
        };
        let top = f.top();
        let ca = encrypt(&mut f, &a, top - drop_a, ladder_a);
        let (cb, b) = if squared_b {
            let cb = encrypt(&mut f, &b, top - drop_b, true);
            (eval.square(&cb).unwrap(), slotwise(&b, &b, |x, y| x * y))
        } else {
            (encrypt(&mut f, &b, top - drop_b, false), b)
        };
        let lowest = ca.level().min(cb.level());
        let sum = eval.add(&ca, &cb).unwrap();
        prop_assert!(sum.level() == lowest || (sum.level() + 1 == lowest && ca.level() == cb.level()));
        assert_precision("managed add", &slotwise(&a, &b, |x, y| x + y), &f.decrypt(&sum), 24.0);
        let diff = eval.sub(&ca, &cb).unwrap();
        assert_precision("managed sub", &slotwise(&a, &b, |x, y| x - y), &f.decrypt(&diff), 24.0);
        let product = eval.multiply(&ca, &cb).unwrap();
        prop_assert_eq!(product.level(), lowest - 1);
        assert_precision("managed multiply", &slotwise(&a, &b, |x, y| x * y), &f.decrypt(&product), 22.0);
        if ca.level() != cb.level() || (ca.scale() / cb.scale() - 1.0).abs() > 1e-9 {
            prop_assert!(f.evaluator.add(&ca, &cb).is_err());
        }
    }
}

/// The case that motivated the managed mode: a rescaled product plus a fresh ciphertext.
#[test]
fn adding_a_rescaled_product_to_a_fresh_ciphertext_just_works() {
    let mut f = Fixture::new(params());
    let x = random_values(f.slots(), 1);
    let cx = f.encrypt(&x);
    let explicit = f.evaluator.rescale(&f.evaluator.multiply_relin(&cx, &cx, &f.rlk).unwrap()).unwrap();
    let error = f.evaluator.add(&explicit, &cx).unwrap_err();
    assert!(matches!(error, CkksError::LevelMismatch { .. }));
    assert!(error.to_string().contains("adjust_to"), "the message says how to fix it: {error}");
    let rlk = f.rlk.clone();
    let eval = ManagedEvaluator::new(&f.ctx, &rlk);
    let x2 = eval.multiply(&cx, &cx).unwrap();
    let y = eval.add(&x2, &cx).unwrap();
    assert_eq!((y.level(), y.scale()), (x2.level(), x2.scale()));
    assert_precision("x² + x", &slotwise(&x, &x, |a, _| a * a + a), &f.decrypt(&y), 24.0);
    // ... and a constant and a plaintext vector on top, exact on the ladder one level down.
    let w = random_values(f.slots(), 2);
    let real_w: Vec<f64> = w.iter().map(|z| z.re).collect();
    let z = eval.multiply_values(&eval.multiply_const(&y, -0.5).unwrap(), &real_w).unwrap();
    assert_eq!(z.scale(), eval.ladder().scale(z.level()).unwrap());
    let expected: Vec<Complex> = x.iter().zip(&real_w).map(|(&a, &c)| (a * a + a).scale(-0.5 * c)).collect();
    assert_precision("(x² + x)·(-0.5)·w", &expected, &f.decrypt(&z), 22.0);
    let shifted = eval.add_values(&eval.add_const(&z, 0.25).unwrap(), &real_w).unwrap();
    let expected: Vec<Complex> = expected.iter().zip(&real_w).map(|(&e, &c)| e + Complex::from(0.25 + c)).collect();
    assert_precision("+ 0.25 + w", &expected, &f.decrypt(&shifted), 22.0);
}

/// Two ladder-scaled operands multiply onto the ladder exactly, at every level, and the ladder
/// of the presets stays within `2^-10` of the default scale (it is built from the lowest level
/// up, so offsets between primes and scale halve instead of doubling).
#[test]
fn products_of_ladder_scaled_operands_land_on_the_ladder() {
    let mut f = Fixture::new(params());
    let rlk = f.rlk.clone();
    let eval = ManagedEvaluator::new(&f.ctx, &rlk);
    // |x| < 1, so that x^64 stays bounded.
    let x: Vec<Complex> = random_values(f.slots(), 3).iter().map(|z| z.scale(0.7)).collect();
    let pt = eval.encode_complex(&x, f.slots(), f.top()).unwrap();
    let mut ct = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    let mut expected = x.clone();
    while ct.level() > 0 {
        ct = eval.multiply(&ct, &ct).unwrap();
        expected = slotwise(&expected, &expected, |a, b| a * b);
        let ladder = eval.ladder().scale(ct.level()).unwrap();
        assert!((ct.scale() / ladder - 1.0).abs() < 1e-12, "level {}: {} vs {ladder}", ct.level(), ct.scale());
    }
    assert_precision("x^64", &expected, &f.decrypt(&ct), 22.0);
    for preset in Preset::ALL {
        let ladder = ScaleLadder::new(&preset.build().unwrap());
        println!("{preset:?}: ladder within 2^{:.1} of the default scale", ladder.max_relative_drift().log2());
        assert!(ladder.max_relative_drift() < 2f64.powi(-10), "{preset:?}: {}", ladder.max_relative_drift());
    }
}

/// `adjust_to` is exact from any higher level, refuses to raise a level, and at the same level
/// accepts only whole factors; a same-level sum of different scales costs the managed
/// evaluator one level and is still right.
#[test]
fn exact_adjustments_and_their_limits() {
    let mut f = Fixture::new(params());
    let x = random_values(f.slots(), 4);
    let cx = f.encrypt(&x);
    let top = f.top();
    for level in 0..top {
        for scale in [2f64.powf(39.3), 2f64.powi(40), 2f64.powf(41.7)] {
            let adjusted = f.evaluator.adjust_to(&cx, level, scale).unwrap();
            assert_eq!((adjusted.level(), adjusted.scale()), (level, scale));
            assert_precision(&format!("adjust_to level {level}"), &x, &f.decrypt(&adjusted), 25.0);
        }
    }
    assert!(matches!(
        f.evaluator.adjust_to(&f.evaluator.drop_to_level(&cx, 3).unwrap(), 4, f.scale()),
        Err(CkksError::LevelOutOfRange { level: 4, max: 3, .. })
    ));
    let tripled = f.evaluator.adjust_to(&cx, top, 3.0 * f.scale()).unwrap();
    assert_precision("whole factor", &x, &f.decrypt(&tripled), 25.0);
    let error = f.evaluator.adjust_to(&cx, top, 1.5 * f.scale()).unwrap_err();
    assert!(matches!(error, CkksError::ScaleMismatch { .. }));

    let rlk = f.rlk.clone();
    let eval = ManagedEvaluator::new(&f.ctx, &rlk);
    let y = random_values(f.slots(), 5);
    let pt = f.encoder.encode_complex(&y, f.slots(), top, 2f64.powf(39.5)).unwrap();
    let cy = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    let sum = eval.add(&cx, &cy).unwrap();
    assert_eq!((sum.level(), sum.scale()), (top - 1, eval.ladder().scale(top - 1).unwrap()));
    assert_precision("same level, different scales", &slotwise(&x, &y, |a, b| a + b), &f.decrypt(&sum), 24.0);
}

/// Scales are reported as powers of two, with the fix.
#[test]
fn scale_errors_print_powers_of_two_and_the_fix() {
    let error = CkksError::ScaleMismatch { left: 2f64.powi(40), right: 2f64.powf(39.98) };
    let message = error.to_string();
    assert!(message.contains("2^40.00 vs 2^39.98"), "{message}");
    assert!(message.contains("adjust_to") && message.contains("ManagedEvaluator"), "{message}");
}
