//! Cost profiles: measured times of the RNS-CKKS primitives the planner counts.
//!
//! `spencnn calibrate` times every [`Primitive`] at every level of a parameter set on this
//! machine, once per thread count, and fits each one as `seconds = intercept + per_unit · work`,
//! where `work` ([`Primitive::work`]) counts the length-`N` limb operations the primitive does
//! at level `ℓ` for `k` special primes and `α` primes per key-switching digit. The fit lets one
//! profile price any level, special modulus and digit size at the ring degree it was measured
//! at. The committed [`CostProfile::committed`] (measured on the reference machine) keeps plans
//! reproducible; a measured profile is loaded from [`CostProfile::measured_path`] when present.
//! Where the calibration recorded on-CPU times, a primitive is priced by its CPU-time fit over
//! the cores the calibration got ([`ProfileEntry::fits`]), one share for the whole calibration
//! instead of the share of each short window.
//!
//! The file is JSON (`format` = [`PROFILE_FORMAT`], `version` = [`PROFILE_VERSION`]); reading
//! it is bounded ([`MAX_PROFILE_BYTES`]) and every number is checked (finite, non-negative).

use std::path::PathBuf;
use std::sync::{Arc, OnceLock, RwLock};

use serde::{Deserialize, Serialize};

/// `format` field of a profile file.
pub const PROFILE_FORMAT: &str = "spencnn-cost-profile";
/// `version` field this library reads and writes.
pub const PROFILE_VERSION: u32 = 1;
/// Largest profile file read (a full profile is a few tens of KiB).
pub const MAX_PROFILE_BYTES: usize = 4 << 20;

/// The profile measured on the reference machine (see `docs/planner.md`).
const COMMITTED_PROFILE: &str = include_str!("cost_profile.json");

/// The profile installed by [`CostProfile::install`].
static ACTIVE: RwLock<Option<Arc<CostProfile>>> = RwLock::new(None);

/// An RNS-CKKS primitive the planner counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Primitive {
    /// Key-switching decomposition (ModUp) of one ciphertext.
    Decompose,
    /// One key-switch inner product with a Galois key plus the automorphism, left in `Q_ℓ·P`.
    InnerProduct,
    /// Step 0 of a hoisted group: the lift `(P·c_0, P·c_1)` into `Q_ℓ·P`.
    Lift,
    /// One mod-down from `Q_ℓ·P` to `Q_ℓ`.
    ModDown,
    /// One term of a fused multiply-accumulate in `Q_ℓ·P` with an extended plaintext streamed
    /// from memory (as in a network layer, where plaintexts do not stay in cache).
    MulAcc,
    /// A plaintext multiply at `Q_ℓ` with a plaintext streamed from memory.
    MulPlain,
    /// A ciphertext addition at `Q_ℓ` (priced at the limb count of its operands).
    Add,
    /// A rescale (one level down).
    Rescale,
    /// A squaring with relinearisation.
    SquareRelin,
    /// Encoding one plaintext at `Q_ℓ`.
    Encode,
    /// Encoding one plaintext at `Q_ℓ·P`.
    EncodeExtended,
}

impl Primitive {
    /// Every primitive, in profile order.
    pub const ALL: [Primitive; 11] = [
        Primitive::Decompose,
        Primitive::InnerProduct,
        Primitive::Lift,
        Primitive::ModDown,
        Primitive::MulAcc,
        Primitive::MulPlain,
        Primitive::Add,
        Primitive::Rescale,
        Primitive::SquareRelin,
        Primitive::Encode,
        Primitive::EncodeExtended,
    ];

    /// Index into [`Primitive::ALL`].
    pub fn index(self) -> usize {
        self as usize
    }

