//! Bootstrapping with sparse-secret encapsulation at small, insecure parameters (N = 2^12):
//! the dense (uniform ternary) secret of the parameters, ModRaise under an ephemeral secret of
//! Hamming weight 32 on the small chain `q_0·P'`. Random values in [-1, 1], values at the
//! interval's edges, full and sparse slots, compact keys, a product after bootstrapping, and
//! misuse as typed errors. The N = 2^16 preset is measured by `ckks-ops --bootstrap
//! --secret sparse-encapsulated`.

mod common;

use common::*;
use spencnn_ckks::circuits::bootstrapping::{
    Bootstrapper, BootstrappingConfig, BootstrappingKeys, EvalModConfig, KeyRequirements, SparseEncapsulation,
};
use spencnn_ckks::circuits::{CircuitError, Hoisting};
use spencnn_ckks::serialization::sizes;
use spencnn_ckks::*;

/// N = 2^12, uniform ternary secret, scale 2^50 with q_0 = 2^60 (`q_0/Δ = 2^10`, the N = 2^16
/// preset's ratio). Chain: q_0, one level after bootstrapping, SlotsToCoeffs 2 × 42 bits,
/// EvalMod 8 × 58 bits (K = 16: a degree-63 interpolant and 2 double angles, as the preset),
/// CoeffsToSlots 2 × 56 bits.
fn params() -> Parameters {
    let mut q = vec![60, 50, 42, 42];
    q.extend([58; 8]);
    q.extend([56, 56]);
    Parameters::builder()
        .log_n(12)
        .q_bits(&q)
        .p_bits(&[60; 4])
        .log_scale(50.0)
        .insecure_for_testing_only()
        .build()
        .unwrap()
}

const EVAL_MOD: EvalModConfig = EvalModConfig { interval_bound: 16, double_angles: 2, degree: 63 };

fn config(slots: usize, encapsulation: Option<SparseEncapsulation>) -> BootstrappingConfig {
    BootstrappingConfig {
        slots,
        coeffs_to_slots_levels: 2,
        slots_to_coeffs_levels: 2,
        eval_mod: EVAL_MOD,
        coeffs_to_slots_hoisting: Hoisting::Double,
        slots_to_coeffs_hoisting: Hoisting::Single,
        encapsulation,
    }
}

struct Setup {
    fixture: Fixture,
    bootstrapper: Bootstrapper,
    keys: BootstrappingKeys,
}

fn setup(slots: usize) -> Setup {
    let fixture = Fixture::new(params());
    let bootstrapper = Bootstrapper::new(&fixture.ctx, config(slots, Some(SparseEncapsulation::H32))).unwrap();
    let mut keygen = KeyGenerator::from_seed(&fixture.ctx, [31; 32]);
    let keys = bootstrapper.key_requirements().generate(&mut keygen, &fixture.sk).unwrap();
    Setup { fixture, bootstrapper, keys }
}

fn bootstrap_at(s: &mut Setup, values: &[Complex], scale: f64) -> (Ciphertext, Vec<Complex>) {
    let f = &mut s.fixture;
    let pt = f.encoder.encode_complex(values, values.len(), 0, scale).unwrap();
    let ct = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    let out = s.bootstrapper.bootstrap(&ct, &s.keys).unwrap();
    let decrypted = f.decrypt(&out);
    (out, decrypted)
}

