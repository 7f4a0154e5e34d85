//! Choosing CKKS parameters for a planned network: ring degree, modulus chain, scale, special
//! primes and key-switching digits, inside the 128-bit bound.
//!
//! The chain has one base prime `q_0` and one scaling prime per level of the schedule
//! (`depth + 1` Q primes). For every candidate special modulus (`k` primes of `p` bits) the
//! scale is the largest that fits the bound with `q_0 = min(scale + 20, 60)` bits (room for
//! decrypted values up to `2^19`, as [`ScaleModel::BASE_HEADROOM_BITS`]); the digits are as
//! wide as `P` allows (the builder's default rule). Among candidates whose scale reaches
//! `min_log_scale` and whose predicted precision reaches `target_precision_bits`, the planner's
//! cost model evaluated on the schedule picks the cheapest (ties: the larger scale).
//!
//! The precision of a candidate is predicted from the network itself: the schedule runs on the
//! slot simulator with and without simulated rounding noise ([`crate::backend::noise`]) on seeded
//! random inputs, which measures how many bits the network loses below its working scale; the
//! prediction is the candidate's scale minus that loss minus [`UNMODELLED_NOISE_BITS`]. When no
//! candidate reaches the target, the cheapest is chosen and marked as missing it.

use serde::Serialize;
use spencnn_ckks::params::{DEFAULT_DIGIT_EXCESS_BITS, max_log_qp_128};
use spencnn_ckks::{CkksError, Parameters};

use crate::backend::noise::NoiseModel;
use crate::backend::{BackendError, ExecError, run_simulated, run_simulated_noisy};
use crate::plan::{CostModel, ScaleModel, Schedule};
use crate::tensor::Tensor3;

/// Bits of `q_0` above the scale (capped at 60-bit primes).
const BASE_HEADROOM_BITS: u32 = ScaleModel::BASE_HEADROOM_BITS;
/// Largest prime size used for the chain.
const MAX_CHAIN_PRIME_BITS: u32 = 60;
/// Largest scale considered (precision beyond this is not needed for inference).
const MAX_LOG_SCALE: u32 = 50;

/// Bits by which measured CKKS errors exceed the simulated rounding noise: key-switching error (multiplied by
/// the weight plaintexts before the mod-down in hoisted sums), encoding and encryption error. Measured over
/// the bundled networks
/// ([`docs/inference.md`](https://github.com/spencnn/spencnn/blob/main/docs/inference.md)): 1.3 bits
/// (ResNet-20) to 6.4 (VGG-5), 2.5 (LeNet, random weights) and 3.5 (LeNet, trained).
pub const UNMODELLED_NOISE_BITS: f64 = 3.0;
/// Seeded random inputs of the precision probe (the worst is kept).
const PROBE_IMAGES: u64 = 2;
/// Most halvings of a probe image that leaves a ReLU interval.
const PROBE_HALVINGS: usize = 12;

/// Options of the parameter search.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct ParamOptions {
    /// Smallest acceptable scale, in bits.
    pub min_log_scale: u32,
    /// Bits of logit precision (`−log2` of the largest absolute error) the parameters should
    /// reach, as predicted by the probe; `None` = no target (the cheapest candidate).
    pub target_precision_bits: Option<f64>,
    /// Total `log2(Q·P)` budget; `None` = the 128-bit bound of the ring degree.
    pub budget_bits: Option<u32>,
    /// Allow parameters outside the 128-bit bound (tests only).
    pub insecure: bool,
    /// Worker threads the schedule will run on (the cost model's thread count).
    pub threads: usize,
}

impl ParamOptions {
    /// The cost model the search prices candidates with, at `2^log_n`.
    fn cost_model(&self, log_n: u32) -> CostModel {
        CostModel::for_ring(log_n).with_threads(self.threads)
    }
}