    /// Length-`N` limb operations of the primitive at `level` with `special` special primes and
    /// `primes_per_digit` primes per key-switching digit (`q = ℓ + 1` limbs, `e = q + special`
    /// extended limbs, `d = ⌈q / α⌉` digits): decomposition `d·e + q` (one inverse NTT, one
    /// extension and NTT per digit), inner product `2(d + 1)·e` (two rows of `d` products and
    /// the automorphism), lift and mod-down `2e`, fused term `e`, plaintext multiply, addition,
    /// rescale and encoding `q` (`e` extended), squaring `3d·e + 4e + 4q` (tensor product and a
    /// key switch). The fit absorbs the constant factors; the shape carries it across levels
    /// and parameter sets.
    pub fn work(self, level: usize, special: usize, primes_per_digit: usize) -> f64 {
        let q = (level + 1) as f64;
        let e = q + special as f64;
        let d = (level + 1).div_ceil(primes_per_digit.max(1)) as f64;
        match self {
            Primitive::Decompose => d * e + q,
            Primitive::InnerProduct => 2.0 * (d + 1.0) * e,
            Primitive::Lift | Primitive::ModDown => 2.0 * e,
            Primitive::MulAcc | Primitive::EncodeExtended => e,
            Primitive::MulPlain | Primitive::Add | Primitive::Rescale | Primitive::Encode => q,
            Primitive::SquareRelin => 3.0 * d * e + 4.0 * e + 4.0 * q,
        }
    }
}

/// `seconds = intercept + per_unit · work` for one primitive.
#[derive(Clone, Copy, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct LinearFit {
    /// Seconds independent of the limb count.
    pub intercept: f64,
    /// Seconds per unit of [`Primitive::work`].
    pub per_unit: f64,
}

impl LinearFit {
    /// Seconds for `work` units.
    pub fn seconds(&self, work: f64) -> f64 {
        (self.intercept + self.per_unit * work).max(0.0)
    }

    /// Least-squares fit of `(work, seconds)` samples; a single distinct `work` gives a line
    /// through the origin. The intercept is kept non-negative (refit through the origin
    /// otherwise), so that extrapolation to small levels stays positive.
    pub fn fit(samples: &[(f64, f64)]) -> LinearFit {
        let n = samples.len() as f64;
        if samples.is_empty() {
            return LinearFit::default();
        }
        let through_origin = || {
            let (sxy, sxx) = samples.iter().fold((0.0, 0.0), |(a, b), &(x, y)| (a + x * y, b + x * x));
            LinearFit { intercept: 0.0, per_unit: if sxx > 0.0 { sxy / sxx } else { 0.0 } }
        };
        let (mx, my) = samples.iter().fold((0.0, 0.0), |(a, b), &(x, y)| (a + x / n, b + y / n));
        let sxx: f64 = samples.iter().map(|&(x, _)| (x - mx) * (x - mx)).sum();
        if sxx <= f64::EPSILON * mx * mx {
            return through_origin();
        }
        let sxy: f64 = samples.iter().map(|&(x, y)| (x - mx) * (y - my)).sum();
        let per_unit = sxy / sxx;
        let intercept = my - per_unit * mx;
        if intercept < 0.0 || per_unit < 0.0 { through_origin() } else { LinearFit { intercept, per_unit } }
    }
}

/// One primitive measured at one level: the median of the repetitions.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize)]
pub struct Sample {
    /// Level `ℓ` of the operands.
    pub level: usize,
    /// Median seconds per operation (wall time; a throughput with several threads).
    pub seconds: f64,
    /// Median on-CPU seconds per operation, summed over the threads (absent where the
    /// kernel does not report it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_seconds: Option<f64>,
}

/// A primitive's measurements and fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PrimitiveProfile {
    /// Which primitive.
    pub primitive: Primitive,
    /// The fit of the wall times.
    pub fit: LinearFit,
    /// The fit of the on-CPU times (absent when a sample has none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cpu_fit: Option<LinearFit>,
    /// The measurements it was fitted to.
    pub samples: Vec<Sample>,
}

