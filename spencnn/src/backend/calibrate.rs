//! Calibration: times the primitives the cost model counts, on this machine, as a network
//! layer runs them.
//!
//! Each [`Primitive`] is timed at every requested level of one parameter set, once per thread
//! count, and fitted as `intercept + per_unit · work` ([`LinearFit`]). What makes the times
//! in-network rather than microbenchmark times:
//! - key-switch inner products cycle through enough distinct Galois keys that the keys come
//!   from memory, not cache (a network uses dozens of keys of several MiB each);
//! - fused multiply-accumulate terms stream distinct extended plaintexts (more than
//!   [`CalibrationOptions::stream_bytes`], far beyond the last-level cache) against a few
//!   rotated inputs shared by several sums, cache-blocked exactly as the backend batches a
//!   layer's fused sums;
//! - plaintext multiplies at `Q_ℓ` stream distinct plaintexts too (HEAR's products, and ours
//!   on inputs that are not rotated);
//! - mod-downs consume distinct extended values.
//!
//! With `T > 1` threads each time is a throughput: `T` (or more) independent operations run at
//! once on a `T`-thread pool and the wall time is divided by their number.
//!
//! For a shared machine: every primitive is timed on each thread count back to back (so the
//! entries see the same load), and every window records its on-CPU time beside its wall time
//! (kernel scheduler statistics); each entry keeps the cores its windows got
//! ([`ProfileEntry::cores`]).

use std::sync::Arc;

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use rayon::prelude::*;
use spencnn_ckks::{
    Ciphertext, CkksError, Context, Encoder, Encryptor, Evaluator, ExtendedCiphertext, KeyGenerator, Parameters,
    Plaintext,
};

use super::cpu_clock::{self, Stopwatch, Timed};
use crate::plan::profile::{LinearFit, Primitive, PrimitiveProfile, ProfileEntry, Sample};

/// What to calibrate.
#[derive(Clone, Debug, PartialEq)]
pub struct CalibrationOptions {
    /// The parameter set (its ring degree, chain, special primes and digits).
    pub params: Parameters,
    /// Levels to time (each in `1..=max_level`).
    pub levels: Vec<usize>,
    /// Thread counts, one profile entry each.
    pub threads: Vec<usize>,
    /// Timed repetitions per measurement (the median is kept).
    pub repeat: usize,
    /// Bytes of distinct extended plaintexts streamed by the fused-sum measurement, and at
    /// least this many bytes of Galois keys cycled by the inner-product measurement (both far
    /// beyond the last-level cache).
    pub stream_bytes: usize,
    /// Minimum wall time of one timed repetition (seconds); short operations are batched.
    pub min_seconds: f64,
}

impl CalibrationOptions {
    /// Every level `1..=max_level` of `params` (at most `max_levels`, evenly spread, the top
    /// one included), 1 and 2 threads, 5 repetitions, 128 MiB streamed, 20 ms per repetition.
    pub fn new(params: Parameters, max_levels: usize) -> Self {
        let top = params.max_level();
        let count = max_levels.clamp(1, top.max(1));
        let mut levels: Vec<usize> = (0..count).map(|i| top - i * top.saturating_sub(1) / count.max(1)).collect();
        levels.retain(|&l| l >= 1);
        levels.sort_unstable();
        levels.dedup();
        Self { params, levels, threads: vec![1, 2], repeat: 5, stream_bytes: 128 << 20, min_seconds: 0.02 }
    }
}

/// Errors of calibration.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum CalibrationError {
    /// A CKKS operation failed.
    #[error(transparent)]
    Ckks(#[from] CkksError),
    /// A level outside `1..=max_level`, no level or no thread count.
    #[error("invalid calibration request: {reason}")]
    Invalid {
        /// What is wrong.
        reason: String,
    },
    /// The worker pool could not be started.
    #[error("cannot start {threads} worker threads: {reason}")]
    Threads {
        /// Threads asked for.
        threads: usize,
        /// Why not.
        reason: String,
    },
}

