//! Homomorphic evaluation laws with precision thresholds, at N = 2^12 (insecure, fast).

mod common;

use common::*;
use proptest::prelude::*;
use spencnn_ckks::*;

fn mul(a: &[Complex], b: &[Complex]) -> Vec<Complex> {
    a.iter().zip(b).map(|(&x, &y)| x * y).collect()
}

fn add(a: &[Complex], b: &[Complex]) -> Vec<Complex> {
    a.iter().zip(b).map(|(&x, &y)| x + y).collect()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(6))]

    #[test]
    fn addition_and_subtraction(seed in any::<u64>()) {
        let mut f = Fixture::new(law_params());
        let (a, b) = (random_values(f.slots(), seed), random_values(f.slots(), seed ^ 1));
        let (ca, cb) = (f.encrypt(&a), f.encrypt(&b));
        assert_precision("add", &add(&a, &b), &f.decrypt(&f.evaluator.add(&ca, &cb).unwrap()), 25.0);
        let diff: Vec<Complex> = a.iter().zip(&b).map(|(&x, &y)| x - y).collect();
        assert_precision("sub", &diff, &f.decrypt(&f.evaluator.sub(&ca, &cb).unwrap()), 25.0);
        let neg: Vec<Complex> = a.iter().map(|&x| -x).collect();
        assert_precision("negate", &neg, &f.decrypt(&f.evaluator.negate(&ca).unwrap()), 25.0);
        let pb = f.encoder.encode_complex(&b, f.slots(), f.top(), f.scale()).unwrap();
        assert_precision("add_plain", &add(&a, &b), &f.decrypt(&f.evaluator.add_plain(&ca, &pb).unwrap()), 25.0);
        assert_precision("sub_plain", &diff, &f.decrypt(&f.evaluator.sub_plain(&ca, &pb).unwrap()), 25.0);
        let plus: Vec<Complex> = a.iter().map(|&x| x + Complex::from(0.75)).collect();
        assert_precision("add_const", &plus, &f.decrypt(&f.evaluator.add_const(&ca, 0.75).unwrap()), 25.0);
    }

    #[test]
    fn plaintext_and_constant_products(seed in any::<u64>()) {
        let mut f = Fixture::new(law_params());
        let (a, b) = (random_values(f.slots(), seed), random_values(f.slots(), seed ^ 2));
        let ca = f.encrypt(&a);
        let pb = f.encoder.encode_complex(&b, f.slots(), f.top(), f.scale()).unwrap();
        let product = f.evaluator.rescale(&f.evaluator.multiply_plain(&ca, &pb).unwrap()).unwrap();
        assert_eq!(product.level(), f.top() - 1);
        assert_precision("mult_plain+rescale", &mul(&a, &b), &f.decrypt(&product), 24.0);
        // The next rescale divides by q_top, the last prime of a top-level ciphertext.
        let q_last = f.ctx.params().q_primes()[f.top()] as f64;
        let scaled = f.evaluator.rescale(&f.evaluator.multiply_const(&ca, -1.5, q_last).unwrap()).unwrap();
        assert!((scaled.scale() - f.scale()).abs() < 1e-3, "constant at the prime's scale restores the scale");
        let expected: Vec<Complex> = a.iter().map(|&x| x.scale(-1.5)).collect();
        assert_precision("multiply_const", &expected, &f.decrypt(&scaled), 24.0);
        let tripled = f.evaluator.multiply_integer(&ca, 3).unwrap();
        let expected: Vec<Complex> = a.iter().map(|&x| x.scale(3.0)).collect();
        assert_precision("multiply_integer", &expected, &f.decrypt(&tripled), 24.0);
    }
}

