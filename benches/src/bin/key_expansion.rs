//! `key-expansion`: what compact keys and large key sets cost, printed as one JSON object.
//!
//! ```text
//! cargo run --release -p spencnn-benches --bin key-expansion [-- --quick] [--n 16384,65536] [--keys 8]
//! ```
//!
//! * `keystream_gbps`: ChaCha20 keystream per core, ours on each instruction set of this CPU
//!   against `rand_chacha` (ChaCha20, and ChaCha12/ChaCha8 for the cost of rounds), measured
//!   alternately in the same run (median of the rounds);
//! * `sampler_gbps`: uniform residues (8 bytes each) modulo a 34-bit and a 60-bit prime,
//!   rejection sampling included;
//! * per ring degree (`ckks-ops`' chains): one key switch split into the inner product with
//!   the expanded key, the same with the compact key, and the expansion alone, and rotations
//!   and relinearization with either key: each pair timed alternately in every round, the
//!   fastest and the median round reported (robust to a machine shared with other jobs);
//!   the memory of one top-level Galois key held expanded and compact, the calibrated
//!   key-generation cost, and a set of `--keys` top-level
//!   Galois keys generated on 1 and 2 threads (the same keys: generation is deterministic in
//!   the thread count) against the estimate made before.

use std::sync::Arc;
use std::time::Instant;

use rand_core::{RngCore, SeedableRng};
use serde_json::{Map, Value, json};
use spencnn_ckks::rlwe::{
    Decomposition, GaloisKeySet, KeyGenCost, KeyStorage, galois_element_for_step, key_switch_extended,
};
use spencnn_ckks::{Conjugation, Context, Encoder, Encryptor, Evaluator, KeyGenerator};
use spencnn_ntt::Isa;
use spencnn_ntt::uniform::{UniformSampler, keystream_batch_with_isa};

const USAGE: &str = "usage: key-expansion [--quick] [--n 16384,65536] [--keys 8]";

/// Bytes per timed call of the throughput measurements (L2-sized: the compute is measured,
/// not the memory).
const CHUNK_BYTES: usize = 256 << 10;

/// A named generator filling a buffer of 64-bit words.
type Contender = (String, Box<dyn FnMut(&mut [u64])>);

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// GB/s of each contender, timed alternately over `rounds` rounds of `CHUNK_BYTES`.
fn throughput(rounds: usize, contenders: &mut [Contender]) -> Map<String, Value> {
    let mut buffer = vec![0u64; CHUNK_BYTES / 8];
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); contenders.len()];
    for round in 0..rounds + 1 {
        for (i, (_, fill)) in contenders.iter_mut().enumerate() {
            let start = Instant::now();
            fill(&mut buffer);
            // The first round warms up.
            if round > 0 {
                times[i].push(start.elapsed().as_secs_f64());
            }
        }
    }
    contenders
        .iter()
        .zip(times)
        .map(|((name, _), t)| (name.clone(), json!((CHUNK_BYTES as f64 / median(t) / 1e9 * 100.0).round() / 100.0)))
        .collect()
}

fn tiers() -> Vec<Isa> {
    Isa::ALL.into_iter().filter(|isa| isa.is_available()).collect()
}

fn keystream(rounds: usize) -> Map<String, Value> {
    let seed = [7u8; 32];
    let mut contenders: Vec<Contender> = Vec::new();
    for isa in tiers() {
        let mut counter = 0u64;
        contenders.push((
            format!("ours_{}", isa.name()),
            Box::new(move |out: &mut [u64]| {
                for chunk in out.chunks_exact_mut(128) {
                    chunk.copy_from_slice(&keystream_batch_with_isa(&seed, 1, counter, isa).unwrap());
                    counter += 16;
                }
            }),
        ));
    }
    let mut chacha20 = rand_chacha::ChaCha20Rng::from_seed(seed);
    let mut chacha12 = rand_chacha::ChaCha12Rng::from_seed(seed);
    let mut chacha8 = rand_chacha::ChaCha8Rng::from_seed(seed);
    let fill = |rng: &mut dyn RngCore, out: &mut [u64]| {
        for word in out {
            *word = rng.next_u64();
        }
    };
    contenders.push(("rand_chacha20".into(), Box::new(move |out: &mut [u64]| fill(&mut chacha20, out))));
    contenders.push(("rand_chacha12".into(), Box::new(move |out: &mut [u64]| fill(&mut chacha12, out))));
    contenders.push(("rand_chacha8".into(), Box::new(move |out: &mut [u64]| fill(&mut chacha8, out))));
    throughput(rounds, &mut contenders)
}