/// The CKKS objects every measurement reads.
struct Fixture {
    ctx: Arc<Context>,
    evaluator: Evaluator,
    encoder: Encoder,
    keys: spencnn_ckks::GaloisKeys,
    steps: Vec<i64>,
    relin: spencnn_ckks::RelinKey,
    top: Ciphertext,
    values: Vec<f64>,
}

impl Fixture {
    fn new(options: &CalibrationOptions) -> Result<Self, CkksError> {
        let params = &options.params;
        let ctx = Context::new(params.clone())?;
        let top_level = params.max_level();
        let mut keygen = KeyGenerator::from_seed(&ctx, [7; 32]);
        let secret = keygen.secret_key();
        let limb = params.n() * 8;
        let key_bytes = 2 * params.digits_at_level(top_level) * (top_level + 1 + params.p_primes().len()) * limb;
        let key_count = options.stream_bytes.div_ceil(key_bytes.max(1)).clamp(2, 16);
        let steps: Vec<i64> = (1..=key_count as i64).collect();
        let levels: Vec<(i64, usize)> = steps.iter().map(|&s| (s, top_level)).collect();
        let keys = keygen.galois_keys_at_levels(&secret, &levels)?;
        let relin = keygen.relin_key_at_level(&secret, top_level)?;
        let slots = params.max_slots();
        let mut rng = ChaCha20Rng::seed_from_u64(11);
        let values: Vec<f64> = (0..slots).map(|_| (rng.next_u32() as f64 / u32::MAX as f64) - 0.5).collect();
        let encoder = Encoder::new(&ctx);
        let pt = encoder.encode_real(&values, slots, top_level, params.default_scale())?;
        let top = Encryptor::from_seed(&ctx, [9; 32]).encrypt_symmetric(&pt, &secret)?;
        Ok(Self { evaluator: Evaluator::new(&ctx), encoder, keys, steps, relin, top, values, ctx })
    }

    fn scale(&self) -> f64 {
        self.ctx.params().default_scale()
    }
}

/// The median of `repeat` windows `window()`.
fn median_of(
    options: &CalibrationOptions,
    mut window: impl FnMut() -> Result<Timed, CkksError>,
) -> Result<Timed, CkksError> {
    let windows = (0..options.repeat.max(1)).map(|_| window()).collect::<Result<Vec<_>, _>>()?;
    Ok(cpu_clock::median(&windows).expect("at least one window"))
}

/// Median of `repeat` timings of `count` operations `op(i)` run on the current pool; seconds
/// per operation. `count` adapts so one repetition lasts at least `min_seconds`.
fn time_ops<R: Send>(options: &CalibrationOptions, op: impl Fn(usize) -> R + Sync) -> Timed {
    let threads = rayon::current_num_threads().max(1);
    let run = |count: usize| {
        let watch = Stopwatch::start();
        (0..count).into_par_iter().for_each(|i| drop(op(i)));
        watch.stop(count)
    };
    let first = run(threads).wall;
    let count = ((options.min_seconds / first.max(1e-9)).ceil() as usize).clamp(1, 256).div_ceil(threads) * threads;
    median_of(options, || Ok(run(count))).expect("infallible windows")
}

/// The result of an operation on operands the fixture made consistent.
fn expect<T>(result: Result<T, CkksError>) -> T {
    result.expect("calibration operands are consistent")
}

/// The operands of one level's measurements (made once, read by every thread count).
struct LevelOperands {
    level: usize,
    ct: Ciphertext,
    hoisted: spencnn_ckks::evaluator::HoistedCiphertext,
    ext: ExtendedCiphertext,
}

impl LevelOperands {
    fn new(f: &Fixture, level: usize) -> Result<Self, CkksError> {
        let e = &f.evaluator;
        let ct = e.drop_to_level(&f.top, level)?;
        let hoisted = e.hoist(&ct)?;
        let ext = e.rotate_hoisted_extended(&hoisted, f.steps[0], &f.keys)?;
        Ok(Self { level, ct, hoisted, ext })
    }
}

