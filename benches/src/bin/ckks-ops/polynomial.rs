//! `ckks-ops --poly`: Chebyshev series evaluation (degree 15, 63, 127 on `[-1, 1]`) with the
//! `PolynomialEvaluator`, in the format of `benches/peers/openfhe_polynomial.py` (OpenFHE's
//! `EvalChebyshevSeries` on the same chain, coefficients and inputs), so that the two can be
//! run side by side (`benches/scripts/polynomial-side-by-side.sh`).
//!
//! Per row: the median latency of one evaluation (fresh top-level input, single thread), the
//! precision (`−log2` of the worst and of the mean absolute error against the `f64` series over
//! all slots of uniform inputs in `[-1, 1]`), the levels consumed and the ciphertext products.

use std::sync::Arc;

use serde_json::{Map, Value, json};
use spencnn_ckks::circuits::approximation::ErrorStatistics;
use spencnn_ckks::circuits::polynomial::{Interval, Polynomial, PolynomialEvaluator};
use spencnn_ckks::*;

use super::timing::{TimingPolicy, median_micros};
use super::uniform_values;

/// Degrees of the rows.
pub const DEGREES: [usize; 3] = [15, 63, 127];

/// One configuration: ring degree and chain (the same Q as the OpenFHE script's).
pub struct PolynomialConfig {
    /// Ring degree.
    pub n: usize,
    /// Parameters.
    pub params: Parameters,
}

/// The configurations: N = 2^14 with the 128-bit preset of depth 7 (60 + 7×40, P = 2×49),
/// and N = 2^16 with depth 14 (60 + 14×40, P = 3×60; log QP = 800 ≤ 1772).
pub fn configs(sizes: &[usize]) -> Result<Vec<PolynomialConfig>, CkksError> {
    let mut out = Vec::new();
    for &n in sizes {
        let params = match n {
            16384 => Preset::N16384Depth7.build()?,
            65536 => {
                let mut q = vec![60];
                q.extend([40; 14]);
                Parameters::builder().log_n(16).q_bits(&q).p_bits(&[60, 60, 60]).log_scale(40.0).build()?
            }
            _ => return Err(CkksError::LogDegreeOutOfRange { log_n: n.trailing_zeros(), min: 14, max: 16 }),
        };
        out.push(PolynomialConfig { n, params });
    }
    Ok(out)
}

/// The series of every row: `c_i = ±1/(i + 1)` with the sign pattern `+ + − − + + …`, so that
/// no coefficient is negligible and the full degree is evaluated (the OpenFHE script uses the
/// same, with its convention of a halved `c_0`).
pub fn coefficients(degree: usize) -> Vec<f64> {
    (0..=degree).map(|i| if (i / 2) % 2 == 0 { 1.0 } else { -1.0 } / (i + 1) as f64).collect()
}

/// The rows of one configuration.
pub fn run(config: &PolynomialConfig, policy: TimingPolicy) -> Result<Value, Box<dyn std::error::Error>> {
    let params = &config.params;
    let (top, scale, slots) = (params.max_level(), params.default_scale(), params.max_slots());
    let ctx: Arc<Context> = Context::new(params.clone())?;
    let mut keygen = KeyGenerator::new(&ctx);
    let sk = keygen.secret_key();
    let pk = keygen.public_key(&sk)?;
    let rlk = keygen.relin_key(&sk)?;
    let encoder = Encoder::new(&ctx);
    let evaluator = Evaluator::new(&ctx);
    let poly_eval = PolynomialEvaluator::new(&evaluator, &rlk);
    let x = uniform_values(slots, 3);
    let ct = Encryptor::new(&ctx).encrypt(&encoder.encode_real(&x, slots, top, scale)?, &pk)?;
    let decryptor = Decryptor::new(&ctx);
    let mut rows = Map::new();
    for degree in DEGREES {
        let p = Polynomial::chebyshev(&coefficients(degree), Interval::UNIT)?;
        let levels = poly_eval.levels_consumed(&p, &ct);
        if levels > top {
            rows.insert(
                format!("chebyshev_{degree}"),
                json!({ "skipped": format!("needs {levels} levels, chain has {top}") }),
            );
            continue;
        }
        let out = poly_eval.evaluate(&ct, &p)?;
        let got = encoder.decode_real(&decryptor.decrypt(&out, &sk)?)?;
        let expected: Vec<f64> = x.iter().map(|&v| p.evaluate(v)).collect();
        let precision = ErrorStatistics::of(&expected, &got);
        let plan = poly_eval.plan(&p);
        let micros = median_micros(policy, || drop(poly_eval.evaluate(&ct, &p).unwrap()));
        rows.insert(
            format!("chebyshev_{degree}"),
            json!({
                "seconds_median": micros / 1e6,
                "precision_bits_worst": precision.worst_bits,
                "precision_bits_mean": precision.mean_bits,
                "levels_consumed": top - out.level(),
                "levels_left": out.level(),
                "ciphertext_products": plan.ciphertext_products(),
                "relinearizations": plan.relinearizations(),
                "output_scale_log2": out.scale().log2(),
            }),
        );
    }
    let bits = |primes: &[u64]| primes.iter().map(|q| 64 - q.leading_zeros()).collect::<Vec<_>>();
    rows.insert(
        "params".to_owned(),
        json!({
            "q_bits": bits(params.q_primes()),
            "p_bits": bits(params.p_primes()),
            "dnum": params.dnum(),
            "log_qp": params.log_qp_bits(),
            "slots": slots,
        }),
    );
    Ok(Value::Object(rows))
}