impl Default for ParamOptions {
    fn default() -> Self {
        Self { min_log_scale: 30, target_precision_bits: Some(16.0), budget_bits: None, insecure: false, threads: 1 }
    }
}

/// A chosen parameter set (bit sizes), printable before the primes are generated.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ParamChoice {
    /// `log2 N`.
    pub log_n: u32,
    /// Bit sizes of `q_0, q_1, …` (index = planner level).
    pub q_bits: Vec<u32>,
    /// Bit sizes of the special primes.
    pub p_bits: Vec<u32>,
    /// Scale `2^log_scale`.
    pub log_scale: u32,
    /// Key-switching digits at the top level.
    pub dnum: usize,
    /// Sum of all prime sizes.
    pub log_qp: u32,
    /// The budget it was chosen under (the 128-bit bound unless overridden).
    pub budget_bits: u32,
    /// Cost-model estimate of the schedule under these parameters (seconds, pre-encoded
    /// weights, summed throughputs).
    pub estimated_cost: f64,
    /// Built with the insecure opt-in.
    pub insecure: bool,
    /// Predicted logit precision in bits (`None` when no target was asked for).
    pub predicted_precision_bits: Option<f64>,
    /// Whether the prediction reaches the target (`true` without a target).
    pub meets_target: bool,
}