/// Seconds per operation of `p` at the operands' level, on the current pool.
fn time_primitive(
    f: &Fixture,
    options: &CalibrationOptions,
    ops: &LevelOperands,
    p: Primitive,
) -> Result<Timed, CkksError> {
    let e = &f.evaluator;
    let (ct, level) = (&ops.ct, ops.level);
    let slots = f.ctx.params().max_slots();
    Ok(match p {
        Primitive::Decompose => time_ops(options, |_| expect(e.hoist(ct))),
        Primitive::InnerProduct => {
            time_ops(options, |i| expect(e.rotate_hoisted_extended(&ops.hoisted, f.steps[i % f.steps.len()], &f.keys)))
        }
        Primitive::Lift => time_ops(options, |_| expect(e.lift_extended(ct))),
        Primitive::ModDown => time_mod_down(e, options, &ops.ext),
        Primitive::MulAcc => time_mul_acc(f, options, &ops.hoisted, level)?,
        Primitive::MulPlain => time_mul_plain(f, options, ct, level)?,
        Primitive::Add => time_ops(options, |_| expect(e.add(ct, ct))),
        Primitive::Rescale => time_ops(options, |_| expect(e.rescale(ct))),
        Primitive::SquareRelin => time_ops(options, |_| expect(e.square_relin(ct, &f.relin))),
        Primitive::Encode => time_ops(options, |_| expect(f.encoder.encode_real(&f.values, slots, level, f.scale()))),
        Primitive::EncodeExtended => {
            time_ops(options, |_| expect(f.encoder.encode_real_extended(&f.values, slots, level, f.scale())))
        }
    })
}

/// Times one level on every pool; returns, per pool, seconds per operation in
/// [`Primitive::ALL`] order. Each primitive is timed on every pool back to back, so the thread
/// counts of a profile are measured under the same load of a shared machine (their ratio is
/// what the planner's choice between thread counts, and the 1-thread prediction, rest on).
fn time_level(
    f: &Fixture,
    options: &CalibrationOptions,
    level: usize,
    pools: &[rayon::ThreadPool],
) -> Result<Vec<[Timed; Primitive::ALL.len()]>, CkksError> {
    let ops = LevelOperands::new(f, level)?;
    let mut out = vec![[Timed { wall: 0.0, cpu: None }; Primitive::ALL.len()]; pools.len()];
    for p in Primitive::ALL {
        for (times, pool) in out.iter_mut().zip(pools) {
            times[p.index()] = pool.install(|| time_primitive(f, options, &ops, p))?;
        }
    }
    Ok(out)
}

/// Mod-downs of distinct extended values (copied before the clock starts).
fn time_mod_down(e: &Evaluator, options: &CalibrationOptions, ext: &ExtendedCiphertext) -> Timed {
    let threads = rayon::current_num_threads().max(1);
    let count = 4 * threads;
    median_of(options, || {
        let copies: Vec<ExtendedCiphertext> = (0..count).map(|_| ext.clone()).collect();
        let watch = Stopwatch::start();
        copies.into_par_iter().for_each(|x| drop(e.mod_down_extended(x).expect("consistent operands")));
        Ok(watch.stop(count))
    })
    .expect("infallible windows")
}

/// Plaintext multiplies at `Q_ℓ` as a layer runs them: every product with its own plaintext
/// (together more than `stream_bytes`, so they come from memory, not cache). Seconds per product.
fn time_mul_plain(
    f: &Fixture,
    options: &CalibrationOptions,
    ct: &Ciphertext,
    level: usize,
) -> Result<Timed, CkksError> {
    let e = &f.evaluator;
    let params = f.ctx.params();
    let slots = params.max_slots();
    let pt_bytes = (level + 1) * params.n() * 8;
    let count = options.stream_bytes.div_ceil(pt_bytes).max(2);
    let plaintexts: Vec<Plaintext> = (0..count)
        .into_par_iter()
        .map(|_| f.encoder.encode_real(&f.values, slots, level, f.scale()))
        .collect::<Result<_, _>>()?;
    median_of(options, || {
        let watch = Stopwatch::start();
        plaintexts.par_iter().try_for_each(|pt| e.multiply_plain(ct, pt).map(drop))?;
        Ok(watch.stop(plaintexts.len()))
    })
}