/// The primitives measured at one ring degree and thread count.
///
/// With `threads > 1` each time is a *throughput*: `threads` independent operations run at
/// once and the time is the wall time divided by their number (what a layer with enough
/// independent work achieves, memory bandwidth shared).
///
/// On a shared machine a wall time is the primitive's CPU time divided by the share of the
/// cores the process got in that window, and short windows see very different shares. When
/// the calibration recorded CPU times, the planner prices each primitive by its CPU-time fit
/// divided by [`ProfileEntry::cores`], the cores the process got over the whole calibration
/// of this thread count (see [`ProfileEntry::fits`]); otherwise by the wall-time fit.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ProfileEntry {
    /// `log2 N`.
    pub log_n: u32,
    /// Worker threads.
    pub threads: usize,
    /// Special primes of the calibration parameters.
    pub special: usize,
    /// Q primes per key-switching digit of the calibration parameters.
    pub primes_per_digit: usize,
    /// Cores the calibration's threads got on average: total on-CPU time over total wall
    /// time of its windows (at most `threads`; below it on a loaded machine). Absent when CPU
    /// times were not recorded.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cores: Option<f64>,
    /// One entry per primitive.
    pub primitives: Vec<PrimitiveProfile>,
}

impl ProfileEntry {
    /// The wall-time fits the planner prices with, in [`Primitive::ALL`] order (a missing
    /// primitive costs nothing): each CPU-time fit divided by [`ProfileEntry::cores`] when
    /// both were recorded, else the wall-time fit.
    pub fn fits(&self) -> [LinearFit; Primitive::ALL.len()] {
        self.fits_with_cores(self.cores)
    }

    /// [`ProfileEntry::fits`] for a run that gets `cores` cores (`None`: the wall-time fits).
    pub fn fits_with_cores(&self, cores: Option<f64>) -> [LinearFit; Primitive::ALL.len()] {
        let mut fits = [LinearFit::default(); Primitive::ALL.len()];
        for p in &self.primitives {
            fits[p.primitive.index()] = match (p.cpu_fit, cores) {
                (Some(cpu), Some(cores)) if cores > 0.0 => {
                    LinearFit { intercept: cpu.intercept / cores, per_unit: cpu.per_unit / cores }
                }
                _ => p.fit,
            };
        }
        fits
    }

    /// The cores a calibration got: total on-CPU seconds over total wall seconds of
    /// `(wall, cpu)` windows, clamped to `(0, threads]`; `None` without CPU times.
    pub fn cores_from(windows: &[(f64, Option<f64>)], threads: usize) -> Option<f64> {
        let (mut wall, mut cpu) = (0.0, 0.0);
        for &(w, c) in windows {
            wall += w;
            cpu += c?;
        }
        (wall > 0.0 && cpu > 0.0).then(|| (cpu / wall).min(threads.max(1) as f64))
    }
}

/// Errors reading a cost profile.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ProfileError {
    /// The file could not be read.
    #[error("cannot read the cost profile {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// The cause.
        source: std::io::Error,
    },
    /// The file is larger than [`MAX_PROFILE_BYTES`].
    #[error("the cost profile is {size} bytes, more than the {limit} accepted")]
    TooLarge {
        /// Its size.
        size: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a profile this library reads.
    #[error("not a cost profile: {reason}")]
    Malformed {
        /// What is wrong.
        reason: String,
    },
}

/// A machine's cost profile: entries per ring degree and thread count.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CostProfile {
    /// [`PROFILE_FORMAT`].
    pub format: String,
    /// [`PROFILE_VERSION`].
    pub version: u32,
    /// Where it was measured (CPU model, cores), for the reader.
    pub machine: String,
    /// The measurements.
    pub entries: Vec<ProfileEntry>,
}

impl CostProfile {
    /// An empty profile for `machine`.
    pub fn new(machine: impl Into<String>) -> Self {
        Self { format: PROFILE_FORMAT.into(), version: PROFILE_VERSION, machine: machine.into(), entries: Vec::new() }
    }

