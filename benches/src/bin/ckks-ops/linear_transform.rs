//! `ckks-ops --linear-transform`: a dense `2^12 × 2^12` matrix-vector product on the `2^12`
//! slots of `N = 2^13` ([`Preset::N8192Depth2`], top level), in the format of
//! `benches/peers/openfhe_linear_transform.py` (the same matrix, inputs and baby-step
//! giant-step split with OpenFHE's hoisted rotations).
//!
//! Rows: the baby-step giant-step transform pre-encoded with double and with single hoisting,
//! and encoded on demand (encoding included). Latency: median of single evaluations (not
//! rescaled); precision: `−log2` of the worst and mean absolute error against the `f64`
//! product; the Galois keys count and bytes.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Map, Value, json};
use spencnn_ckks::circuits::{DiagonalMatrix, Hoisting, LinearTransform};
use spencnn_ckks::*;

use super::timing::{TimingPolicy, median_micros};
use super::uniform_values;

/// The dimension of the matrix (and slot count).
pub const DIMENSION: usize = 1 << 12;

/// The baby span: `√4096`, as a balanced split; the OpenFHE script uses the same.
pub const BABY_SPAN: usize = 64;

/// `splitmix64(x)` mapped to `[-1, 1)`: the matrix entries, computable in closed form (the
/// OpenFHE script draws the same ones with numpy).
fn hashed_uniform(x: u64) -> f64 {
    let mut z = x.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^= z >> 31;
    (z >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
}

/// The matrix: `M[i][j] = h(i·n + j)/64` with `h` = [`hashed_uniform`], so that `M·x` stays of
/// order one.
pub fn matrix(quick: bool) -> Result<DiagonalMatrix, Box<dyn std::error::Error>> {
    let n = if quick { 256 } else { DIMENSION };
    let rows: Vec<Vec<Complex>> =
        (0..n).map(|i| (0..n).map(|j| Complex::from(hashed_uniform((i * n + j) as u64) / 64.0)).collect()).collect();
    Ok(DiagonalMatrix::from_dense(&rows)?)
}

/// Every row, as one JSON object.
pub fn run_rows(quick: bool, policy: TimingPolicy, threads: usize) -> Result<Value, Box<dyn std::error::Error>> {
    let params = Preset::N8192Depth2.build()?;
    let (top, scale) = (params.max_level(), params.default_scale());
    let ctx: Arc<Context> = Context::new(params.clone())?;
    let matrix = matrix(quick)?;
    let slots = matrix.dimension();
    let transform = LinearTransform::with_baby_span(matrix, BABY_SPAN.min(slots))?;
    let mut keygen = KeyGenerator::new(&ctx);
    let sk = keygen.secret_key();
    let pk = keygen.public_key(&sk)?;
    let keys = keygen.galois_keys(&sk, &transform.rotation_steps(), Conjugation::Exclude)?;
    let encoder = Encoder::new(&ctx);
    let evaluator = Evaluator::new(&ctx);
    let decryptor = Decryptor::new(&ctx);
    let x = uniform_values(slots, 11);
    let ct = Encryptor::new(&ctx).encrypt(&encoder.encode_real(&x, slots, top, scale)?, &pk)?;
    let xs: Vec<Complex> = x.iter().map(|&v| Complex::from(v)).collect();
    let expected = transform.matrix().apply(&xs)?;
    // Plaintexts at the scale of the prime the product is rescaled by.
    let pt_scale = params.q_primes()[top] as f64;
    let precision = |out: &Ciphertext| -> Result<(f64, f64), Box<dyn std::error::Error>> {
        let got = encoder.decode_complex(&decryptor.decrypt(&evaluator.rescale(out)?, &sk)?)?;
        let errors: Vec<f64> = got.iter().zip(&expected).map(|(g, e)| (*g - *e).abs()).collect();
        let worst = errors.iter().copied().fold(0.0, f64::max);
        Ok((-worst.log2(), -(errors.iter().sum::<f64>() / errors.len() as f64).log2()))
    };
    let mut rows = Map::new();
    for (name, hoisting) in [("bsgs_double_hoisted", Hoisting::Double), ("bsgs_single_hoisted", Hoisting::Single)] {
        let started = Instant::now();
        let encoded = transform.encode(&encoder, top, pt_scale, hoisting)?;
        let encode_seconds = started.elapsed().as_secs_f64();
        let (worst, mean) = precision(&encoded.evaluate(&evaluator, &ct, &keys)?)?;
        let micros = median_micros(policy, || drop(encoded.evaluate(&evaluator, &ct, &keys).unwrap()));
        rows.insert(
            name.to_owned(),
            json!({
                "micros_median": micros,
                "precision_bits_worst": worst,
                "precision_bits_mean": mean,
                "encode_seconds": encode_seconds,
                "plaintext_bytes": encoded.memory_bytes(),
            }),
        );
    }
    let (worst, mean) =
        precision(&transform.evaluate_on_demand(&evaluator, &encoder, &ct, &keys, pt_scale, Hoisting::Double)?)?;
    let micros = median_micros(policy.with_min_iters(1), || {
        drop(transform.evaluate_on_demand(&evaluator, &encoder, &ct, &keys, pt_scale, Hoisting::Double).unwrap())
    });
    rows.insert(
        "bsgs_double_hoisted_on_demand".to_owned(),
        json!({ "micros_median": micros, "precision_bits_worst": worst, "precision_bits_mean": mean }),
    );
    let split = transform.split();
    Ok(json!({
        "library": format!("spencnn-ckks {}", env!("CARGO_PKG_VERSION")),
        "log_n": params.log_n(),
        "slots": slots,
        "diagonals": transform.matrix().diagonal_count(),
        "baby_steps": split.baby_steps().len(),
        "giant_steps": split.giant_steps().len(),
        "rotation_keys": keys.len(),
        "key_bytes": keys.memory_bytes(),
        "level": top,
        "threads": threads,
        "quick": quick,
        "rows": rows,
    }))
}