/// Rotated inputs of a simulated layer (each output sum reads every one).
const MUL_ACC_INPUTS: usize = 8;

/// Fused multiply-accumulate terms as a layer runs them: [`MUL_ACC_INPUTS`] rotated inputs,
/// sums of one term per input, every term with its own extended plaintext (together more than
/// `stream_bytes`), the sums split over the threads and cache-blocked together as the backend
/// batches a wave. Seconds per term (the mod-downs excluded).
fn time_mul_acc(
    f: &Fixture,
    options: &CalibrationOptions,
    hoisted: &spencnn_ckks::evaluator::HoistedCiphertext,
    level: usize,
) -> Result<Timed, CkksError> {
    let e = &f.evaluator;
    let slots = f.ctx.params().max_slots();
    let params = f.ctx.params();
    let pt_bytes = (level + 1 + params.p_primes().len()) * params.n() * 8;
    let sums = options.stream_bytes.div_ceil(pt_bytes * MUL_ACC_INPUTS).max(2);
    let inputs: Vec<ExtendedCiphertext> = (0..MUL_ACC_INPUTS)
        .map(|i| e.rotate_hoisted_extended(hoisted, f.steps[i % f.steps.len()], &f.keys))
        .collect::<Result<_, _>>()?;
    let plaintexts: Vec<Plaintext> = (0..sums * MUL_ACC_INPUTS)
        .into_par_iter()
        .map(|_| f.encoder.encode_real_extended(&f.values, slots, level, f.scale()))
        .collect::<Result<_, _>>()?;
    let terms: Vec<Vec<(&ExtendedCiphertext, &Plaintext)>> =
        plaintexts.chunks(MUL_ACC_INPUTS).map(|pts| inputs.iter().zip(pts).collect()).collect();
    let threads = rayon::current_num_threads().max(1);
    let per_group = terms.len().div_ceil(threads).max(1);
    median_of(options, || {
        let watch = Stopwatch::start();
        terms.par_chunks(per_group).try_for_each(|chunk| {
            let views: Vec<&[(&ExtendedCiphertext, &Plaintext)]> = chunk.iter().map(Vec::as_slice).collect();
            e.multiply_plain_sums_extended(&views).map(drop)
        })?;
        Ok(watch.stop(plaintexts.len()))
    })
}