fn sampler(rounds: usize, q: u64) -> Map<String, Value> {
    let mut contenders: Vec<Contender> = Vec::new();
    for isa in tiers() {
        let mut sampler = UniformSampler::with_isa(&[9; 32], 2, q, isa).unwrap();
        contenders.push((format!("ours_{}", isa.name()), Box::new(move |out: &mut [u64]| sampler.fill(out))));
    }
    throughput(rounds, &mut contenders)
}

/// CPU seconds (user + system) of this process so far, from `/proc/self/stat` (Linux; `None`
/// elsewhere): on a machine shared with other jobs, the work done, whatever share of the cores
/// the process gets.
fn process_cpu_seconds() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let fields: Vec<&str> = stat.rsplit(')').next()?.split_whitespace().collect();
    let ticks = |i: usize| fields.get(i).and_then(|f| f.parse::<f64>().ok());
    // utime and stime, in clock ticks of 1/100 s.
    Some((ticks(11)? + ticks(12)?) / 100.0)
}

/// A named operation timed in every round.
type Operation<'a> = (&'static str, Box<dyn FnMut() + 'a>);

/// The fastest and the median of each operation (ms), the operations alternating in every
/// round (after one warm-up round).
fn alternated(rounds: usize, operations: &mut [Operation<'_>]) -> Map<String, Value> {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); operations.len()];
    for round in 0..rounds + 1 {
        for (i, (_, operation)) in operations.iter_mut().enumerate() {
            let start = Instant::now();
            operation();
            if round > 0 {
                times[i].push(start.elapsed().as_secs_f64() * 1e3);
            }
        }
    }
    operations
        .iter()
        .zip(times)
        .map(|((name, _), t)| {
            let fastest = t.iter().copied().fold(f64::INFINITY, f64::min);
            ((*name).to_owned(), json!({ "fastest_ms": fastest, "median_ms": median(t) }))
        })
        .collect()
}

/// Key switching with expanded and compact keys at the top level, alternated.
fn compact_against_expanded(ctx: &Arc<Context>, rounds: usize) -> Result<Value, Box<dyn std::error::Error>> {
    let params = ctx.params();
    let mut keygen = KeyGenerator::new(ctx);
    let sk = keygen.secret_key();
    let galois = keygen.galois_keys(&sk, &[1, 2], Conjugation::Exclude)?;
    let rlk = keygen.relin_key(&sk)?;
    let compact = galois.clone().with_storage(ctx, KeyStorage::Compact)?;
    let compact_rlk = rlk.clone().with_storage(ctx, KeyStorage::Compact)?;
    let (slots, top) = (params.max_slots(), params.max_level());
    let pt = Encoder::new(ctx).encode_real(&vec![0.25; slots], slots, top, params.default_scale())?;
    let ct = Encryptor::new(ctx).encrypt_symmetric(&pt, &sk)?;
    let eval = Evaluator::new(ctx);
    let hoisted = eval.hoist(&ct)?;
    let squared = eval.square(&ct)?;
    let decomposition = Decomposition::new(ctx, &ct.polys()[1])?;
    let element = galois_element_for_step(1, params.n());
    let key = galois.get(element).ok_or("missing key")?.switching_key();
    let compact_key = compact.get(element).ok_or("missing key")?.switching_key();
    let mut operations: Vec<Operation<'_>> = vec![
        ("inner_product_expanded", Box::new(|| drop(key_switch_extended(ctx, &decomposition, key).unwrap()))),
        ("inner_product_compact", Box::new(|| drop(key_switch_extended(ctx, &decomposition, compact_key).unwrap()))),
        (
            "expansion_alone",
            Box::new(|| (0..compact_key.b_parts().len()).for_each(|j| drop(compact_key.uniform_part(ctx, j)))),
        ),
        ("rotate_expanded", Box::new(|| drop(eval.rotate(&ct, 1, &galois).unwrap()))),
        ("rotate_compact", Box::new(|| drop(eval.rotate(&ct, 1, &compact).unwrap()))),
        ("hoisted_rotation_expanded", Box::new(|| drop(eval.rotate_hoisted(&hoisted, 2, &galois).unwrap()))),
        ("hoisted_rotation_compact", Box::new(|| drop(eval.rotate_hoisted(&hoisted, 2, &compact).unwrap()))),
        ("relinearize_expanded", Box::new(|| drop(eval.relinearize(&squared, &rlk).unwrap()))),
        ("relinearize_compact", Box::new(|| drop(eval.relinearize(&squared, &compact_rlk).unwrap()))),
    ];
    Ok(Value::Object(alternated(rounds, &mut operations)))
}

