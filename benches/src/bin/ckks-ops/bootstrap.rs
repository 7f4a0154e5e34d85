//! `ckks-ops --bootstrap`: latency, precision, levels left and key memory of bootstrapping, in
//! the format of `benches/peers/openfhe_bootstrap.py` (OpenFHE's `EvalBootstrap` with matched
//! parameters), so that the two can be run side by side
//! (`benches/scripts/bootstrap-side-by-side.sh`).
//!
//! The preset [`BootstrappingPreset::N65536UniformTernary`] (or, with `--secret
//! sparse-encapsulated`, [`BootstrappingPreset::N65536SparseEncapsulated`]) at full slots
//! (`2^15`), on a rayon pool of `--threads` threads. Each run encrypts fresh uniform values in `[-1, 1]` at level 0
//! (the lowest; bootstrapping refreshes whatever level it gets) and times one `bootstrap` call;
//! precision is `−log2` of the worst (and of the mean) absolute error over all slots of all
//! runs. `peak_rss_bytes` is the process's peak resident set after the last run.

use std::sync::Arc;
use std::time::Instant;

use serde_json::{Value, json};
use spencnn_ckks::circuits::Hoisting;
use spencnn_ckks::circuits::bootstrapping::{
    Bootstrapper, BootstrappingConfig, BootstrappingPreset, EvalModConfig, SparseEncapsulation,
};
use spencnn_ckks::*;

use super::uniform_values;

/// The secret of the bootstrapping: the parameters' dense secret throughout, or sparse-secret
/// encapsulation around ModRaise.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum BootstrapSecret {
    /// Uniform ternary throughout.
    UniformTernary,
    /// Uniform ternary, ModRaise under an ephemeral secret of weight 32.
    SparseEncapsulated,
}

/// What to bootstrap.
pub struct BootstrapSetup {
    /// The parameters.
    pub params: Parameters,
    /// The circuit.
    pub config: BootstrappingConfig,
    /// The preset's name, or `quick` for the small smoke-test set.
    pub name: &'static str,
}

impl BootstrapSetup {
    /// The `N = 2^16` preset of `secret` at full slots.
    pub fn preset(secret: BootstrapSecret) -> Result<Self, CkksError> {
        let (preset, name) = match secret {
            BootstrapSecret::UniformTernary => (BootstrappingPreset::N65536UniformTernary, "N65536UniformTernary"),
            BootstrapSecret::SparseEncapsulated => {
                (BootstrappingPreset::N65536SparseEncapsulated, "N65536SparseEncapsulated")
            }
        };
        let params = preset.parameters()?;
        let config = preset.config(params.max_slots());
        Ok(Self { params, config, name })
    }

    /// A small insecure set (`N = 2^12`) for smoke tests of the benchmark itself: the shape of
    /// the preset of `secret`.
    pub fn quick(secret: BootstrapSecret) -> Result<Self, CkksError> {
        let encapsulated = secret == BootstrapSecret::SparseEncapsulated;
        let (log_scale, eval_mod_levels, eval_mod) = if encapsulated {
            (50, 8, EvalModConfig { interval_bound: 16, double_angles: 2, degree: 63 })
        } else {
            (52, 11, EvalModConfig { interval_bound: 128, double_angles: 3, degree: 159 })
        };
        let mut q = vec![60, log_scale, 42, 42];
        q.extend(std::iter::repeat_n(58, eval_mod_levels));
        q.extend([56, 56]);
        let params = Parameters::builder()
            .log_n(12)
            .q_bits(&q)
            .p_bits(&[60; 4])
            .log_scale(f64::from(log_scale))
            .insecure_for_testing_only()
            .build()?;
        let config = BootstrappingConfig {
            slots: params.max_slots(),
            coeffs_to_slots_levels: 2,
            slots_to_coeffs_levels: 2,
            eval_mod,
            coeffs_to_slots_hoisting: Hoisting::Double,
            slots_to_coeffs_hoisting: Hoisting::Single,
            encapsulation: encapsulated.then_some(SparseEncapsulation::H32),
        };
        Ok(Self { params, config, name: "quick (N = 2^12, insecure)" })
    }
}

/// The process's peak resident set (`VmHWM` of `/proc/self/status`) in bytes, or `None` where
/// that file does not exist (not Linux).
fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmHWM:"))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

fn secret_name(secret: SecretDistribution, config: &BootstrappingConfig) -> &'static str {
    match (secret, config.encapsulation) {
        (SecretDistribution::UniformTernary, None) => "uniform-ternary",
        (SecretDistribution::UniformTernary, Some(_)) => "sparse-encapsulated",
        _ => "fixed-hamming-weight",
    }
}