/// Errors choosing parameters.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ParamError {
    /// No candidate reaches the minimum scale within the budget.
    #[error(
        "no parameters for depth {depth} at N = 2^{log_n}: a {min_log_scale}-bit scale does not fit {budget_bits} bits"
    )]
    NoFit {
        /// `log2 N`.
        log_n: u32,
        /// Levels needed.
        depth: usize,
        /// Smallest scale asked for.
        min_log_scale: u32,
        /// Budget.
        budget_bits: u32,
    },
    /// The ring degree has no 128-bit bound and no budget was given.
    #[error("no 128-bit bound is known for N = 2^{log_n}; give a budget (insecure, tests only)")]
    NoBound {
        /// `log2 N`.
        log_n: u32,
    },
    /// The CKKS layer rejected the parameters.
    #[error(transparent)]
    Ckks(#[from] CkksError),
    /// The precision probe could not run the schedule on the simulator.
    #[error("precision probe: {0}")]
    Probe(#[from] ExecError),
}

/// The widest digit size (in primes) whose widest digit is at most `log_p + 2` bits.
fn primes_per_digit(q_bits: &[u32], log_p: u32) -> Option<usize> {
    let widest = |alpha: usize| q_bits.chunks(alpha).map(|c| c.iter().sum::<u32>()).max().unwrap_or(0);
    (1..=q_bits.len()).rev().find(|&a| widest(a) <= log_p + DEFAULT_DIGIT_EXCESS_BITS)
}

/// The largest scale (and `q_0`) with `q_0 + depth · s + log_p ≤ budget`.
fn fit_scale(depth: usize, log_p: u32, budget: u32) -> Option<(u32, u32)> {
    (1..=MAX_LOG_SCALE).rev().find_map(|s| {
        let q0 = (s + BASE_HEADROOM_BITS).min(MAX_CHAIN_PRIME_BITS);
        (q0 + depth as u32 * s + log_p <= budget).then_some((s, q0))
    })
}

/// Bits of logit precision `schedule` loses below its working scale: `log2 Δ` minus the worst
/// precision of the simulated-noise run against the exact run over `PROBE_IMAGES` seeded
/// random inputs in `[0, 1)` (the server does not see the client's images). A random image
/// that drives a ReLU approximation outside its interval (calibrated on other data) is halved
/// until it stays inside, at most `PROBE_HALVINGS` times.
///
/// # Errors
/// [`ExecError`] if the simulator rejects the schedule.
pub fn precision_loss_bits(log_n: u32, schedule: &Schedule) -> Result<f64, ExecError> {
    let noise = NoiseModel::rounding(log_n);
    let mut worst = f64::INFINITY;
    for seed in 1..=PROBE_IMAGES {
        let mut image = Tensor3::random_unit(schedule.input_layout.shape(), seed);
        let mut halvings = 0;
        let exact = loop {
            match run_simulated(schedule, &image) {
                Err(ExecError::Backend { source: BackendError::OutsideInterval { .. }, .. })
                    if halvings < PROBE_HALVINGS =>
                {
                    image.data.iter_mut().for_each(|v| *v *= 0.5);
                    halvings += 1;
                }
                result => break result?.0,
            }
        };
        let noisy = run_simulated_noisy(schedule, &image, noise, seed)?;
        worst = worst.min(super::Agreement::of(&noisy, &exact).precision_bits);
    }
    Ok(schedule.chain.scale.log2() - worst)
}

/// Chooses parameters for `schedule` (planned at `log_n`) under `options`.
///
/// # Errors
/// [`ParamError::NoBound`], [`ParamError::NoFit`], [`ParamError::Probe`].
pub fn choose_parameters(log_n: u32, schedule: &Schedule, options: &ParamOptions) -> Result<ParamChoice, ParamError> {
    let budget = match options.budget_bits.or(max_log_qp_128(log_n)) {
        Some(b) => b,
        None => return Err(ParamError::NoBound { log_n }),
    };
    let loss = match options.target_precision_bits {
        Some(_) => Some(precision_loss_bits(log_n, schedule)? + UNMODELLED_NOISE_BITS),
        None => None,
    };
    let depth = schedule.depth();
    let mut best: Option<ParamChoice> = None;
    for k in 1..=6u32 {
        for p in (20..=MAX_CHAIN_PRIME_BITS).step_by(2) {
            let log_p = k * p;
            let Some((s, q0)) = fit_scale(depth, log_p, budget) else { continue };
            if s < options.min_log_scale {
                continue;
            }
            let mut q_bits = vec![s; depth + 1];
            q_bits[0] = q0;
            let Some(alpha) = primes_per_digit(&q_bits, log_p) else { continue };
            let dnum = q_bits.len().div_ceil(alpha);
            let cost = options.cost_model(log_n).with_key_switching(k as usize, q_bits.len().div_ceil(dnum));
            let estimated_cost = cost.program_cost(&schedule.instrs);
            let predicted_precision_bits = loss.map(|l| f64::from(s) - l);
            let meets_target = match (predicted_precision_bits, options.target_precision_bits) {
                (Some(p), Some(t)) => p >= t,
                _ => true,
            };
            let candidate = ParamChoice {
                log_n,
                log_qp: q_bits.iter().sum::<u32>() + log_p,
                q_bits,
                p_bits: vec![p; k as usize],
                log_scale: s,
                dnum,
                budget_bits: budget,
                estimated_cost,
                insecure: options.insecure,
                predicted_precision_bits,
                meets_target,
            };
            if best.as_ref().is_none_or(|b| candidate.is_better_than(b)) {
                best = Some(candidate);
            }
        }
    }
    best.ok_or(ParamError::NoFit { log_n, depth, min_log_scale: options.min_log_scale, budget_bits: budget })
}

impl ParamChoice {
    /// Preference order of the search: reaching the precision target first, then the lower
    /// estimated cost, then the larger scale.
    fn is_better_than(&self, other: &ParamChoice) -> bool {
        if self.meets_target != other.meets_target {
            return self.meets_target;
        }
        let relative = (self.estimated_cost - other.estimated_cost) / other.estimated_cost;
        relative < -1e-9 || (relative.abs() <= 1e-9 && self.log_scale > other.log_scale)
    }

    /// The planner's cost model for these parameters on `threads` worker threads.
    pub fn cost_model(&self, threads: usize) -> CostModel {
        CostModel::for_ring(self.log_n)
            .with_threads(threads)
            .with_key_switching(self.p_bits.len(), self.q_bits.len().div_ceil(self.dnum))
    }

    /// Generates the primes and validates the set.
    ///
    /// # Errors
    /// Whatever [`spencnn_ckks::ParametersBuilder::build`] rejects.
    pub fn build(&self) -> Result<Parameters, CkksError> {
        let mut builder = Parameters::builder()
            .log_n(self.log_n)
            .q_bits(&self.q_bits)
            .p_bits(&self.p_bits)
            .log_scale(f64::from(self.log_scale))
            .dnum(self.dnum);
        if self.insecure {
            builder = builder.insecure_for_testing_only();
        }
        builder.build()
    }
}

impl std::fmt::Display for ParamChoice {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let q_rest = &self.q_bits[1..];
        write!(
            f,
            "N = 2^{}, Q = {} + {}x{} bits, P = {}x{} bits, scale 2^{}, dnum {}, log QP = {} / {}{}",
            self.log_n,
            self.q_bits[0],
            q_rest.len(),
            q_rest.first().copied().unwrap_or(0),
            self.p_bits.len(),
            self.p_bits.first().copied().unwrap_or(0),
            self.log_scale,
            self.dnum,
            self.log_qp,
            self.budget_bits,
            if self.insecure { " (INSECURE, test only)" } else { "" }
        )?;
        match self.predicted_precision_bits {
            Some(bits) if self.meets_target => write!(f, ", predicted precision {bits:.1} bits"),
            Some(bits) => write!(f, ", predicted precision {bits:.1} bits (BELOW the target)"),
            None => Ok(()),
        }
    }
}