/// Key memory and key-set generation for one parameter set.
fn key_sets(n: usize, keys: usize, rounds: usize) -> Result<Value, Box<dyn std::error::Error>> {
    let params = spencnn_benches::chains::params_for(n).ok_or("no parameters for this N")??;
    let ctx: Arc<Context> = Context::new(params.clone())?;
    let cost = KeyGenCost::calibrate(&ctx)?;
    let steps: Vec<i64> = (1..=keys as i64).collect();
    let set = GaloisKeySet::for_steps(&params, &steps, Conjugation::Exclude);
    let mut keygen = KeyGenerator::new(&ctx);
    let sk = keygen.secret_key();
    let mut timings = Map::new();
    let mut memory = json!(null);
    // Three rounds of 1 and 2 threads alternately; the fastest of each counts.
    let (mut fastest, mut cpu) = ([f64::INFINITY; 2], [f64::INFINITY; 2]);
    for _ in 0..3 {
        for (slot, threads) in [1usize, 2].into_iter().enumerate() {
            let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build()?;
            let (mut expanded_bytes, mut compact_bytes) = (0, 0);
            let (start, cpu_start) = (Instant::now(), process_cpu_seconds());
            pool.install(|| {
                keygen.galois_keys_streamed(&sk, &set, |key, _| {
                    // Held as a server would: each key compacted as it arrives.
                    expanded_bytes += key.memory_bytes();
                    compact_bytes += key.with_storage(&ctx, KeyStorage::Compact)?.memory_bytes();
                    Ok::<_, spencnn_ckks::CkksError>(())
                })
            })?;
            fastest[slot] = fastest[slot].min(start.elapsed().as_secs_f64());
            if let (Some(before), Some(after)) = (cpu_start, process_cpu_seconds()) {
                cpu[slot] = cpu[slot].min(after - before);
            }
            let estimate = set.estimate(&params, None, 1);
            memory = json!({
                "keys": set.len(),
                "expanded_bytes": expanded_bytes,
                "compact_bytes": compact_bytes,
                "estimated_expanded_bytes": estimate.expanded_bytes,
                "estimated_compact_bytes": estimate.compact_bytes,
            });
        }
    }
    for (slot, threads) in [1usize, 2].into_iter().enumerate() {
        let estimate = set.estimate(&params, Some(&cost), threads);
        timings.insert(
            format!("threads={threads}"),
            json!({
                "fastest_seconds": fastest[slot],
                "least_cpu_seconds": cpu[slot].is_finite().then_some(cpu[slot]),
                "estimated_seconds": estimate.seconds,
            }),
        );
    }
    Ok(json!({
        "key_switch_top_level": compact_against_expanded(&ctx, rounds)?,
        "keygen_seconds_per_key": cost.seconds_per_key,
        "keygen_seconds_per_limb": cost.seconds_per_limb,
        "galois_key_set_top_level": memory,
        "keygen": timings,
    }))
}

fn main() {
    let (mut rounds, mut sizes, mut keys) = (15, vec![16384usize], 8usize);
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => rounds = 3,
            "--n" => sizes = args.next().unwrap_or_default().split(',').filter_map(|s| s.trim().parse().ok()).collect(),
            "--keys" => keys = args.next().and_then(|k| k.parse().ok()).unwrap_or(keys),
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
    let mut result = Map::new();
    result.insert("keystream_gbps".into(), Value::Object(keystream(rounds)));
    let q34 = spencnn_ntt::primes::generate_ntt_primes(34, 1 << 16, 1).expect("a 34-bit prime")[0];
    let q60 = spencnn_ntt::primes::generate_ntt_primes(60, 1 << 16, 1).expect("a 60-bit prime")[0];
    result
        .insert("sampler_gbps".into(), json!({ "q_34_bits": sampler(rounds, q34), "q_60_bits": sampler(rounds, q60) }));
    for n in sizes {
        match key_sets(n, keys, rounds) {
            Ok(entry) => drop(result.insert(format!("N={n}"), entry)),
            Err(e) => {
                eprintln!("N={n}: {e}");
                std::process::exit(1);
            }
        }
    }
    result.insert(
        "meta".into(),
        json!({ "unit": "GB/s = 1e9 bytes per second of output, single thread", "rounds": rounds }),
    );
    println!("{}", serde_json::to_string_pretty(&Value::Object(result)).expect("JSON values serialize"));
}
