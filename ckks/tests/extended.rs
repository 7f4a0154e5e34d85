//! Rotations kept in the extended basis: shared across sums, bit-identical to the accumulator.

mod common;

use common::*;
use spencnn_ckks::*;

#[test]
fn extended_sums_equal_the_double_hoisted_accumulator_exactly() {
    let mut f = Fixture::new(law_params());
    let steps = [0i64, 1, 2, -5, 17];
    let keys = f.galois_keys(&steps, Conjugation::Exclude);
    let (cx, cy) = (f.encrypt(&random_values(f.slots(), 20)), f.encrypt(&random_values(f.slots(), 21)));
    let plaintexts: Vec<Plaintext> = (0..2 * steps.len())
        .map(|j| {
            let w = random_values(f.slots(), 200 + j as u64);
            f.encoder.encode_complex_extended(&w, f.slots(), f.top(), f.scale()).unwrap()
        })
        .collect();
    let (hx, hy) = (f.evaluator.hoist(&cx).unwrap(), f.evaluator.hoist(&cy).unwrap());
    let x_terms: Vec<(i64, &Plaintext)> = steps.iter().copied().zip(&plaintexts[..steps.len()]).collect();
    let y_terms: Vec<(i64, &Plaintext)> = steps.iter().copied().zip(&plaintexts[steps.len()..]).collect();
    let expected = f.evaluator.multiply_rotated_sum(&[(&hx, &x_terms), (&hy, &y_terms)], &keys).unwrap();

    let rotated: Vec<ExtendedCiphertext> = [&hx, &hy]
        .iter()
        .flat_map(|h| steps.iter().map(|&s| f.evaluator.rotate_hoisted_extended(h, s, &keys).unwrap()))
        .collect();
    // Split in two partial sums, added in the extended basis: one mod-down in total.
    let terms: Vec<(&ExtendedCiphertext, &Plaintext)> = rotated.iter().zip(&plaintexts).collect();
    let mut sum = f.evaluator.multiply_plain_sum_extended(&terms[..3]).unwrap();
    let rest = f.evaluator.multiply_plain_sum_extended(&terms[3..]).unwrap();
    f.evaluator.add_extended_assign(&mut sum, &rest).unwrap();
    let got = f.evaluator.mod_down_extended(sum).unwrap();
    assert_eq!(got.polys(), expected.polys());
    assert_eq!(got.scale(), expected.scale());
}

#[test]
fn batched_sums_equal_separate_sums() {
    let mut f = Fixture::new(law_params());
    let keys = f.galois_keys(&[1, 2], Conjugation::Exclude);
    let ct = f.encrypt(&random_values(f.slots(), 24));
    let hoisted = f.evaluator.hoist(&ct).unwrap();
    let rotated: Vec<ExtendedCiphertext> =
        [0i64, 1, 2].iter().map(|&s| f.evaluator.rotate_hoisted_extended(&hoisted, s, &keys).unwrap()).collect();
    let plaintexts: Vec<Plaintext> = (0..5)
        .map(|j| {
            let w = random_values(f.slots(), 300 + j as u64);
            f.encoder.encode_complex_extended(&w, f.slots(), f.top(), f.scale()).unwrap()
        })
        .collect();
    let first: Vec<(&ExtendedCiphertext, &Plaintext)> =
        vec![(&rotated[0], &plaintexts[0]), (&rotated[2], &plaintexts[1])];
    let second: Vec<(&ExtendedCiphertext, &Plaintext)> =
        vec![(&rotated[1], &plaintexts[2]), (&rotated[2], &plaintexts[3]), (&rotated[0], &plaintexts[4])];
    let batched = f.evaluator.multiply_plain_sums_extended(&[&first, &second]).unwrap();
    for (got, terms) in batched.into_iter().zip([&first, &second]) {
        let alone = f.evaluator.multiply_plain_sum_extended(terms).unwrap();
        let (got, alone) = (f.evaluator.mod_down_extended(got).unwrap(), f.evaluator.mod_down_extended(alone).unwrap());
        assert_eq!(got.polys(), alone.polys());
    }
    let empty: &[(&ExtendedCiphertext, &Plaintext)] = &[];
    assert_eq!(f.evaluator.multiply_plain_sums_extended(&[&first, empty]).unwrap_err(), CkksError::EmptyAccumulator);
}

#[test]
fn extended_rotation_mods_down_to_the_plain_rotation() {
    let mut f = Fixture::new(law_params());
    let keys = f.galois_keys(&[3, -1], Conjugation::Exclude);
    let ct = f.encrypt(&random_values(f.slots(), 22));
    let hoisted = f.evaluator.hoist(&ct).unwrap();
    for step in [3i64, -1] {
        let ext = f.evaluator.rotate_hoisted_extended(&hoisted, step, &keys).unwrap();
        assert_eq!((ext.level(), ext.slots(), ext.scale()), (ct.level(), ct.slots(), ct.scale()));
        let plain = f.evaluator.rotate(&ct, step, &keys).unwrap();
        assert_eq!(f.evaluator.mod_down_extended(ext).unwrap().polys(), plain.polys(), "step {step}");
    }
    let lifted = f.evaluator.lift_extended(&ct).unwrap();
    assert_eq!(f.evaluator.mod_down_extended(lifted).unwrap().polys(), ct.polys());
}

