//! `ckks-ops`: single-thread medians of the CKKS operations, printed as ONE JSON object
//! (`{"N=8192": {op: µs}, "N=16384": {...}, "meta": {...}}`) in the format of the peer scripts
//! `benches/peers/seal_ops.py` (SEAL) and `openfhe_ops.py` (OpenFHE), with their Q chains,
//! scale and timing protocol, so that all three can be run side by side
//! (`benches/scripts/side-by-side.sh`; `benches/README.md`).
//!
//! ```text
//! cargo run --release -p spencnn-benches --bin ckks-ops [-- --quick] [--n 8192,16384]
//! cargo run --release -p spencnn-benches --bin ckks-ops -- --poly [--quick] [--n 16384,65536]
//! cargo run --release -p spencnn-benches --bin ckks-ops -- --bootstrap --threads 2 --json
//! cargo run --release -p spencnn-benches --bin ckks-ops -- --linear-transform --threads 1
//! ```
//!
//! `--poly` prints `{"polynomial": {"N=…": {"chebyshev_<degree>": {…}}}, "meta": {…}}`
//! instead (see `polynomial.rs`); `--bootstrap [--threads T] [--runs R]` prints
//! `{"bootstrap": {…}}` (see `bootstrap.rs`; `--key-storage compact` holds the bootstrapping keys
//! as seeds of their uniform halves, `--secret sparse-encapsulated` bootstraps with sparse-secret
//! encapsulation instead of the default `uniform-ternary`) and `--linear-transform [--threads T]` prints
//! `{"linear_transform": {…}}` (see `linear_transform.rs`). `--json` is accepted for symmetry
//! with the peer scripts: the output is always one JSON object on stdout.
//!
//! Every operation acts on fresh ciphertexts at the top level, like the peer scripts. The op
//! names are the peers' (`encode`, `encrypt_pk`, `decrypt_decode`, `add`, `mult_plain`,
//! `rescale`, `mult_relin`, `rotate_1`, `rotate_8steps_hoisted_total` as in OpenFHE's script,
//! `keygen_galois_1step`, …); ops the peers do not have are extra keys.

mod bootstrap;
mod compact;
mod linear_transform;
mod polynomial;
mod timing;

use std::io::Write;
use std::sync::Arc;

use serde_json::{Map, Value, json};
use spencnn_ckks::*;
use timing::{TimingPolicy, median_micros};

const USAGE: &str = "usage: ckks-ops [--poly | --bootstrap | --linear-transform] [--quick] [--n 8192,16384,65536] \
                     [--threads T] [--runs R] [--key-storage expanded|compact] \
                     [--secret uniform-ternary|sparse-encapsulated] [--json]";

/// Steps of the 8 (hoisted) rotations, as in the peer scripts.
const STEPS8: [i64; 8] = [1, 2, 3, 4, 5, 6, 7, 8];

fn bits(primes: &[u64]) -> Vec<u32> {
    primes.iter().map(|q| 64 - q.leading_zeros()).collect()
}

/// Deterministic values in `[-1, 1)` (a xorshift stream; the peer scripts draw the same one).
fn uniform_values(count: usize, seed: u64) -> Vec<f64> {
    let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    (0..count)
        .map(|_| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0
        })
        .collect()
}

fn max_error(got: &[f64], expected: impl Iterator<Item = f64>) -> f64 {
    got.iter().zip(expected).map(|(g, e)| (g - e).abs()).fold(0.0, f64::max)
}