#[test]
fn encapsulated_full_slots_random_and_edges() {
    let mut s = setup(2048);
    assert_eq!(s.bootstrapper.output_level(), 1);
    let scale = s.fixture.scale();
    for seed in [1, 2, 3] {
        let values = real_values(2048, seed);
        let (out, got) = bootstrap_at(&mut s, &values, scale);
        assert_eq!((out.level(), out.slots(), out.scale()), (1, 2048, scale));
        assert_precision(&format!("encapsulated, 2^11 real slots, seed {seed}"), &values, &got, 22.0);
    }
    let complex = random_values(2048, 4);
    assert_precision("encapsulated, 2^11 complex slots", &complex, &bootstrap_at(&mut s, &complex, scale).1, 22.0);
    // ±1 in alternate slots: one large coefficient, where the cubic term of sin(2πε)/(2π)
    // (ε = Δ·m/q_0 = 2^-10) is (2π)²·ε³/6 ≈ 2^-17.3 relative to m.
    let edges: Vec<Complex> = (0..2048).map(|i| Complex::from(if i % 2 == 0 { 1.0 } else { -0.999 })).collect();
    assert_precision("encapsulated, edges ±1", &edges, &bootstrap_at(&mut s, &edges, scale).1, 17.0);
    let ones = vec![Complex::from(1.0); 2048];
    assert_precision("encapsulated, all 1", &ones, &bootstrap_at(&mut s, &ones, scale).1, 17.0);
    // The refreshed ciphertext computes on: one more product uses the level left.
    let values = real_values(2048, 5);
    let out = bootstrap_at(&mut s, &values, scale).0;
    let f = &s.fixture;
    let square = f.evaluator.rescale(&f.evaluator.square_relin(&out, &f.rlk).unwrap()).unwrap();
    let squared: Vec<Complex> = values.iter().map(|&z| z * z).collect();
    assert_precision("square after encapsulated bootstrap", &squared, &f.decrypt(&square), 22.0);
}

#[test]
fn encapsulated_sparse_slots() {
    for slots in [64, 8] {
        let mut s = setup(slots);
        let scale = s.fixture.scale();
        let values = real_values(slots, 7);
        let got = bootstrap_at(&mut s, &values, scale).1;
        assert_precision(&format!("encapsulated, {slots} slots"), &values, &got, 20.0);
    }
}

/// Compact keys (the uniform halves as seeds, the encapsulation keys included) give the same
/// ciphertext, bit for bit, as the same keys expanded, with half the memory.
#[test]
fn encapsulated_compact_keys_bootstrap_bit_identically() {
    let mut s = setup(64);
    let requirements = s.bootstrapper.key_requirements();
    assert_eq!(requirements.encapsulation, Some(SparseEncapsulation::H32));
    let mut keygen = KeyGenerator::from_seed(&s.fixture.ctx, [31; 32]).with_key_storage(KeyStorage::Compact);
    let compact = requirements.generate(&mut keygen, &s.fixture.sk).unwrap();
    assert_eq!(compact.memory_bytes() * 2, s.keys.memory_bytes());
    let encapsulation = s.keys.encapsulation_keys().unwrap();
    assert_eq!(encapsulation.to_sparse().level(), 0);
    assert_eq!(encapsulation.to_dense().level(), s.fixture.top());
    // The key sizes are predicted before any key exists: the two encapsulation keys are one
    // key over q_0·P' and one at the top level.
    let params = params();
    let small = SparseEncapsulation::H32.parameters(&params).unwrap();
    let dense_requirements = KeyRequirements { encapsulation: None, ..requirements.clone() };
    for form in [SerializedForm::Full, SerializedForm::Seeded] {
        let extra = sizes::relin_key(&small, 0, form) + sizes::relin_key(&params, params.max_level(), form);
        assert_eq!(
            requirements.serialized_bytes(&params, form),
            dense_requirements.serialized_bytes(&params, form) + extra
        );
    }
    let f = &mut s.fixture;
    let values = real_values(64, 13);
    let ct = f.encryptor.encrypt(&f.encoder.encode_complex(&values, 64, 0, f.scale()).unwrap(), &f.pk).unwrap();
    let expanded_out = s.bootstrapper.bootstrap(&ct, &s.keys).unwrap();
    let compact_out = s.bootstrapper.bootstrap(&ct, &compact).unwrap();
    assert!(expanded_out.polys() == compact_out.polys(), "compact keys change the result");
    assert_precision("encapsulated with compact keys", &values, &f.decrypt(&compact_out), 22.0);
}

