//! The benchmark presets end to end (secure parameters, N = 2^13 and 2^14).

mod common;

use common::*;
use spencnn_ckks::*;

fn mul(a: &[Complex], b: &[Complex]) -> Vec<Complex> {
    a.iter().zip(b).map(|(&x, &y)| x * y).collect()
}

fn check_preset(preset: Preset) {
    let mut f = Fixture::new(preset.build().unwrap());
    let log_n = f.ctx.params().log_n() as f64;
    let fresh_threshold = 40.0 - (log_n + 2.0);
    let keys = f.galois_keys(&[1, -2], Conjugation::Include);
    let (a, b) = (random_values(f.slots(), 21), random_values(f.slots(), 22));
    let (ca, cb) = (f.encrypt(&a), f.encrypt(&b));
    assert_precision(&format!("{preset:?} fresh"), &a, &f.decrypt(&ca), fresh_threshold);
    let ab = f.evaluator.rescale(&f.evaluator.multiply_relin(&ca, &cb, &f.rlk).unwrap()).unwrap();
    assert_precision(&format!("{preset:?} mult+relin+rescale"), &mul(&a, &b), &f.decrypt(&ab), fresh_threshold - 2.0);
    let rotated = f.evaluator.rotate(&ab, 1, &keys).unwrap();
    assert_precision(
        &format!("{preset:?} rotate 1"),
        &rotate_left(&mul(&a, &b), 1),
        &f.decrypt(&rotated),
        fresh_threshold - 2.0,
    );
    let hoisted = f.evaluator.hoist(&ca).unwrap();
    let back = f.evaluator.rotate_hoisted(&hoisted, -2, &keys).unwrap();
    assert_precision(
        &format!("{preset:?} hoisted rotate -2"),
        &rotate_left(&a, -2),
        &f.decrypt(&back),
        fresh_threshold - 2.0,
    );
    let conj: Vec<Complex> = a.iter().map(|z| z.conj()).collect();
    assert_precision(
        &format!("{preset:?} conjugate"),
        &conj,
        &f.decrypt(&f.evaluator.conjugate(&ca, &keys).unwrap()),
        fresh_threshold - 2.0,
    );
}

#[test]
fn preset_n8192_depth2() {
    check_preset(Preset::N8192Depth2);
}

#[test]
fn preset_n16384_depth7() {
    check_preset(Preset::N16384Depth7);
}