/// The planner's scale model for built parameters: the real Q primes, scale `2^log_scale`.
pub fn scale_model(params: &Parameters) -> ScaleModel {
    ScaleModel::from_moduli(params.default_scale(), params.q_primes().iter().map(|&q| q as f64).collect())
}

/// Bytes the evaluation keys and the pre-encoded weight plaintexts of `schedule` will take
/// under `params` (polynomial data only), computed before anything is generated.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct MemoryEstimate {
    /// Galois keys of the schedule's steps plus the relinearization key, each at the highest
    /// level where it is used.
    pub key_bytes: usize,
    /// Every weight plaintext an instruction reads, encoded at its level (extended ones with
    /// the P limbs).
    pub plaintext_bytes: usize,
    /// The largest single layer's plaintexts (what per-layer encoding holds at once).
    pub largest_layer_plaintext_bytes: usize,
}

/// See [`MemoryEstimate`].
pub fn estimate_memory(schedule: &Schedule, params: &Parameters) -> MemoryEstimate {
    let limb = params.n() * 8;
    let special = params.p_primes().len();
    // A key at level ℓ: 2 polynomials per digit, each over the primes of level ℓ and P.
    let key_size =
        |level: usize| 2 * params.digits_at_level(level) * (params.q_primes_at(level).len() + special) * limb;
    let key_bytes = schedule.rotation_step_levels().iter().map(|&(_, level)| key_size(level)).sum::<usize>()
        + schedule.square_level().map_or(0, key_size);
    let plaintext_size = |spec: &crate::plan::PlainSpec| {
        (params.q_primes_at(spec.level).len() + if spec.extended { special } else { 0 }) * limb
    };
    let mut per_layer = vec![0usize; schedule.layers.len()];
    for instr in &schedule.instrs {
        let ids = instr.op.plaintexts();
        per_layer[instr.layer] +=
            ids.iter().map(|id| plaintext_size(&schedule.plaintexts[id.0 as usize])).sum::<usize>();
    }
    MemoryEstimate {
        key_bytes,
        plaintext_bytes: schedule
            .plaintexts
            .iter()
            .zip(crate::backend::runner::referenced_plaintexts(schedule))
            .filter(|(_, used)| *used)
            .map(|(spec, _)| plaintext_size(spec))
            .sum(),
        largest_layer_plaintext_bytes: per_layer.into_iter().max().unwrap_or(0),
    }
}
