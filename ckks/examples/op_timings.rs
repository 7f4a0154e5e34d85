//! Rough single-thread timings of the main operations for the benchmark presets, next to the
//! SEAL figures measured on this machine (`../shared/anchors/README.md`). Not a benchmark
//! harness (that is `spencnn-benches`): a quick look, median of a few runs.
//!
//! `cargo run --release -p spencnn-ckks --example op_timings [-- 8192|16384]`

use std::time::Instant;

use spencnn_ckks::*;

fn median_micros(runs: usize, mut f: impl FnMut()) -> f64 {
    f();
    let mut times: Vec<f64> = (0..runs)
        .map(|_| {
            let start = Instant::now();
            f();
            start.elapsed().as_secs_f64() * 1e6
        })
        .collect();
    times.sort_by(f64::total_cmp);
    times[runs / 2]
}

fn run(preset: Preset, seal: &[(&str, f64)]) {
    let params = preset.build().unwrap();
    let (n, top, scale) = (params.n(), params.max_level(), params.default_scale());
    println!(
        "\n{preset:?}: N={n}, Q={:?} bits, P={:?} bits, dnum={}",
        params.q_primes().iter().map(|q| 64 - q.leading_zeros()).collect::<Vec<_>>(),
        params.p_primes().iter().map(|q| 64 - q.leading_zeros()).collect::<Vec<_>>(),
        params.dnum()
    );
    let ctx = Context::new(params).unwrap();
    let mut keygen = KeyGenerator::new(&ctx);
    let sk = keygen.secret_key();
    let pk = keygen.public_key(&sk).unwrap();
    let rlk = keygen.relin_key(&sk).unwrap();
    let steps: Vec<i64> = (1..=8).collect();
    let gk = keygen.galois_keys(&sk, &steps, false).unwrap();
    let encoder = Encoder::new(&ctx);
    let mut encryptor = Encryptor::new(&ctx);
    let decryptor = Decryptor::new(&ctx);
    let eval = Evaluator::new(&ctx);
    let values: Vec<f64> = (0..n / 2).map(|i| (i as f64 * 0.001).sin()).collect();
    let pt = encoder.encode_real(&values, n / 2, top, scale).unwrap();
    let ct = encryptor.encrypt(&pt, &pk).unwrap();
    let ct2 = encryptor.encrypt(&pt, &pk).unwrap();
    let runs = if n >= 16384 { 7 } else { 15 };
    let mut rows: Vec<(&str, f64)> = Vec::with_capacity(12);
    let mut record = |name: &'static str, micros: f64| rows.push((name, micros));
    record("encode", median_micros(runs, || drop(encoder.encode_real(&values, n / 2, top, scale).unwrap())));
    record("encrypt_pk", median_micros(runs, || drop(encryptor.encrypt(&pt, &pk).unwrap())));
    record(
        "decrypt_decode",
        median_micros(runs, || drop(encoder.decode_real(&decryptor.decrypt(&ct, &sk).unwrap()).unwrap())),
    );
    record("add", median_micros(runs, || drop(eval.add(&ct, &ct2).unwrap())));
    record("mult_plain", median_micros(runs, || drop(eval.multiply_plain(&ct, &pt).unwrap())));
    let product = eval.multiply_plain(&ct, &pt).unwrap();
    record("rescale", median_micros(runs, || drop(eval.rescale(&product).unwrap())));
    record("mult_relin", median_micros(runs, || drop(eval.multiply_relin(&ct, &ct2, &rlk).unwrap())));
    record("rotate_1", median_micros(runs, || drop(eval.rotate(&ct, 1, &gk).unwrap())));
    record("hoist", median_micros(runs, || drop(eval.hoist(&ct).unwrap())));
    record(
        "rotate_8steps_hoisted_total",
        median_micros(runs, || {
            let h = eval.hoist(&ct).unwrap();
            for &s in &steps {
                drop(eval.rotate_hoisted(&h, s, &gk).unwrap());
            }
        }),
    );
    let weights: Vec<Plaintext> =
        steps.iter().map(|_| encoder.encode_real_extended(&values, n / 2, top, scale).unwrap()).collect();
    let terms: Vec<(i64, &Plaintext)> = steps.iter().copied().zip(&weights).collect();
    record(
        "sum_8_rotated_products_double_hoisted",
        median_micros(runs, || {
            let h = eval.hoist(&ct).unwrap();
            drop(eval.multiply_rotated_sum(&[(&h, &terms)], &gk).unwrap());
        }),
    );
    record("keygen_galois_1step", median_micros(3.min(runs), || drop(keygen.galois_keys(&sk, &[1], false).unwrap())));
    println!("{:<40} {:>12} {:>12} {:>8}", "op", "ours (µs)", "SEAL (µs)", "ratio");
    for (name, ours) in rows {
        match seal.iter().find(|(s, _)| *s == name) {
            Some((_, theirs)) => println!("{name:<40} {ours:>12.0} {theirs:>12.0} {:>8.2}", ours / theirs),
            None => println!("{name:<40} {ours:>12.0} {:>12} {:>8}", "-", "-"),
        }
    }
}

fn main() {
    let which = std::env::args().nth(1).unwrap_or_default();
    // SEAL (TenSEAL 0.3.18) medians from ../shared/anchors/README.md; hoisted: OpenFHE's.
    let seal_8192 = [
        ("encode", 833.0),
        ("encrypt_pk", 4889.0),
        ("decrypt_decode", 1549.0),
        ("add", 77.0),
        ("mult_plain", 238.0),
        ("rescale", 821.0),
        ("mult_relin", 3802.0),
        ("rotate_1", 3336.0),
        ("rotate_8steps_hoisted_total", 25818.0),
        ("keygen_galois_1step", 7671.0),
    ];
    let seal_16384 = [
        ("encode", 3670.0),
        ("encrypt_pk", 21158.0),
        ("decrypt_decode", 11550.0),
        ("add", 510.0),
        ("mult_plain", 1398.0),
        ("rescale", 5473.0),
        ("mult_relin", 34950.0),
        ("rotate_1", 32296.0),
        ("rotate_8steps_hoisted_total", 146830.0),
        ("keygen_galois_1step", 84703.0),
    ];
    if which != "16384" {
        run(Preset::N8192Depth2, &seal_8192);
    }
    if which != "8192" {
        run(Preset::N16384Depth7, &seal_16384);
    }
}
