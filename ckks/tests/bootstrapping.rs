//! Bootstrapping correctness and precision at small, insecure parameters (N = 2^12): random
//! values in [-1, 1] and values at the interval's edges, full and sparse slots, uniform ternary
//! and sparse secrets. The N = 2^16 circuit is measured by `ckks-ops --bootstrap`.

mod common;

use common::*;
use spencnn_ckks::circuits::Hoisting;
use spencnn_ckks::circuits::bootstrapping::{Bootstrapper, BootstrappingConfig, BootstrappingKeys, EvalModConfig};
use spencnn_ckks::*;

/// N = 2^12, uniform ternary secret (|I| < 128 with margin: deviation about 15), scale 2^50
/// with q_0 = 2^60. Chain: q_0, one level after bootstrapping, SlotsToCoeffs 2 × 42 bits,
/// EvalMod 12 × 54 bits, CoeffsToSlots 2 × 56 bits.
fn uniform_params() -> (Parameters, EvalModConfig) {
    let mut q = vec![60, 50, 42, 42];
    q.extend([54; 12]);
    q.extend([56, 56]);
    let params = Parameters::builder()
        .log_n(12)
        .q_bits(&q)
        .p_bits(&[60, 60, 60, 60])
        .log_scale(50.0)
        .insecure_for_testing_only()
        .build()
        .unwrap();
    (params, EvalModConfig { interval_bound: 128, double_angles: 7, degree: 31 })
}

struct Setup {
    fixture: Fixture,
    bootstrapper: Bootstrapper,
    keys: BootstrappingKeys,
}

fn setup(params: Parameters, eval_mod: EvalModConfig, slots: usize, levels: (usize, usize)) -> Setup {
    let fixture = Fixture::new(params);
    let config = BootstrappingConfig {
        slots,
        coeffs_to_slots_levels: levels.0,
        slots_to_coeffs_levels: levels.1,
        eval_mod,
        coeffs_to_slots_hoisting: Hoisting::Double,
        slots_to_coeffs_hoisting: Hoisting::Single,
    };
    let bootstrapper = Bootstrapper::new(&fixture.ctx, config).unwrap();
    let mut keygen = KeyGenerator::from_seed(&fixture.ctx, [21; 32]);
    let keys = bootstrapper.key_requirements().generate(&mut keygen, &fixture.sk).unwrap();
    Setup { fixture, bootstrapper, keys }
}

/// Encrypts `values` at the lowest level, bootstraps, and returns the decrypted slots.
fn bootstrap(s: &mut Setup, values: &[Complex]) -> (Ciphertext, Vec<Complex>) {
    let f = &mut s.fixture;
    let slots = values.len();
    let pt = f.encoder.encode_complex(values, slots, 0, f.scale()).unwrap();
    let ct = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    let out = s.bootstrapper.bootstrap(&ct, &s.keys).unwrap();
    let decrypted = f.decrypt(&out);
    (out, decrypted)
}

fn real_values(count: usize, seed: u64) -> Vec<Complex> {
    random_values(count, seed).into_iter().map(|z| Complex::from(z.re)).collect()
}

#[test]
fn uniform_ternary_full_slots() {
    let (params, eval_mod) = uniform_params();
    let mut s = setup(params, eval_mod, 2048, (2, 2));
    assert_eq!(s.bootstrapper.output_level(), 1);
    let values = real_values(2048, 1);
    let (out, got) = bootstrap(&mut s, &values);
    assert_eq!((out.level(), out.slots(), out.scale()), (1, 2048, s.fixture.scale()));
    assert_precision("bootstrap uniform, 2^11 slots, real", &values, &got, 15.0);
    // Complex slots, and the edges of the interval.
    let complex = random_values(2048, 2);
    assert_precision("bootstrap uniform, 2^11 slots, complex", &complex, &bootstrap(&mut s, &complex).1, 15.0);
    let edges: Vec<Complex> = (0..2048).map(|i| Complex::from(if i % 2 == 0 { 1.0 } else { -0.999 })).collect();
    assert_precision("bootstrap uniform, edges ±1", &edges, &bootstrap(&mut s, &edges).1, 15.0);
    // The refreshed ciphertext computes on: one more product uses the level left.
    let square = s.fixture.evaluator.rescale(&s.fixture.evaluator.square_relin(&out, &s.fixture.rlk).unwrap()).unwrap();
    let squared: Vec<Complex> = values.iter().map(|&z| z * z).collect();
    assert_precision("square after bootstrap", &squared, &s.fixture.decrypt(&square), 14.0);
}

#[test]
fn uniform_ternary_sparse_slots() {
    let (params, eval_mod) = uniform_params();
    for (slots, levels) in [(64, (2, 2)), (8, (3, 1))] {
        let mut s = setup(params.clone(), eval_mod, slots, levels);
        let values = real_values(slots, 3);
        assert_precision(&format!("bootstrap uniform, {slots} slots"), &values, &bootstrap(&mut s, &values).1, 17.0);
    }
}