/// Calibrates every primitive at `options.levels` for each of `options.threads` (every
/// primitive on every thread count back to back, so the entries see the same load);
/// `progress` is called before each level.
///
/// # Errors
/// [`CalibrationError::Invalid`] for an empty or out-of-range request,
/// [`CalibrationError::Threads`], [`CalibrationError::Ckks`].
pub fn calibrate(
    options: &CalibrationOptions,
    mut progress: impl FnMut(usize),
) -> Result<Vec<ProfileEntry>, CalibrationError> {
    let top = options.params.max_level();
    if options.levels.is_empty() || options.levels.iter().any(|&l| l == 0 || l > top) {
        return Err(CalibrationError::Invalid { reason: format!("levels {:?} outside 1..={top}", options.levels) });
    }
    if options.threads.is_empty() || options.threads.contains(&0) {
        return Err(CalibrationError::Invalid { reason: "thread counts must be at least 1".into() });
    }
    let fixture = Fixture::new(options)?;
    let params = &options.params;
    let (special, alpha) = (params.p_primes().len(), params.primes_per_digit());
    let pools = options
        .threads
        .iter()
        .map(|&threads| {
            rayon::ThreadPoolBuilder::new()
                .num_threads(threads)
                .build()
                .map_err(|e| CalibrationError::Threads { threads, reason: e.to_string() })
        })
        .collect::<Result<Vec<_>, _>>()?;
    let mut per_level = Vec::new();
    for &level in &options.levels {
        progress(level);
        per_level.push((level, time_level(&fixture, options, level, &pools)?));
    }
    let mut entries = Vec::new();
    for (k, &threads) in options.threads.iter().enumerate() {
        let primitives = Primitive::ALL
            .iter()
            .map(|&p| {
                let samples: Vec<Sample> = per_level
                    .iter()
                    .map(|(level, t)| {
                        let timed = t[k][p.index()];
                        Sample { level: *level, seconds: timed.wall, cpu_seconds: timed.cpu }
                    })
                    .collect();
                let work = |s: &Sample| p.work(s.level, special, alpha);
                let points: Vec<(f64, f64)> = samples.iter().map(|s| (work(s), s.seconds)).collect();
                let cpu_points: Option<Vec<(f64, f64)>> =
                    samples.iter().map(|s| s.cpu_seconds.map(|c| (work(s), c))).collect();
                let cpu_fit = cpu_points.map(|points| LinearFit::fit(&points));
                PrimitiveProfile { primitive: p, fit: LinearFit::fit(&points), cpu_fit, samples }
            })
            .collect();
        let windows: Vec<(f64, Option<f64>)> =
            per_level.iter().flat_map(|(_, t)| t[k].iter().map(|timed| (timed.wall, timed.cpu))).collect();
        entries.push(ProfileEntry {
            log_n: params.n().trailing_zeros(),
            threads,
            special,
            primes_per_digit: alpha,
            cores: ProfileEntry::cores_from(&windows, threads),
            primitives,
        });
    }
    Ok(entries)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small insecure parameter set: `N = 2^10`, four levels, two special primes, dnum 3.
    fn small() -> Parameters {
        Parameters::builder()
            .log_n(10)
            .q_bits(&[50, 30, 30, 30, 30])
            .p_bits(&[50, 50])
            .log_scale(30.0)
            .dnum(3)
            .insecure_for_testing_only()
            .build()
            .expect("valid test parameters")
    }

    #[test]
    fn one_entry_per_thread_count_with_every_primitive_at_every_level() {
        let mut options = CalibrationOptions::new(small(), 2);
        options.repeat = 1;
        options.stream_bytes = 1 << 20;
        options.min_seconds = 0.0;
        let mut seen = Vec::new();
        let entries = calibrate(&options, |level| seen.push(level)).unwrap();
        assert_eq!(seen, options.levels);
        assert_eq!(entries.iter().map(|e| e.threads).collect::<Vec<_>>(), vec![1, 2]);
        for e in &entries {
            assert_eq!((e.log_n, e.special, e.primes_per_digit), (10, 2, options.params.primes_per_digit()));
            assert_eq!(e.primitives.iter().map(|p| p.primitive).collect::<Vec<_>>(), Primitive::ALL);
            for p in &e.primitives {
                let levels: Vec<usize> = p.samples.iter().map(|s| s.level).collect();
                assert_eq!(levels, options.levels, "{:?}", p.primitive);
                assert!(p.samples.iter().all(|s| s.seconds > 0.0 && s.seconds.is_finite()));
                // CPU times come with a CPU fit, and the entry with the cores it got.
                let with_cpu = p.samples.iter().all(|s| s.cpu_seconds.is_some());
                assert_eq!(with_cpu, p.cpu_fit.is_some(), "{:?}", p.primitive);
            }
            if let Some(cores) = e.cores {
                assert!(cores > 0.0 && cores <= e.threads as f64, "{cores}");
            }
        }
        // The profile the entries make is a valid one.
        let mut profile = crate::plan::CostProfile::new("test");
        entries.into_iter().for_each(|e| profile.insert(e));
        assert!(crate::plan::CostProfile::from_json(profile.to_json().as_bytes()).is_ok());
    }

    #[test]
    fn requests_outside_the_chain_are_refused() {
        let mut options = CalibrationOptions::new(small(), 2);
        options.levels = vec![0];
        assert!(matches!(calibrate(&options, |_| ()), Err(CalibrationError::Invalid { .. })));
        options.levels = vec![options.params.max_level() + 1];
        assert!(matches!(calibrate(&options, |_| ()), Err(CalibrationError::Invalid { .. })));
        let mut options = CalibrationOptions::new(small(), 2);
        options.threads = vec![1, 0];
        assert!(matches!(calibrate(&options, |_| ()), Err(CalibrationError::Invalid { .. })));
    }
}