/// Times every operation for one parameter set; returns the op medians and the meta entry.
fn run(params: Parameters, policy: TimingPolicy) -> Result<(Map<String, Value>, Value), Box<dyn std::error::Error>> {
    let (n, top, scale, slots) = (params.n(), params.max_level(), params.default_scale(), params.max_slots());
    let ctx: Arc<Context> = Context::new(params.clone())?;
    let mut keygen = KeyGenerator::new(&ctx);
    let sk = keygen.secret_key();
    let pk = keygen.public_key(&sk)?;
    let rlk = keygen.relin_key(&sk)?;
    let gk1 = keygen.galois_keys(&sk, &[1], Conjugation::Exclude)?;
    let gk8 = keygen.galois_keys(&sk, &STEPS8, Conjugation::Exclude)?;
    let encoder = Encoder::new(&ctx);
    let mut encryptor = Encryptor::new(&ctx);
    let decryptor = Decryptor::new(&ctx);
    let eval = Evaluator::new(&ctx);

    let x = uniform_values(slots, 1);
    let y = uniform_values(slots, 2);
    let ptx = encoder.encode_real(&x, slots, top, scale)?;
    let pty = encoder.encode_real(&y, slots, top, scale)?;
    let ctx_x = encryptor.encrypt(&ptx, &pk)?;
    let ctx_y = encryptor.encrypt(&pty, &pk)?;

    // Correctness first, so that the timed operations are the real thing.
    let decrypt =
        |ct: &Ciphertext| -> Result<Vec<f64>, CkksError> { encoder.decode_real(&decryptor.decrypt(ct, &sk)?) };
    let product = eval.rescale(&eval.multiply_relin(&ctx_x, &ctx_y, &rlk)?)?;
    let err_mult = max_error(&decrypt(&product)?, x.iter().zip(&y).map(|(a, b)| a * b));
    let err_rot = max_error(&decrypt(&eval.rotate(&ctx_x, 1, &gk1)?)?, (0..slots).map(|i| x[(i + 1) % slots]));
    let hoisted = eval.hoist(&ctx_x)?;
    let err_hoisted =
        max_error(&decrypt(&eval.rotate_hoisted(&hoisted, 3, &gk8)?)?, (0..slots).map(|i| x[(i + 3) % slots]));
    assert!(err_mult.max(err_rot).max(err_hoisted) < 1e-3, "wrong results: {err_mult} {err_rot} {err_hoisted}");

    let mut r = Map::new();
    let mut time = |name: &str, policy: TimingPolicy, f: &mut dyn FnMut()| {
        r.insert(name.to_owned(), json!(median_micros(policy, f)));
    };
    let keygen_policy = policy.with_min_iters(3);
    time("encode", policy, &mut || drop(encoder.encode_real(&x, slots, top, scale).unwrap()));
    time("encrypt_pk", policy, &mut || drop(encryptor.encrypt(&ptx, &pk).unwrap()));
    let mut sk_encryptor = Encryptor::new(&ctx);
    time("encrypt_sk", policy, &mut || drop(sk_encryptor.encrypt_symmetric(&ptx, &sk).unwrap()));
    time("decrypt", policy, &mut || drop(decryptor.decrypt(&ctx_x, &sk).unwrap()));
    let decrypted = decryptor.decrypt(&ctx_x, &sk)?;
    time("decode", policy, &mut || drop(encoder.decode_real(&decrypted).unwrap()));
    time("decrypt_decode", policy, &mut || {
        drop(encoder.decode_real(&decryptor.decrypt(&ctx_x, &sk).unwrap()).unwrap())
    });
    let low = eval.drop_to_level(&ctx_x, 0)?;
    time("decrypt_decode_1prime", policy, &mut || {
        drop(encoder.decode_real(&decryptor.decrypt(&low, &sk).unwrap()).unwrap())
    });
    time("add", policy, &mut || drop(eval.add(&ctx_x, &ctx_y).unwrap()));
    time("mult_plain", policy, &mut || drop(eval.multiply_plain(&ctx_x, &pty).unwrap()));
    let plain_product = eval.multiply_plain(&ctx_x, &pty)?;
    time("rescale", policy, &mut || drop(eval.rescale(&plain_product).unwrap()));
    time("mult_ct_ct_no_relin", policy, &mut || drop(eval.multiply(&ctx_x, &ctx_y).unwrap()));
    let unrelinearized = eval.multiply(&ctx_x, &ctx_y)?;
    time("relinearize", policy, &mut || drop(eval.relinearize(&unrelinearized, &rlk).unwrap()));
    time("mult_relin", policy, &mut || drop(eval.multiply_relin(&ctx_x, &ctx_y, &rlk).unwrap()));
    time("mult_relin_rescale", policy, &mut || {
        drop(eval.rescale(&eval.multiply_relin(&ctx_x, &ctx_y, &rlk).unwrap()).unwrap())
    });
    time("rotate_1", policy, &mut || drop(eval.rotate(&ctx_x, 1, &gk1).unwrap()));
    time("rotate_8steps_separately", policy, &mut || {
        for step in STEPS8 {
            drop(eval.rotate(&ctx_x, step, &gk8).unwrap());
        }
    });
    time("hoist_precompute", policy, &mut || drop(eval.hoist(&ctx_x).unwrap()));
    time("hoist_fast_rotation_each", policy, &mut || drop(eval.rotate_hoisted(&hoisted, 5, &gk8).unwrap()));
    time("rotate_8steps_hoisted_total", policy, &mut || {
        let h = eval.hoist(&ctx_x).unwrap();
        for step in STEPS8 {
            drop(eval.rotate_hoisted(&h, step, &gk8).unwrap());
        }
    });
    let compact_inputs = compact::CompactInputs {
        ctx: &ctx,
        eval: &eval,
        ct: &ctx_x,
        unrelinearized: &unrelinearized,
        rlk: &rlk,
        galois: &gk8,
        steps: &STEPS8,
    };
    let compact_sizes = compact::time_compact_rows(&compact_inputs, policy, &mut r)?;
    let mut time = |name: &str, policy: TimingPolicy, f: &mut dyn FnMut()| {
        r.insert(name.to_owned(), json!(median_micros(policy, f)));
    };
    let weights: Vec<Plaintext> =
        STEPS8.iter().map(|_| encoder.encode_real_extended(&y, slots, top, scale)).collect::<Result<_, _>>()?;
    let terms: Vec<(i64, &Plaintext)> = STEPS8.iter().copied().zip(&weights).collect();
    time("sum_8_rotated_products_double_hoisted", policy, &mut || {
        let h = eval.hoist(&ctx_x).unwrap();
        drop(eval.multiply_rotated_sum(&[(&h, &terms)], &gk8).unwrap());
    });
    // Serialization (extra ops): a full public-key ciphertext, and the seeded form of a
    // secret-key encryption, as a client would send it.
    let ct_bytes = ctx_x.to_bytes(&ctx)?;
    let symmetric = sk_encryptor.encrypt_symmetric(&ptx, &sk)?;
    let seeded_bytes = symmetric.to_seeded_bytes(&ctx)?;
    let limit = 1 << 30;
    time("serialize_ct", policy, &mut || drop(ctx_x.to_bytes(&ctx).unwrap()));
    time("deserialize_ct", policy, &mut || drop(Ciphertext::from_bytes(&ctx, &ct_bytes, limit).unwrap()));
    time("deserialize_ct_seeded", policy, &mut || drop(Ciphertext::from_bytes(&ctx, &seeded_bytes, limit).unwrap()));
    let flooding = PublicDecoding { flooding: NoiseFlooding::Uniform { log2_bound: 20 }, precision_bits: Some(20) };
    let mut public = PublicDecryptor::new(&ctx, flooding)?;
    time("decrypt_public_flooded", policy, &mut || drop(public.decrypt_real(&ctx_x, &sk).unwrap()));
    let sizes = json!({
        "ct_bytes": ct_bytes.len(),
        "ct_seeded_bytes": seeded_bytes.len(),
        "pk_bytes": pk.to_bytes(&ctx)?.len(),
        "pk_seeded_bytes": pk.to_seeded_bytes(&ctx)?.len(),
        "relin_key_bytes": rlk.to_bytes(&ctx)?.len(),
        "relin_key_seeded_bytes": rlk.to_seeded_bytes(&ctx)?.len(),
        "galois_key_1step_bytes": gk1.to_bytes(&ctx)?.len(),
        "galois_key_1step_seeded_bytes": gk1.to_seeded_bytes(&ctx)?.len(),
        "secret_key_bytes": sk.to_bytes(&ctx)?.len(),
        "compact": compact_sizes,
    });
    time("keygen_relin", keygen_policy, &mut || drop(keygen.relin_key(&sk).unwrap()));
    time("keygen_galois_1step", keygen_policy, &mut || {
        drop(keygen.galois_keys(&sk, &[1], Conjugation::Exclude).unwrap())
    });

    let meta = json!({
        "q_bits": bits(params.q_primes()),
        "p_bits": bits(params.p_primes()),
        "dnum": params.dnum(),
        "log_qp": params.log_qp_bits(),
        "max_log_qp_128": spencnn_ckks::params::max_log_qp_128(params.log_n()),
        "data_limbs_at_top": params.q_primes().len(),
        "slots": slots,
        "max_err_mult": err_mult,
        "max_err_rot": err_rot,
        "max_err_hoisted_rot": err_hoisted,
        "ring_degree": n,
        "sizes": sizes,
    });
    Ok((r, meta))
}