    /// The profile the planner prices with: the one [`CostProfile::install`]ed, else the
    /// committed one.
    pub fn active() -> Arc<CostProfile> {
        let installed = ACTIVE.read().unwrap_or_else(|e| e.into_inner()).clone();
        installed.unwrap_or_else(|| {
            static COMMITTED: OnceLock<Arc<CostProfile>> = OnceLock::new();
            COMMITTED.get_or_init(|| Arc::new(CostProfile::committed())).clone()
        })
    }

    /// Makes `profile` the one every later [`super::CostModel::for_ring`] (hence every
    /// [`super::PlanConfig::new`]) prices with, for the rest of the process (the command line
    /// installs the measured profile at start).
    pub fn install(profile: CostProfile) {
        *ACTIVE.write().unwrap_or_else(|e| e.into_inner()) = Some(Arc::new(profile));
    }

    /// The profile committed with the library (measured on the reference machine).
    pub fn committed() -> Self {
        Self::from_json(COMMITTED_PROFILE.as_bytes()).expect("the committed cost profile is valid")
    }

    /// Where `spencnn calibrate` writes and the planner looks for a measured profile:
    /// `$SPENCNN_COST_PROFILE` if set, else `$XDG_CONFIG_HOME/spencnn/cost-profile.json`, else
    /// `$HOME/.config/spencnn/cost-profile.json`.
    pub fn measured_path() -> Option<PathBuf> {
        if let Some(path) = std::env::var_os("SPENCNN_COST_PROFILE") {
            return Some(PathBuf::from(path));
        }
        let config = std::env::var_os("XDG_CONFIG_HOME")
            .map(PathBuf::from)
            .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".config")))?;
        Some(config.join("spencnn").join("cost-profile.json"))
    }

    /// The measured profile at [`Self::measured_path`] if there is one, else the committed one.
    ///
    /// # Errors
    /// A measured profile that exists but cannot be read or is malformed.
    pub fn measured_or_committed() -> Result<Self, ProfileError> {
        match Self::measured_path().filter(|p| p.exists()) {
            Some(path) => Self::read(&path),
            None => Ok(Self::committed()),
        }
    }

    /// Reads a profile file (bounded by [`MAX_PROFILE_BYTES`]).
    ///
    /// # Errors
    /// [`ProfileError::Io`], [`ProfileError::TooLarge`], [`ProfileError::Malformed`].
    pub fn read(path: &std::path::Path) -> Result<Self, ProfileError> {
        use std::io::Read;
        let io = |source| ProfileError::Io { path: path.display().to_string(), source };
        let file = std::fs::File::open(path).map_err(io)?;
        let mut bytes = Vec::new();
        file.take(MAX_PROFILE_BYTES as u64 + 1).read_to_end(&mut bytes).map_err(io)?;
        Self::from_json(&bytes)
    }

    /// Parses and checks a profile.
    ///
    /// # Errors
    /// [`ProfileError::TooLarge`], [`ProfileError::Malformed`].
    pub fn from_json(bytes: &[u8]) -> Result<Self, ProfileError> {
        if bytes.len() > MAX_PROFILE_BYTES {
            return Err(ProfileError::TooLarge { size: bytes.len(), limit: MAX_PROFILE_BYTES });
        }
        let profile: CostProfile =
            serde_json::from_slice(bytes).map_err(|e| ProfileError::Malformed { reason: e.to_string() })?;
        profile.check()?;
        Ok(profile)
    }

    fn check(&self) -> Result<(), ProfileError> {
        let bad = |reason: String| Err(ProfileError::Malformed { reason });
        if self.format != PROFILE_FORMAT || self.version != PROFILE_VERSION {
            return bad(format!("format {:?} version {}", self.format, self.version));
        }
        if self.entries.is_empty() {
            return bad("no entries".into());
        }
        for e in &self.entries {
            if !(4..=17).contains(&e.log_n) || e.threads == 0 || e.primes_per_digit == 0 {
                return bad(format!("entry log_n {} threads {}", e.log_n, e.threads));
            }
            if e.cores.is_some_and(|c| !c.is_finite() || c <= 0.0) {
                return bad(format!("entry log_n {} threads {}: cores must be positive", e.log_n, e.threads));
            }
            for p in &e.primitives {
                let cpu_fit = p.cpu_fit.into_iter().flat_map(|f| [f.intercept, f.per_unit]);
                let cpu_samples = p.samples.iter().filter_map(|s| s.cpu_seconds);
                let numbers = [p.fit.intercept, p.fit.per_unit]
                    .into_iter()
                    .chain(p.samples.iter().map(|s| s.seconds))
                    .chain(cpu_fit)
                    .chain(cpu_samples);
                if numbers.into_iter().any(|x| !x.is_finite() || x < 0.0) {
                    return bad(format!("{:?} at 2^{}: negative or non-finite time", p.primitive, e.log_n));
                }
            }
        }
        Ok(())
    }

    /// The profile as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).expect("a profile serialises")
    }

    /// The entry closest to `(log_n, threads)`: the same ring degree if measured (else the
    /// nearest), then the largest thread count not above `threads` (else the smallest).
    pub fn entry(&self, log_n: u32, threads: usize) -> &ProfileEntry {
        let best_n = self.entries.iter().map(|e| e.log_n).min_by_key(|&n| (n.abs_diff(log_n), n)).unwrap_or(log_n);
        let at_n = self.entries.iter().filter(|e| e.log_n == best_n);
        at_n.clone()
            .filter(|e| e.threads <= threads)
            .max_by_key(|e| e.threads)
            .or_else(|| at_n.min_by_key(|e| e.threads))
            .expect("a checked profile has entries")
    }

    /// Adds or replaces the entry of `(log_n, threads)`.
    pub fn insert(&mut self, entry: ProfileEntry) {
        self.entries.retain(|e| (e.log_n, e.threads) != (entry.log_n, entry.threads));
        self.entries.push(entry);
        self.entries.sort_by_key(|e| (e.log_n, e.threads));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fit_recovers_a_line_and_keeps_the_intercept_non_negative() {
        let line: Vec<(f64, f64)> = (1..6).map(|x| (x as f64, 2.0 + 3.0 * x as f64)).collect();
        let f = LinearFit::fit(&line);
        assert!((f.intercept - 2.0).abs() < 1e-9 && (f.per_unit - 3.0).abs() < 1e-9);
        let negative: Vec<(f64, f64)> = (1..6).map(|x| (x as f64, 3.0 * x as f64 - 2.0)).collect();
        assert_eq!(LinearFit::fit(&negative).intercept, 0.0);
        assert!((LinearFit::fit(&[(4.0, 8.0)]).per_unit - 2.0).abs() < 1e-12);
    }

    #[test]
    fn committed_profile_parses_and_covers_the_zoo_ring_degrees() {
        let p = CostProfile::committed();
        for (log_n, threads) in [(14, 1), (14, 2), (16, 1), (16, 2)] {
            let e = p.entry(log_n, threads);
            assert_eq!((e.log_n, e.threads), (log_n, threads));
            assert!(e.fits().iter().all(|f| f.seconds(10.0) > 0.0));
        }
    }

    /// An entry of one primitive with wall fit `wall` and CPU fit `cpu`.
    fn entry_of(threads: usize, wall: LinearFit, cpu: Option<LinearFit>, cores: Option<f64>) -> ProfileEntry {
        let samples = vec![Sample { level: 3, seconds: wall.seconds(4.0), cpu_seconds: cpu.map(|c| c.seconds(4.0)) }];
        let primitives = vec![PrimitiveProfile { primitive: Primitive::Decompose, fit: wall, cpu_fit: cpu, samples }];
        ProfileEntry { log_n: 14, threads, special: 2, primes_per_digit: 2, cores, primitives }
    }

    #[test]
    fn cpu_fits_are_priced_at_the_cores_the_calibration_got() {
        let wall = LinearFit { intercept: 0.0, per_unit: 9.0 };
        let cpu = LinearFit { intercept: 1.0, per_unit: 2.0 };
        let d = Primitive::Decompose.index();
        // Half a core: every CPU second takes two seconds of wall time.
        let e = entry_of(1, wall, Some(cpu), Some(0.5));
        assert_eq!(e.fits()[d], LinearFit { intercept: 2.0, per_unit: 4.0 });
        // Two cores: a throughput of two CPU seconds per wall second.
        assert_eq!(e.fits_with_cores(Some(2.0))[d], LinearFit { intercept: 0.5, per_unit: 1.0 });
        // Without a share or without CPU times, the wall-time fit.
        assert_eq!(e.fits_with_cores(None)[d], wall);
        assert_eq!(entry_of(1, wall, None, Some(0.5)).fits()[d], wall);
        // Primitives not measured cost nothing.
        assert_eq!(e.fits()[Primitive::MulAcc.index()], LinearFit::default());
    }

    #[test]
    fn cores_are_total_cpu_over_total_wall_clamped_to_the_threads() {
        let windows = [(1.0, Some(0.25)), (3.0, Some(1.75))];
        assert_eq!(ProfileEntry::cores_from(&windows, 1), Some(0.5));
        // A window spinning more than its threads (or a clock skew) cannot exceed them.
        assert_eq!(ProfileEntry::cores_from(&[(1.0, Some(3.0))], 2), Some(2.0));
        assert_eq!(ProfileEntry::cores_from(&[(1.0, Some(0.5)), (1.0, None)], 2), None);
        assert_eq!(ProfileEntry::cores_from(&[], 2), None);
        assert_eq!(ProfileEntry::cores_from(&[(1.0, Some(0.0))], 2), None);
    }

    #[test]
    fn cpu_times_and_cores_round_trip_and_are_checked() {
        let wall = LinearFit { intercept: 0.0, per_unit: 3.0 };
        let mut p = CostProfile::new("test");
        p.insert(entry_of(2, wall, Some(LinearFit { intercept: 0.0, per_unit: 5.0 }), Some(1.5)));
        assert_eq!(CostProfile::from_json(p.to_json().as_bytes()).unwrap(), p);
        for bad_cores in [0.0, -1.0] {
            let mut q = p.clone();
            q.entries[0].cores = Some(bad_cores);
            assert!(CostProfile::from_json(q.to_json().as_bytes()).is_err(), "{bad_cores}");
        }
        let mut q = p.clone();
        q.entries[0].primitives[0].samples[0].cpu_seconds = Some(-1.0);
        assert!(matches!(CostProfile::from_json(q.to_json().as_bytes()), Err(ProfileError::Malformed { .. })));
        // A profile written without CPU times (the format's first form) still reads.
        let mut old = p.clone();
        old.entries[0].cores = None;
        old.entries[0].primitives[0].cpu_fit = None;
        old.entries[0].primitives[0].samples[0].cpu_seconds = None;
        assert!(!old.to_json().contains("cpu"));
        assert_eq!(CostProfile::from_json(old.to_json().as_bytes()).unwrap().entries[0].fits()[0], wall);
    }

    #[test]
    fn malformed_profiles_are_typed_errors() {
        assert!(matches!(CostProfile::from_json(b"{"), Err(ProfileError::Malformed { .. })));
        let mut p = CostProfile::committed();
        p.entries[0].primitives[0].fit.per_unit = -1.0;
        assert!(matches!(CostProfile::from_json(p.to_json().as_bytes()), Err(ProfileError::Malformed { .. })));
        p.entries.clear();
        assert!(matches!(CostProfile::from_json(p.to_json().as_bytes()), Err(ProfileError::Malformed { .. })));
        let big = vec![b' '; MAX_PROFILE_BYTES + 1];
        assert!(matches!(CostProfile::from_json(&big), Err(ProfileError::TooLarge { .. })));
    }
}