/// Level `ℓ` means the `ℓ + 1` primes `q_0, …, q_ℓ`: the number of rescales left.
#[test]
fn levels_count_the_rescales_left() {
    let mut f = Fixture::new(law_params());
    let params = f.ctx.params().clone();
    assert_eq!((params.q_primes().len(), params.max_level()), (4, 3));
    let values = random_values(f.slots(), 31);
    let mut ct = f.encrypt(&values);
    assert_eq!((ct.level(), ct.polys()[0].q_limb_count()), (3, 4), "fresh at the top level, every prime");
    for level in (0..3).rev() {
        // Multiplying by 1 at the scale q_ℓ, the prime the rescale divides by, keeps the scale.
        let q_last = params.q_primes()[ct.level()] as f64;
        ct = f.evaluator.rescale(&f.evaluator.multiply_const(&ct, 1.0, q_last).unwrap()).unwrap();
        assert_eq!((ct.level(), ct.polys()[0].q_limb_count()), (level, level + 1));
        assert!((ct.scale() / f.scale() - 1.0).abs() < 1e-9);
    }
    assert_precision("three rescales", &values, &f.decrypt(&ct), 20.0);
    assert_eq!(f.evaluator.rescale(&ct).unwrap_err(), CkksError::LevelOutOfRange { level: 0, min: 1, max: 3 });
    let fresh = f.encrypt(&values);
    assert_eq!(f.evaluator.drop_to_level(&fresh, 0).unwrap().level(), 0);
    let pt = f.encoder.encode_complex(&values, f.slots(), 0, f.scale()).unwrap();
    assert_eq!((pt.level(), pt.poly().q_limb_count()), (0, 1));
}

#[test]
fn multiply_relinearize_rescale_chain() {
    let mut f = Fixture::new(law_params());
    let (a, b) = (random_values(f.slots(), 5), random_values(f.slots(), 6));
    let (ca, cb) = (f.encrypt(&a), f.encrypt(&b));
    let size3 = f.evaluator.multiply(&ca, &cb).unwrap();
    assert_eq!(size3.size(), 3);
    assert_precision("mult (size 3)", &mul(&a, &b), &f.decrypt(&size3), 22.0);
    let ab = f.evaluator.rescale(&f.evaluator.relinearize(&size3, &f.rlk).unwrap()).unwrap();
    assert_eq!((ab.size(), ab.level()), (2, f.top() - 1));
    assert_precision("mult+relin+rescale", &mul(&a, &b), &f.decrypt(&ab), 22.0);
    // Square of the product, then multiply by a dropped-level copy of a: depth 3.
    let ab2 = f.evaluator.rescale(&f.evaluator.square_relin(&ab, &f.rlk).unwrap()).unwrap();
    let ab_sq = mul(&mul(&a, &b), &mul(&a, &b));
    assert_precision("square+relin+rescale", &ab_sq, &f.decrypt(&ab2), 20.0);
    let a_low = f.evaluator.drop_to_level(&ca, ab2.level()).unwrap();
    assert_eq!(a_low.level(), 1);
    let a_low_rescaled_scale = a_low.scale();
    let depth3 = f.evaluator.rescale(&f.evaluator.multiply_relin(&ab2, &a_low, &f.rlk).unwrap()).unwrap();
    assert_eq!(depth3.level(), 0);
    assert!(
        (depth3.scale() / (ab2.scale() * a_low_rescaled_scale / f.ctx.params().q_primes()[1] as f64) - 1.0).abs()
            < 1e-12
    );
    assert_precision("depth 3", &mul(&ab_sq, &a), &f.decrypt(&depth3), 18.0);
    assert_eq!(
        f.evaluator.rescale(&depth3).unwrap_err(),
        CkksError::LevelOutOfRange { level: 0, min: 1, max: f.top() }
    );
}