fn main() {
    let mut policy = TimingPolicy::full();
    let mut sizes = vec![8192usize, 16384];
    let mut sizes_given = false;
    let mut poly = false;
    let (mut bootstrap, mut linear_transform, mut threads, mut runs) = (false, false, 1usize, 3usize);
    let mut key_storage = KeyStorage::Expanded;
    let mut secret = bootstrap::BootstrapSecret::UniformTernary;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => policy = TimingPolicy::quick(),
            "--poly" => poly = true,
            "--bootstrap" => bootstrap = true,
            "--linear-transform" => linear_transform = true,
            "--json" => {}
            "--threads" | "--runs" => {
                let Some(value) = args.next().and_then(|v| v.parse::<usize>().ok()).filter(|&v| v > 0) else {
                    eprintln!("{arg} needs a positive integer\n{USAGE}");
                    std::process::exit(2);
                };
                if arg == "--threads" { threads = value } else { runs = value }
            }
            "--key-storage" => {
                key_storage = match args.next().as_deref() {
                    Some("expanded") => KeyStorage::Expanded,
                    Some("compact") => KeyStorage::Compact,
                    _ => {
                        eprintln!("--key-storage needs expanded or compact\n{USAGE}");
                        std::process::exit(2);
                    }
                };
            }
            "--secret" => {
                secret = match args.next().as_deref() {
                    Some("uniform-ternary") => bootstrap::BootstrapSecret::UniformTernary,
                    Some("sparse-encapsulated") => bootstrap::BootstrapSecret::SparseEncapsulated,
                    _ => {
                        eprintln!("--secret needs uniform-ternary or sparse-encapsulated\n{USAGE}");
                        std::process::exit(2);
                    }
                };
            }
            "--n" => {
                let list = args.next().unwrap_or_default();
                sizes = list.split(',').filter_map(|s| s.trim().parse().ok()).collect();
                sizes_given = true;
            }
            "-h" | "--help" => {
                println!("{USAGE}");
                return;
            }
            other => {
                eprintln!("unknown argument {other:?}\n{USAGE}");
                std::process::exit(2);
            }
        }
    }
    if poly {
        run_polynomial_rows(if sizes_given { &sizes } else { &[16384, 65536] }, policy);
        return;
    }
    if bootstrap || linear_transform {
        // Bootstrapping and linear transforms run their independent parts on the rayon pool.
        if let Err(e) = rayon::ThreadPoolBuilder::new().num_threads(threads).build_global() {
            eprintln!("thread pool: {e}");
            std::process::exit(1);
        }
        let quick = policy.min_iters < TimingPolicy::full().min_iters;
        let result = if bootstrap {
            run_bootstrap_rows(quick, secret, runs, threads, key_storage)
        } else {
            linear_transform::run_rows(quick, policy.with_min_iters(3), threads)
                .map(|rows| json!({ "linear_transform": rows }))
                .map_err(|e| e.to_string())
        };
        match result {
            Ok(value) => {
                let _ = writeln!(
                    std::io::stdout(),
                    "{}",
                    serde_json::to_string_pretty(&value).expect("JSON values serialize")
                );
            }
            Err(e) => {
                eprintln!("{e}");
                std::process::exit(1);
            }
        }
        return;
    }
    let mut result = Map::new();
    let mut metas = Map::new();
    for n in sizes {
        let Some(params) = spencnn_benches::chains::params_for(n) else {
            eprintln!("no benchmark configuration for N={n} (8192, 16384 or 65536)");
            std::process::exit(2);
        };
        match params.map_err(Into::into).and_then(|params| run(params, policy)) {
            Ok((ops, meta)) => {
                result.insert(format!("N={n}"), Value::Object(ops));
                metas.insert(format!("N={n}"), meta);
            }
            Err(e) => {
                eprintln!("N={n}: {e}");
                std::process::exit(1);
            }
        }
    }
    result.insert(
        "meta".to_owned(),
        json!({
            "library": format!("spencnn-ckks {}", env!("CARGO_PKG_VERSION")),
            "unit": "median microseconds per call",
            "scale": "2^40",
            "threads": 1,
            "ntt_isa": spencnn_ntt::Isa::detect().name(),
            "quick": policy.min_iters < TimingPolicy::full().min_iters,
            "notes": "same Q chains and scale as benches/peers/seal_ops.py; P and dnum are ours (params.*.p_bits, dnum); \
                      rotate_8steps_hoisted_total = hoist once + 8 rotations (steps 1..8), as openfhe_ops.py; \
                      *_compact = the same with compact keys (uniform half expanded from its seed during key switching)",
            "params": metas,
        }),
    );
    let text = serde_json::to_string_pretty(&Value::Object(result)).expect("JSON values serialize");
    // A closed pipe (e.g. `| head`) is not an error worth a panic.
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// `--poly`: the polynomial rows for each size, as one JSON object.
fn run_polynomial_rows(sizes: &[usize], policy: TimingPolicy) {
    let configs = polynomial::configs(sizes).unwrap_or_else(|e| {
        eprintln!("--poly: {e} (sizes 16384 and 65536)");
        std::process::exit(2);
    });
    let mut rows = Map::new();
    for config in &configs {
        match polynomial::run(config, policy.with_min_iters(3)) {
            Ok(value) => drop(rows.insert(format!("N={}", config.n), value)),
            Err(e) => {
                eprintln!("N={}: {e}", config.n);
                std::process::exit(1);
            }
        }
    }
    let result = json!({
        "polynomial": rows,
        "meta": {
            "library": format!("spencnn-ckks {}", env!("CARGO_PKG_VERSION")),
            "threads": 1,
            "ntt_isa": spencnn_ntt::Isa::detect().name(),
            "quick": policy.min_iters < TimingPolicy::full().min_iters,
            "interval": [-1.0, 1.0],
            "coefficients": "c_i = ±1/(i+1), signs + + − − …",
            "inputs": "all slots uniform in [-1, 1], fresh public-key encryption at the top level, scale 2^40",
        },
    });
    let text = serde_json::to_string_pretty(&result).expect("JSON values serialize");
    let _ = writeln!(std::io::stdout(), "{text}");
}

/// `--bootstrap`: the preset of `secret` (or, with `--quick`, a small insecure set)
/// bootstrapped `runs` times, with the bootstrapping keys held as `key_storage` says.
fn run_bootstrap_rows(
    quick: bool,
    secret: bootstrap::BootstrapSecret,
    runs: usize,
    threads: usize,
    key_storage: KeyStorage,
) -> Result<Value, String> {
    let setup =
        if quick { bootstrap::BootstrapSetup::quick(secret) } else { bootstrap::BootstrapSetup::preset(secret) }
            .map_err(|e| e.to_string())?;
    let row = bootstrap::run(&setup, runs, threads, key_storage).map_err(|e| e.to_string())?;
    Ok(json!({ "bootstrap": row }))
}