/// Sets up, generates the keys (held as `key_storage` says), bootstraps `runs` times and
/// reports.
pub fn run(
    setup: &BootstrapSetup,
    runs: usize,
    threads: usize,
    key_storage: KeyStorage,
) -> Result<Value, Box<dyn std::error::Error>> {
    let params = &setup.params;
    let slots = setup.config.slots;
    let started = Instant::now();
    let ctx: Arc<Context> = Context::new(params.clone())?;
    let bootstrapper = Bootstrapper::new(&ctx, setup.config)?;
    let setup_seconds = started.elapsed().as_secs_f64();
    let started = Instant::now();
    let mut keygen = KeyGenerator::new(&ctx).with_key_storage(key_storage);
    let sk = keygen.secret_key();
    let pk = keygen.public_key(&sk)?;
    let requirements = bootstrapper.key_requirements();
    let keys = requirements.generate(&mut keygen, &sk)?;
    let keygen_seconds = started.elapsed().as_secs_f64();
    let encoder = Encoder::new(&ctx);
    let mut encryptor = Encryptor::new(&ctx);
    let decryptor = Decryptor::new(&ctx);
    let (mut seconds, mut worst, mut mean_sum, mut levels_after) = (Vec::new(), 0.0f64, 0.0f64, 0);
    for run in 0..runs {
        let x = uniform_values(slots, 1000 + run as u64);
        let ct = encryptor.encrypt(&encoder.encode_real(&x, slots, 0, params.default_scale())?, &pk)?;
        let started = Instant::now();
        let out = bootstrapper.bootstrap(&ct, &keys)?;
        seconds.push(started.elapsed().as_secs_f64());
        levels_after = out.level();
        let y = encoder.decode_real(&decryptor.decrypt(&out, &sk)?)?;
        let errors: Vec<f64> = y.iter().zip(&x).map(|(a, b)| (a - b).abs()).collect();
        worst = errors.iter().copied().fold(worst, f64::max);
        mean_sum += errors.iter().sum::<f64>() / errors.len() as f64;
        eprintln!(
            "bootstrap run {}/{runs}: {:.2} s, worst error 2^{:.2}",
            run + 1,
            seconds[run],
            errors.iter().copied().fold(0.0, f64::max).log2()
        );
    }
    let peak_rss_bytes = peak_rss_bytes();
    let mut sorted = seconds.clone();
    sorted.sort_by(f64::total_cmp);
    let bits = |primes: &[u64]| primes.iter().map(|q| 64 - q.leading_zeros()).collect::<Vec<u32>>();
    Ok(json!({
        "library": format!("spencnn-ckks {}", env!("CARGO_PKG_VERSION")),
        "preset": setup.name,
        "log_n": params.log_n(),
        "slots": slots,
        "threads": threads,
        "secret": secret_name(params.secret_distribution(), &setup.config),
        "seconds_median": sorted[sorted.len() / 2],
        "seconds_all": seconds,
        "precision_bits_worst": -worst.log2(),
        "precision_bits_mean": -(mean_sum / runs as f64).log2(),
        "levels_after": levels_after,
        "key_bytes": keys.memory_bytes(),
        "key_storage": match key_storage {
            KeyStorage::Expanded => "expanded",
            KeyStorage::Compact => "compact",
        },
        "key_bytes_serialized": requirements.serialized_bytes(params, SerializedForm::Full),
        "key_bytes_seeded": requirements.serialized_bytes(params, SerializedForm::Seeded),
        "key_count": requirements.rotations.len() + 2 + if requirements.encapsulation.is_some() { 2 } else { 0 },
        "plaintext_bytes": bootstrapper.plaintext_bytes(),
        "peak_rss_bytes": peak_rss_bytes,
        "setup_seconds": setup_seconds,
        "keygen_seconds": keygen_seconds,
        "params": {
            "q_bits": bits(params.q_primes()),
            "p_bits": bits(params.p_primes()),
            "dnum": params.dnum(),
            "log_qp": params.log_qp_bits(),
            "max_log_qp_128": spencnn_ckks::params::max_log_qp_128(params.log_n()),
            "log_scale": params.log_scale(),
            "coeffs_to_slots_levels": setup.config.coeffs_to_slots_levels,
            "slots_to_coeffs_levels": setup.config.slots_to_coeffs_levels,
            "eval_mod": {
                "interval_bound": setup.config.eval_mod.interval_bound,
                "double_angles": setup.config.eval_mod.double_angles,
                "degree": setup.config.eval_mod.degree,
            },
            "encapsulation": setup.config.encapsulation.map(|e| json!({
                "hamming_weight": e.hamming_weight,
                "special_prime_bits": e.special_prime_bits,
                "log_qp_small": e.parameters(params).map(|p| p.log_qp_bits()).ok(),
            })),
        },
        "ntt_isa": spencnn_ntt::Isa::detect().name(),
    }))
}