#[test]
fn rotations_match_seal_convention_full_and_sparse() {
    let mut f = Fixture::new(law_params());
    let keys = f.galois_keys(&[1, 5, -1, -3, 7, 100], Conjugation::Include);
    let values = random_values(f.slots(), 7);
    let ct = f.encrypt(&values);
    for step in [1i64, 5, -1, -3, 100] {
        let rotated = f.evaluator.rotate(&ct, step, &keys).unwrap();
        assert_precision(&format!("rotate {step}"), &rotate_left(&values, step), &f.decrypt(&rotated), 25.0);
    }
    // Step 0 and a full turn need no key.
    assert_precision("rotate 0", &values, &f.decrypt(&f.evaluator.rotate(&ct, 0, &keys).unwrap()), 25.0);
    let full_turn = f.slots() as i64;
    assert_precision("rotate N/2", &values, &f.decrypt(&f.evaluator.rotate(&ct, full_turn, &keys).unwrap()), 25.0);
    let conj: Vec<Complex> = values.iter().map(|z| z.conj()).collect();
    assert_precision("conjugate", &conj, &f.decrypt(&f.evaluator.conjugate(&ct, &keys).unwrap()), 25.0);
    assert_eq!(
        f.evaluator.rotate(&ct, 2, &keys).unwrap_err(),
        CkksError::MissingGaloisKey { galois_element: 25, step: Some(2) }
    );

    // Sparse packing: 8 slots rotate cyclically among themselves.
    let sparse = random_values(8, 8);
    let pt = f.encoder.encode_complex(&sparse, 8, f.top(), f.scale()).unwrap();
    let ct = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    for step in [1i64, -3, 7] {
        let rotated = f.evaluator.rotate(&ct, step, &keys).unwrap();
        assert_precision(&format!("sparse rotate {step}"), &rotate_left(&sparse, step), &f.decrypt(&rotated), 25.0);
    }
}

#[test]
fn hoisted_rotations_equal_plain_rotations_exactly() {
    let mut f = Fixture::new(law_params());
    let steps = [1i64, 2, 3, -4, 8];
    let keys = f.galois_keys(&steps, Conjugation::Exclude);
    let ct = f.encrypt(&random_values(f.slots(), 9));
    let hoisted = f.evaluator.hoist(&ct).unwrap();
    for step in steps {
        let plain = f.evaluator.rotate(&ct, step, &keys).unwrap();
        let fast = f.evaluator.rotate_hoisted(&hoisted, step, &keys).unwrap();
        assert_eq!(plain.polys(), fast.polys(), "step {step}");
    }
    let identity = f.evaluator.rotate_hoisted(&hoisted, 0, &keys).unwrap();
    assert_eq!(identity.polys(), ct.polys());
}

#[test]
fn double_hoisted_sum_equals_sum_of_rotated_products() {
    let mut f = Fixture::new(law_params());
    let steps = [0i64, 1, 2, -5, 17];
    let keys = f.galois_keys(&steps, Conjugation::Exclude);
    let (x, y) = (random_values(f.slots(), 10), random_values(f.slots(), 11));
    let (cx, cy) = (f.encrypt(&x), f.encrypt(&y));
    let weights: Vec<Vec<Complex>> = (0..2 * steps.len()).map(|j| random_values(f.slots(), 100 + j as u64)).collect();
    let plaintexts: Vec<Plaintext> =
        weights.iter().map(|w| f.encoder.encode_complex_extended(w, f.slots(), f.top(), f.scale()).unwrap()).collect();
    let (hx, hy) = (f.evaluator.hoist(&cx).unwrap(), f.evaluator.hoist(&cy).unwrap());
    let x_terms: Vec<(i64, &Plaintext)> = steps.iter().copied().zip(&plaintexts[..steps.len()]).collect();
    let y_terms: Vec<(i64, &Plaintext)> = steps.iter().copied().zip(&plaintexts[steps.len()..]).collect();
    let sum = f.evaluator.multiply_rotated_sum(&[(&hx, &x_terms), (&hy, &y_terms)], &keys).unwrap();
    assert_eq!(sum.scale(), f.scale() * f.scale());

    // Reference: the same sum with plain rotations and mult_plain, in clear and encrypted.
    let mut expected = vec![Complex::default(); f.slots()];
    let mut reference: Option<Ciphertext> = None;
    for (input, (clear, offset)) in [(&cx, (&x, 0)), (&cy, (&y, steps.len()))] {
        for (j, &step) in steps.iter().enumerate() {
            expected = add(&expected, &mul(&weights[offset + j], &rotate_left(clear, step)));
            let rotated = f.evaluator.rotate(input, step, &keys).unwrap();
            let term = f.evaluator.multiply_plain(&rotated, &plaintexts[offset + j]).unwrap();
            reference = Some(match reference {
                None => term,
                Some(acc) => f.evaluator.add(&acc, &term).unwrap(),
            });
        }
    }
    let sum = f.evaluator.rescale(&sum).unwrap();
    let reference = f.evaluator.rescale(&reference.unwrap()).unwrap();
    assert_precision("double-hoisted sum", &expected, &f.decrypt(&sum), 20.0);
    assert_precision("plain-rotation sum", &expected, &f.decrypt(&reference), 20.0);
    assert_precision("double-hoisted vs plain", &f.decrypt(&reference), &f.decrypt(&sum), 20.0);
}