#[test]
fn encapsulation_misuse_is_a_typed_error() {
    let mut s = setup(64);
    let f = &mut s.fixture;
    let ct = f.encrypt(&random_values(64, 2));
    // Keys without the encapsulation keys.
    let plain = s.keys.clone().without_encapsulation();
    assert_eq!(s.bootstrapper.bootstrap(&ct, &plain).unwrap_err(), CircuitError::MissingEncapsulationKeys);
    // Keys of a circuit without encapsulation lack them too.
    let dense_circuit = Bootstrapper::new(&f.ctx, config(64, None)).unwrap();
    assert_eq!(dense_circuit.key_requirements().encapsulation, None);
    let mut keygen = KeyGenerator::from_seed(&f.ctx, [32; 32]);
    let dense_keys = dense_circuit.key_requirements().generate(&mut keygen, &f.sk).unwrap();
    assert!(dense_keys.encapsulation_keys().is_none());
    assert_eq!(s.bootstrapper.bootstrap(&ct, &dense_keys).unwrap_err(), CircuitError::MissingEncapsulationKeys);
    // Without the encapsulation, the same short EvalMod (K = 16) fails under the dense secret
    // (|I| has a deviation of about 15 at N = 2^12): the switch is what makes it correct.
    let values = random_values(64, 2);
    let dense_out = dense_circuit.bootstrap(&ct, &dense_keys).unwrap();
    let dense_precision = precision(&values, &f.decrypt(&dense_out));
    assert!(dense_precision.min_bits < 4.0, "dense secret with K = 16: {dense_precision:?}");
    assert_precision(
        "encapsulated, same input",
        &values,
        &f.decrypt(&s.bootstrapper.bootstrap(&ct, &s.keys).unwrap()),
        20.0,
    );
    // Encapsulation keys made for another secret are another secret's: the result is wrong,
    // but the parameters match, so this is the caller's key management; keys of other
    // parameters are refused.
    let other = Fixture::new(
        Parameters::builder()
            .log_n(12)
            .q_bits(&[60, 50, 42, 42, 58, 58, 58, 58, 58, 58, 58, 58, 56, 55])
            .p_bits(&[60; 4])
            .log_scale(50.0)
            .insecure_for_testing_only()
            .build()
            .unwrap(),
    );
    let other_circuit = Bootstrapper::new(&other.ctx, config(64, Some(SparseEncapsulation::H32))).unwrap();
    let mut other_keygen = KeyGenerator::from_seed(&other.ctx, [33; 32]);
    let other_keys = other_circuit.key_requirements().generate(&mut other_keygen, &other.sk).unwrap();
    assert!(matches!(
        s.bootstrapper.bootstrap(&ct, &other_keys),
        Err(CircuitError::Ckks(CkksError::ParameterMismatch { .. }))
    ));
    // A weight out of range, and a secure ring where the sparse secret has no cited estimate.
    let empty = SparseEncapsulation { hamming_weight: 0, ..SparseEncapsulation::H32 };
    assert_eq!(
        Bootstrapper::new(&f.ctx, config(64, Some(empty))).unwrap_err(),
        CircuitError::Ckks(CkksError::HammingWeightOutOfRange { weight: 0, n: 4096 })
    );
    let secure = Parameters::builder().log_n(12).q_bits(&[44, 20]).p_bits(&[44]).log_scale(20.0).build().unwrap();
    let secure_ctx = Context::new(secure).unwrap();
    let secret = SecretDistribution::FixedHammingWeight { weight: 32 };
    assert_eq!(
        Bootstrapper::new(&secure_ctx, config(64, Some(SparseEncapsulation::H32))).unwrap_err(),
        CircuitError::Ckks(CkksError::UncertifiedSecretDistribution { secret })
    );
}
