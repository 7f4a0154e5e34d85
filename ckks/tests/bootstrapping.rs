//! Bootstrapping correctness and precision at small, insecure parameters (N = 2^12): random
//! values in [-1, 1] and values at the interval's edges, full and sparse slots, uniform ternary
//! and sparse secrets. The N = 2^16 circuit is measured by `ckks-ops --bootstrap`.

mod common;

use common::*;
use spencnn_ckks::circuits::bootstrapping::{Bootstrapper, BootstrappingConfig, BootstrappingKeys, EvalModConfig};
use spencnn_ckks::circuits::{CircuitError, Hoisting};
use spencnn_ckks::*;

/// N = 2^12, uniform ternary secret (|I| < 128 with margin: deviation about 15), scale 2^52
/// with q_0 = 2^60. Chain: q_0, one level after bootstrapping, SlotsToCoeffs 2 × 42 bits,
/// EvalMod 11 × 58 bits (a degree-159 interpolant and 3 double angles), CoeffsToSlots
/// 2 × 56 bits: the shape of the N = 2^16 preset on a small ring.
fn uniform_params() -> (Parameters, EvalModConfig) {
    let mut q = vec![60, 52, 42, 42];
    q.extend([58; 11]);
    q.extend([56, 56]);
    let params = Parameters::builder()
        .log_n(12)
        .q_bits(&q)
        .p_bits(&[60, 60, 60, 60])
        .log_scale(52.0)
        .insecure_for_testing_only()
        .build()
        .unwrap();
    (params, EvalModConfig { interval_bound: 128, double_angles: 3, degree: 159 })
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
        encapsulation: None,
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

#[test]
fn uniform_ternary_full_slots() {
    let (params, eval_mod) = uniform_params();
    let mut s = setup(params, eval_mod, 2048, (2, 2));
    assert_eq!(s.bootstrapper.output_level(), 1);
    let values = real_values(2048, 1);
    let (out, got) = bootstrap(&mut s, &values);
    assert_eq!((out.level(), out.slots(), out.scale()), (1, 2048, s.fixture.scale()));
    assert_precision("bootstrap uniform, 2^11 slots, real", &values, &got, 20.0);
    // Complex slots, and the edges of the interval.
    let complex = random_values(2048, 2);
    assert_precision("bootstrap uniform, 2^11 slots, complex", &complex, &bootstrap(&mut s, &complex).1, 20.0);
    // Values at the edges, ±1 in alternate slots, concentrate in few large coefficients, where
    // sin(2πε)/(2π) = ε − (2π)²ε³/6 falls short by about 2^-13 at the default scale (q_0/Δ =
    // 2^8); a scale 4 times smaller halves ε and divides that error by 8.
    let edges: Vec<Complex> = (0..2048).map(|i| Complex::from(if i % 2 == 0 { 1.0 } else { -0.999 })).collect();
    assert_precision("bootstrap uniform, edges ±1", &edges, &bootstrap(&mut s, &edges).1, 13.5);
    let f = &mut s.fixture;
    let pt = f.encoder.encode_complex(&edges, 2048, 0, f.scale() / 4.0).unwrap();
    let quarter = s.bootstrapper.bootstrap(&f.encryptor.encrypt(&pt, &f.pk).unwrap(), &s.keys).unwrap();
    assert_eq!(quarter.scale(), f.scale() / 4.0);
    assert_precision("bootstrap uniform, edges ±1 at scale 2^50", &edges, &f.decrypt(&quarter), 16.0);
    // The refreshed ciphertext computes on: one more product uses the level left.
    let square = s.fixture.evaluator.rescale(&s.fixture.evaluator.square_relin(&out, &s.fixture.rlk).unwrap()).unwrap();
    let squared: Vec<Complex> = values.iter().map(|&z| z * z).collect();
    assert_precision("square after bootstrap", &squared, &s.fixture.decrypt(&square), 19.0);
}

#[test]
fn uniform_ternary_sparse_slots() {
    let (params, eval_mod) = uniform_params();
    for (slots, levels) in [(64, (2, 2)), (8, (3, 1))] {
        let mut s = setup(params.clone(), eval_mod, slots, levels);
        let values = real_values(slots, 3);
        // Few slots: larger coefficients, so the cubic term of sin(2πε) weighs more.
        assert_precision(&format!("bootstrap uniform, {slots} slots"), &values, &bootstrap(&mut s, &values).1, 17.0);
    }
}

/// Bootstrapping keys held compact (the uniform halves as seeds, half the memory) give the same
/// ciphertext, bit for bit, as the same keys expanded.
#[test]
fn compact_keys_bootstrap_bit_identically() {
    let (params, eval_mod) = uniform_params();
    let mut s = setup(params, eval_mod, 64, (2, 2));
    let requirements = s.bootstrapper.key_requirements();
    let mut keygen = KeyGenerator::from_seed(&s.fixture.ctx, [21; 32]).with_key_storage(KeyStorage::Compact);
    let compact = requirements.generate(&mut keygen, &s.fixture.sk).unwrap();
    assert_eq!(compact.memory_bytes() * 2, s.keys.memory_bytes());
    let f = &mut s.fixture;
    let values = real_values(64, 13);
    let ct = f.encryptor.encrypt(&f.encoder.encode_complex(&values, 64, 0, f.scale()).unwrap(), &f.pk).unwrap();
    let expanded_out = s.bootstrapper.bootstrap(&ct, &s.keys).unwrap();
    let compact_out = s.bootstrapper.bootstrap(&ct, &compact).unwrap();
    assert!(expanded_out.polys() == compact_out.polys(), "compact keys change the result");
    assert_precision("bootstrap with compact keys", &values, &f.decrypt(&compact_out), 17.0);
}

/// A sparse secret (64 non-zero coefficients) keeps `|I|` small (deviation about 2.3), so a
/// short EvalMod (K = 16, 2 double angles, depth 8) suffices and the precision is higher.
#[test]
fn sparse_secret_full_and_sparse_slots() {
    let mut q = vec![60, 52, 42, 42];
    q.extend([58; 8]);
    q.extend([56, 56]);
    let params = Parameters::builder()
        .log_n(12)
        .q_bits(&q)
        .p_bits(&[60; 4])
        .log_scale(52.0)
        .secret_distribution(SecretDistribution::FixedHammingWeight { weight: 64 })
        .insecure_for_testing_only()
        .build()
        .unwrap();
    let eval_mod = EvalModConfig { interval_bound: 16, double_angles: 2, degree: 63 };
    for slots in [2048, 128] {
        let mut s = setup(params.clone(), eval_mod, slots, (2, 2));
        let values = real_values(slots, 9);
        let got = bootstrap(&mut s, &values).1;
        assert_precision(&format!("bootstrap sparse secret, {slots} slots"), &values, &got, 21.0);
    }
}

#[test]
fn misuse_is_a_typed_error() {
    let (params, eval_mod) = uniform_params();
    let mut s = setup(params.clone(), eval_mod, 64, (2, 2));
    let f = &mut s.fixture;
    let other_slots = f.encrypt(&random_values(32, 1));
    assert!(matches!(
        s.bootstrapper.bootstrap(&other_slots, &s.keys),
        Err(CircuitError::Ckks(CkksError::SlotCountMismatch { left: 32, right: 64 }))
    ));
    let ct = f.encrypt(&random_values(64, 2));
    let no_keys = BootstrappingKeys::from_parts(GaloisKeys::empty(&f.ctx), f.rlk.clone());
    assert!(matches!(
        s.bootstrapper.bootstrap(&ct, &no_keys),
        Err(CircuitError::Ckks(CkksError::MissingGaloisKey { .. }))
    ));
    let config = |c2s, s2c, eval_mod| BootstrappingConfig {
        slots: 64,
        coeffs_to_slots_levels: c2s,
        slots_to_coeffs_levels: s2c,
        eval_mod,
        coeffs_to_slots_hoisting: Hoisting::Double,
        slots_to_coeffs_hoisting: Hoisting::Single,
        encapsulation: None,
    };
    let deep = EvalModConfig { interval_bound: 128, double_angles: 9, degree: 127 };
    assert_eq!(
        Bootstrapper::new(&f.ctx, config(2, 2, deep)).unwrap_err(),
        CircuitError::BootstrappingTooDeep { depth: 20, max_level: 16 }
    );
    assert_eq!(
        Bootstrapper::new(&f.ctx, config(0, 2, eval_mod)).unwrap_err(),
        CircuitError::InvalidLevelBudget { levels: 0, log_slots: 6 }
    );
    assert_eq!(
        Bootstrapper::new(&f.ctx, config(7, 2, eval_mod)).unwrap_err(),
        CircuitError::InvalidLevelBudget { levels: 7, log_slots: 6 }
    );
    let zero = EvalModConfig { interval_bound: 0, ..eval_mod };
    assert!(matches!(Bootstrapper::new(&f.ctx, config(2, 2, zero)), Err(CircuitError::InvalidEvalMod { .. })));
    let one_slot = BootstrappingConfig { slots: 1, ..config(1, 1, eval_mod) };
    assert!(matches!(
        Bootstrapper::new(&f.ctx, one_slot),
        Err(CircuitError::Ckks(CkksError::InvalidSlotCount { slots: 1, .. }))
    ));
}