#[test]
fn accumulator_rejections() {
    let mut f = Fixture::new(law_params());
    let keys = f.galois_keys(&[1], Conjugation::Exclude);
    let ct = f.encrypt(&random_values(f.slots(), 12));
    let hoisted = f.evaluator.hoist(&ct).unwrap();
    let plain = f.encoder.encode_real(&[1.0], f.slots(), f.top(), f.scale()).unwrap();
    let extended = f.encoder.encode_real_extended(&[1.0], f.slots(), f.top(), f.scale()).unwrap();
    let other_scale = f.encoder.encode_real_extended(&[1.0], f.slots(), f.top(), 2f64.powi(30)).unwrap();
    let low = f.encoder.encode_real_extended(&[1.0], f.slots(), 0, f.scale()).unwrap();
    let mut acc = f.evaluator.rotation_accumulator(f.top(), f.slots()).unwrap();
    assert_eq!(acc.add_term(&hoisted, 1, &plain, &keys).unwrap_err(), CkksError::PlaintextNotExtended);
    assert_eq!(acc.add_term(&hoisted, 1, &low, &keys).unwrap_err(), CkksError::LevelMismatch { left: 3, right: 0 });
    acc.add_term(&hoisted, 1, &extended, &keys).unwrap();
    assert!(matches!(acc.add_term(&hoisted, 0, &other_scale, &keys).unwrap_err(), CkksError::ScaleMismatch { .. }));
    assert!(matches!(acc.add_term(&hoisted, 3, &extended, &keys).unwrap_err(), CkksError::MissingGaloisKey { .. }));
    assert_eq!(acc.terms(), 1);
    assert!(acc.finish().is_ok());
    let empty = f.evaluator.rotation_accumulator(f.top(), f.slots()).unwrap();
    assert_eq!(empty.finish().unwrap_err(), CkksError::EmptyAccumulator);
    assert_eq!(f.evaluator.multiply_rotated_sum(&[], &keys).unwrap_err(), CkksError::EmptyAccumulator);
}