#[test]
fn extended_rejections() {
    let mut f = Fixture::new(law_params());
    let keys = f.galois_keys(&[1], Conjugation::Exclude);
    let ct = f.encrypt(&random_values(f.slots(), 23));
    let hoisted = f.evaluator.hoist(&ct).unwrap();
    let ext = f.evaluator.rotate_hoisted_extended(&hoisted, 1, &keys).unwrap();
    assert!(matches!(
        f.evaluator.rotate_hoisted_extended(&hoisted, 2, &keys).unwrap_err(),
        CkksError::MissingGaloisKey { .. }
    ));
    let plain = f.encoder.encode_real(&[1.0], f.slots(), f.top(), f.scale()).unwrap();
    let low = f.encoder.encode_real_extended(&[1.0], f.slots(), 0, f.scale()).unwrap();
    let other_scale = f.encoder.encode_real_extended(&[1.0], f.slots(), f.top(), 2f64.powi(30)).unwrap();
    let good = f.encoder.encode_real_extended(&[1.0], f.slots(), f.top(), f.scale()).unwrap();
    let e = &f.evaluator;
    assert_eq!(e.multiply_plain_sum_extended(&[(&ext, &plain)]).unwrap_err(), CkksError::PlaintextNotExtended);
    assert_eq!(
        e.multiply_plain_sum_extended(&[(&ext, &low)]).unwrap_err(),
        CkksError::LevelMismatch { left: 3, right: 0 }
    );
    assert!(matches!(
        e.multiply_plain_sum_extended(&[(&ext, &good), (&ext, &other_scale)]).unwrap_err(),
        CkksError::ScaleMismatch { .. }
    ));
    assert_eq!(e.multiply_plain_sum_extended(&[]).unwrap_err(), CkksError::EmptyAccumulator);
    let mut a = e.multiply_plain_sum_extended(&[(&ext, &good)]).unwrap();
    assert!(matches!(e.add_extended_assign(&mut a, &ext).unwrap_err(), CkksError::ScaleMismatch { .. }));
}

#[test]
fn extended_ciphertexts_are_send_and_sync() {
    fn assert_send_sync<T: Send + Sync>() {}
    assert_send_sync::<ExtendedCiphertext>();
    assert_send_sync::<HoistedCiphertext>();
    assert_send_sync::<GaloisKeys>();
    assert_send_sync::<RelinKey>();
    assert_send_sync::<Plaintext>();
}

#[test]
fn rotating_an_extended_ciphertext_matches_rotating_its_mod_down() {
    let mut f = Fixture::new(law_params());
    let keys = f.galois_keys(&[3, -7], Conjugation::Exclude);
    let values = random_values(f.slots(), 40);
    let ct = f.encrypt(&values);
    let weights = random_values(f.slots(), 41);
    let pt = f.encoder.encode_complex_extended(&weights, f.slots(), f.top(), f.scale()).unwrap();
    let hoisted = f.evaluator.hoist(&ct).unwrap();
    let rotated = f.evaluator.rotate_hoisted_extended(&hoisted, 3, &keys).unwrap();
    let sum = f.evaluator.multiply_plain_sum_extended(&[(&rotated, &pt)]).unwrap();
    // The giant step of a double-hoisted transform: rotate the extended partial sum by -7.
    let direct = f.evaluator.rotate_extended(sum.clone(), -7, &keys).unwrap();
    let direct = f.evaluator.rescale(&f.evaluator.mod_down_extended(direct).unwrap()).unwrap();
    let reference = f.evaluator.rotate(&f.evaluator.mod_down_extended(sum.clone()).unwrap(), -7, &keys).unwrap();
    let reference = f.evaluator.rescale(&reference).unwrap();
    let product: Vec<Complex> = weights.iter().zip(rotate_left(&values, 3)).map(|(&w, v)| w * v).collect();
    let expected = rotate_left(&product, -7);
    assert_precision("rotate_extended", &expected, &f.decrypt(&direct), 22.0);
    assert_precision("rotate_extended vs rotate", &f.decrypt(&reference), &f.decrypt(&direct), 22.0);
    // Step 0 is the identity.
    let same = f.evaluator.rotate_extended(sum.clone(), 0, &keys).unwrap();
    assert_eq!(
        f.evaluator.mod_down_extended(same).unwrap().polys(),
        f.evaluator.mod_down_extended(sum).unwrap().polys()
    );
}