#[test]
fn mismatches_are_typed_errors() {
    let mut f = Fixture::new(law_params());
    let values = random_values(f.slots(), 13);
    let a = f.encrypt(&values);
    let b = f.evaluator.drop_to_level(&a, 1).unwrap();
    assert_eq!(f.evaluator.add(&a, &b).unwrap_err(), CkksError::LevelMismatch { left: 3, right: 1 });
    assert!(matches!(f.evaluator.multiply(&a, &b).unwrap_err(), CkksError::LevelMismatch { .. }));
    let pt = f.encoder.encode_complex(&values, f.slots(), f.top(), 2f64.powi(30)).unwrap();
    let c = f.encryptor.encrypt(&pt, &f.pk).unwrap();
    assert_eq!(
        f.evaluator.add(&a, &c).unwrap_err(),
        CkksError::ScaleMismatch { left: f.scale(), right: 2f64.powi(30) }
    );
    assert!(matches!(f.evaluator.add_plain(&a, &pt).unwrap_err(), CkksError::ScaleMismatch { .. }));
    let sparse = f.encoder.encode_real(&[1.0], 4, f.top(), f.scale()).unwrap();
    assert_eq!(
        f.evaluator.multiply_plain(&a, &sparse).unwrap_err(),
        CkksError::SlotCountMismatch { left: f.slots(), right: 4 }
    );
    let size3 = f.evaluator.multiply(&a, &a).unwrap();
    assert_eq!(f.evaluator.rescale(&size3).unwrap().size(), 3, "rescale works on size 3");
    assert_eq!(f.evaluator.multiply(&size3, &a).unwrap_err(), CkksError::CiphertextSize { size: 3, expected: 2 });
    assert_eq!(f.evaluator.relinearize(&a, &f.rlk).unwrap_err(), CkksError::CiphertextSize { size: 2, expected: 3 });
    assert_eq!(f.evaluator.drop_to_level(&a, 4).unwrap_err(), CkksError::LevelOutOfRange { level: 4, min: 0, max: 3 });
    // A size-3 sum decrypts like the sum of its parts.
    let mixed = f.evaluator.add(&size3, &size3).unwrap();
    let squared: Vec<Complex> = values.iter().map(|&z| (z * z).scale(2.0)).collect();
    let scale_sq = f.scale() * f.scale();
    assert!((mixed.scale() - scale_sq).abs() < 1.0);
    assert_precision("size-3 add", &squared, &f.decrypt(&mixed), 20.0);
}

#[test]
fn evaluator_is_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<Evaluator>();
    assert_send_sync::<Context>();
    assert_send_sync::<GaloisKeys>();
    assert_send_sync::<Ciphertext>();
    assert_send_sync::<HoistedCiphertext>();
}

#[test]
fn several_special_primes_and_digits() {
    // k = 2 special primes, dnum = 2 digits of two primes: the N = 16384 preset's structure.
    let params = Parameters::builder()
        .log_n(11)
        .q_bits(&[55, 40, 40, 40])
        .p_bits(&[49, 49])
        .dnum(2)
        .insecure_for_testing_only()
        .build()
        .unwrap();
    assert_eq!(params.primes_per_digit(), 2);
    let mut f = Fixture::new(params);
    let keys = f.galois_keys(&[3], Conjugation::Include);
    let (a, b) = (random_values(f.slots(), 14), random_values(f.slots(), 15));
    let (ca, cb) = (f.encrypt(&a), f.encrypt(&b));
    let ab = f.evaluator.rescale(&f.evaluator.multiply_relin(&ca, &cb, &f.rlk).unwrap()).unwrap();
    assert_precision("k=2 mult+relin+rescale", &mul(&a, &b), &f.decrypt(&ab), 22.0);
    // Level 2 (three primes) has a partial last digit.
    let rotated = f.evaluator.rotate(&ab, 3, &keys).unwrap();
    assert_precision("k=2 rotate at level 2", &rotate_left(&mul(&a, &b), 3), &f.decrypt(&rotated), 22.0);
    let conj: Vec<Complex> = a.iter().map(|z| z.conj()).collect();
    assert_precision("k=2 conjugate", &conj, &f.decrypt(&f.evaluator.conjugate(&ca, &keys).unwrap()), 24.0);
}

#[test]
fn level_restricted_keys_are_restrictions_and_switch_up_to_their_level() {
    let mut f = Fixture::new(law_params());
    let (top, low) = (f.top(), 1);
    let element = rlwe::galois_element_for_step(3, f.ctx.params().n());
    let full = KeyGenerator::from_seed(&f.ctx, [13; 32]).galois_keys(&f.sk, &[3], Conjugation::Exclude).unwrap();
    let restricted = KeyGenerator::from_seed(&f.ctx, [13; 32]).galois_keys_at_levels(&f.sk, &[(3, low)]).unwrap();
    let (full_key, low_key) = (full.get(element).unwrap(), restricted.get(element).unwrap());
    assert_eq!((full_key.level(), low_key.level()), (top, low));
    // Same seed and errors: the key made at level 1 is the top-level key with limbs and digits cut.
    let cut = full_key.switching_key().restricted(f.ctx.params(), low).unwrap();
    assert_eq!(cut.b_parts(), low_key.switching_key().b_parts());
    assert_eq!(cut.a_parts(), low_key.switching_key().a_parts());
    assert_eq!(cut.b_parts().len(), 2);
    // Level 1: 2 digits × 3 limbs (two Q primes and P) against 4 digits × 5 limbs at level 3.
    assert_eq!(restricted.memory_bytes() * 20, full.memory_bytes() * 6);

    let values = random_values(f.slots(), 9);
    let ct = f.encrypt(&values);
    assert_eq!(
        f.evaluator.rotate(&ct, 3, &restricted).unwrap_err(),
        CkksError::KeyLevelTooLow { key_level: low, level: top }
    );
    let lower = f.evaluator.drop_to_level(&ct, low).unwrap();
    let with_full = f.evaluator.rotate(&lower, 3, &full).unwrap();
    let with_restricted = f.evaluator.rotate(&lower, 3, &restricted).unwrap();
    assert_eq!(with_full.polys(), with_restricted.polys(), "bit-identical results");
    let expected: Vec<Complex> = (0..values.len()).map(|i| values[(i + 3) % values.len()]).collect();
    assert_precision("rotate, level-1 key", &expected, &f.decrypt(&with_restricted), 25.0);

    // A relinearization key at a level switches products at that level, not above.
    let rlk = KeyGenerator::from_seed(&f.ctx, [14; 32]).relin_key_at_level(&f.sk, low).unwrap();
    assert!(matches!(f.evaluator.multiply_relin(&ct, &ct, &rlk), Err(CkksError::KeyLevelTooLow { .. })));
    let squared = f.evaluator.rescale(&f.evaluator.multiply_relin(&lower, &lower, &rlk).unwrap()).unwrap();
    let expected: Vec<Complex> = values.iter().map(|&x| x * x).collect();
    assert_precision("square, level-1 relinearization key", &expected, &f.decrypt(&squared), 22.0);
    assert!(matches!(
        KeyGenerator::from_seed(&f.ctx, [14; 32]).relin_key_at_level(&f.sk, top + 1),
        Err(CkksError::LevelOutOfRange { .. })
    ));
}

#[test]
fn galois_key_sets_merge_without_duplicates_or_foreign_keys() {
    let f = Fixture::new(law_params());
    let mut keygen = KeyGenerator::from_seed(&f.ctx, [15; 32]);
    let mut all = GaloisKeys::default();
    all.merge(keygen.galois_keys_at_levels(&f.sk, &[(1, 1)]).unwrap()).unwrap();
    all.merge(keygen.galois_keys_at_levels(&f.sk, &[(2, 3)]).unwrap()).unwrap();
    assert_eq!((all.len(), all.fingerprint()), (2, f.ctx.params().fingerprint()));
    let again = keygen.galois_keys_at_levels(&f.sk, &[(1, 0)]).unwrap();
    let element = rlwe::galois_element_for_step(1, f.ctx.params().n());
    assert_eq!(all.merge(again).unwrap_err(), CkksError::DuplicateGaloisKey { galois_element: element });
    let other = Fixture::new(evaluation_params_with_other_primes());
    let foreign =
        KeyGenerator::from_seed(&other.ctx, [15; 32]).galois_keys(&other.sk, &[3], Conjugation::Exclude).unwrap();
    assert!(matches!(all.merge(foreign), Err(CkksError::ParameterMismatch { .. })));
    assert_eq!(all.len(), 2);
}

fn evaluation_params_with_other_primes() -> Parameters {
    Parameters::builder().log_n(12).q_bits(&[60, 40]).p_bits(&[60]).insecure_for_testing_only().build().unwrap()
}
