//! Validated CKKS parameters and their builder.

use spencnn_ntt::primes::{generate_ntt_primes, is_prime};

use super::security::{
    MAX_LOG_N, MIN_INSECURE_LOG_N, MIN_SECURE_LOG_N, SecurityLevel, certified_security, max_log_qp_for,
};
use crate::encoding::ENCODING_HEADROOM_BITS;
use crate::error::CkksError;

/// Standard deviation of the discrete Gaussian error (HomomorphicEncryption.org standard).
pub const ERROR_STD_DEV: f64 = 3.2;
/// A key-switching digit may exceed the special modulus `P` by at most this many bits: each bit
/// of excess doubles the key-switching noise.
pub const MAX_DIGIT_EXCESS_BITS: u32 = 8;
/// When `dnum` is not given, digits are made as large as possible while exceeding `P` by at
/// most this many bits (a key-switching noise growth of at most 4×).
pub const DEFAULT_DIGIT_EXCESS_BITS: u32 = 2;
/// Smallest prime size accepted.
pub const MIN_PRIME_BITS: u32 = 17;
/// Largest prime size accepted (the arithmetic layer needs `q < 2^62`).
pub const MAX_PRIME_BITS: u32 = 62;

/// Distribution of the secret key's coefficients.
///
/// [`SecretDistribution::UniformTernary`] is certified secure by the standard's table (see
/// [`crate::params::certified_security`]); the only sparse secret certified is `h = 32` at
/// `N = 2^16` with `log2(Q·P) ≤ 121` (the small chain of sparse-secret encapsulation); any
/// other sparse secret needs [`ParametersBuilder::insecure_for_testing_only`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum SecretDistribution {
    /// Each coefficient uniform in `{-1, 0, 1}`.
    UniformTernary,
    /// Exactly `weight` coefficients in `{-1, 1}` (uniform signs, uniform positions), the rest 0.
    /// **Not certified** except `h = 32` at `N = 2^16` up to 121 bits of `Q·P` (see
    /// [`crate::params::certified_security`]): sparse secrets are weaker than the standard's
    /// table assumes (a weight of 1 is found by trying the `2N` candidates); building any other
    /// needs the insecure opt-in.
    FixedHammingWeight {
        /// Number of non-zero coefficients.
        weight: usize,
    },
}

/// How a prime chain was specified.
#[derive(Debug, Clone, PartialEq, Eq)]
enum ChainSpec {
    Unset,
    Bits(Vec<u32>),
    Primes(Vec<u64>),
}

/// Validated parameters of a CKKS instance. Build with [`Parameters::builder`] or
/// [`crate::Preset`].
///
/// Invariants: `N = 2^log_n`; every prime of `Q` and `P` is distinct, below `2^62` and
/// `≡ 1 (mod 2N)`; `dnum` digits of `ceil(L/dnum)` consecutive Q primes; unless
/// [`ParametersBuilder::insecure_for_testing_only`] was called, `log_n ≥ 12` and the sum of
/// the primes' bit lengths is within the 128-bit bound.
#[derive(Debug, Clone, PartialEq)]
pub struct Parameters {
    log_n: u32,
    q: Vec<u64>,
    p: Vec<u64>,
    log_scale: f64,
    default_scale: f64,
    secret: SecretDistribution,
    dnum: usize,
    insecure: bool,
    fingerprint: u64,
}

impl Parameters {
    /// A builder with the defaults: uniform ternary secret, scale `2^40`, σ = 3.2, `dnum`
    /// chosen from the primes.
    pub fn builder() -> ParametersBuilder {
        ParametersBuilder::default()
    }

    /// `log2(N)`.
    pub fn log_n(&self) -> u32 {
        self.log_n
    }
    /// The ring degree `N`.
    pub fn n(&self) -> usize {
        1 << self.log_n
    }
    /// The maximum number of slots, `N/2`.
    pub fn max_slots(&self) -> usize {
        self.n() / 2
    }
    /// The ciphertext primes `q_0, …, q_{L-1}` (`q_0` is the base prime, the last is rescaled first).
    pub fn q_primes(&self) -> &[u64] {
        &self.q
    }
    /// The primes `q_0, …, q_level` of a ciphertext at `level` (all of `Q` from the top level
    /// up); the last one is the prime its next rescale divides by.
    pub fn q_primes_at(&self, level: usize) -> &[u64] {
        &self.q[..self.q.len().min(level + 1)]
    }
    /// The special primes `p_0, …, p_{k-1}` used only inside key switching.
    pub fn p_primes(&self) -> &[u64] {
        &self.p
    }
    /// The top level `L − 1` for `L` Q primes: a ciphertext at level `ℓ` has the `ℓ + 1` primes
    /// `q_0, …, q_ℓ` and can be rescaled `ℓ` times (see the crate documentation on levels).
    pub fn max_level(&self) -> usize {
        self.q.len() - 1
    }
    /// The default scale used by the examples and presets, `2^log_scale`.
    pub fn default_scale(&self) -> f64 {
        self.default_scale
    }
    /// `log2` of the default scale, as given to [`ParametersBuilder::log_scale`].
    pub fn log_scale(&self) -> f64 {
        self.log_scale
    }
    /// The secret distribution.
    pub fn secret_distribution(&self) -> SecretDistribution {
        self.secret
    }
    /// Standard deviation of the error distribution.
    pub fn error_std_dev(&self) -> f64 {
        ERROR_STD_DEV
    }
    /// Number of key-switching digits at the top level.
    pub fn dnum(&self) -> usize {
        self.dnum
    }
    /// Number of consecutive Q primes per key-switching digit (`ceil(L / dnum)`).
    pub fn primes_per_digit(&self) -> usize {
        self.q.len().div_ceil(self.dnum)
    }
    /// Number of key-switching digits of a ciphertext at `level`: `ceil((level + 1) / α)`.
    pub fn digits_at_level(&self, level: usize) -> usize {
        (level + 1).div_ceil(self.primes_per_digit())
    }
    /// Whether the parameters were built with the insecure opt-in.
    pub fn is_insecure(&self) -> bool {
        self.insecure
    }
    /// The highest security level a cited estimate certifies for these parameters (secret
    /// distribution, `N`, `log2(Q·P)`; see [`crate::params::certified_security`]), `None` when
    /// none does. Parameters built without the insecure opt-in have at least 128 bits.
    pub fn security_level(&self) -> Option<SecurityLevel> {
        certified_security(self.secret, self.log_n, self.log_qp_bits())
    }
    /// Sum of the bit lengths of all primes of `Q·P` (an upper bound on `log2(Q·P)`).
    pub fn log_qp_bits(&self) -> u32 {
        self.q.iter().chain(&self.p).map(|&q| bit_length(q)).sum()
    }
    /// Sum of the bit lengths of the special primes.
    pub fn log_p_bits(&self) -> u32 {
        self.p.iter().map(|&q| bit_length(q)).sum()
    }
    /// A 64-bit fingerprint of everything that defines the parameters (FNV-1a); objects made
    /// under these parameters carry it so that mixing parameter sets is detected.
    pub fn fingerprint(&self) -> u64 {
        self.fingerprint
    }
}

fn bit_length(q: u64) -> u32 {
    64 - q.leading_zeros()
}

fn fnv1a(bytes: impl IntoIterator<Item = u8>) -> u64 {
    let mut hash = 0xcbf2_9ce4_8422_2325u64;
    for byte in bytes {
        hash ^= u64::from(byte);
        hash = hash.wrapping_mul(0x0100_0000_01b3);
    }
    hash
}

/// Builder of [`Parameters`]; see [`Parameters::builder`].
///
/// ```
/// use spencnn_ckks::Parameters;
/// let params = Parameters::builder()
///     .log_n(13)
///     .q_bits(&[60, 40, 40])
///     .p_bits(&[60])
///     .log_scale(40.0)
///     .build()
///     .unwrap();
/// // Three Q primes: a fresh ciphertext is at level 2 and can be rescaled twice.
/// assert_eq!(params.max_level(), 2);
/// assert_eq!(params.dnum(), 3);
/// ```
#[derive(Debug, Clone)]
pub struct ParametersBuilder {
    log_n: Option<u32>,
    q: ChainSpec,
    p: ChainSpec,
    log_scale: f64,
    secret: SecretDistribution,
    dnum: Option<usize>,
    insecure: bool,
}

impl Default for ParametersBuilder {
    fn default() -> Self {
        Self {
            log_n: None,
            q: ChainSpec::Unset,
            p: ChainSpec::Unset,
            log_scale: 40.0,
            secret: SecretDistribution::UniformTernary,
            dnum: None,
            insecure: false,
        }
    }
}

impl ParametersBuilder {
    /// Sets `log2(N)` (12..=16; 4..=16 with the insecure opt-in).
    pub fn log_n(mut self, log_n: u32) -> Self {
        self.log_n = Some(log_n);
        self
    }
    /// Generates the Q chain from bit sizes (first = base prime `q_0`).
    pub fn q_bits(mut self, bits: &[u32]) -> Self {
        self.q = ChainSpec::Bits(bits.to_vec());
        self
    }
    /// Uses explicit Q primes (first = base prime `q_0`).
    pub fn q_primes(mut self, primes: &[u64]) -> Self {
        self.q = ChainSpec::Primes(primes.to_vec());
        self
    }
    /// Generates the special primes P from bit sizes.
    pub fn p_bits(mut self, bits: &[u32]) -> Self {
        self.p = ChainSpec::Bits(bits.to_vec());
        self
    }
    /// Uses explicit special primes.
    pub fn p_primes(mut self, primes: &[u64]) -> Self {
        self.p = ChainSpec::Primes(primes.to_vec());
        self
    }
    /// Sets the default scale to `2^log_scale` (1..=62).
    pub fn log_scale(mut self, log_scale: f64) -> Self {
        self.log_scale = log_scale;
        self
    }
    /// Sets the secret distribution.
    pub fn secret_distribution(mut self, secret: SecretDistribution) -> Self {
        self.secret = secret;
        self
    }
    /// Sets the number of key-switching digits (1..=L); by default it is the smallest number
    /// whose digits exceed `P` by at most [`DEFAULT_DIGIT_EXCESS_BITS`].
    pub fn dnum(mut self, dnum: usize) -> Self {
        self.dnum = Some(dnum);
        self
    }
    /// **Insecure.** Lifts the 128-bit security check, allows ring degrees down to `2^4` and
    /// secret distributions without a cited security estimate (sparse secrets). Only for tests
    /// and experiments; never for data that matters.
    pub fn insecure_for_testing_only(mut self) -> Self {
        self.insecure = true;
        self
    }

    /// Validates everything and generates the primes.
    ///
    /// # Errors
    /// [`CkksError::LogDegreeOutOfRange`], [`CkksError::EmptyModulusChain`],
    /// [`CkksError::MissingSpecialPrimes`],
    /// [`CkksError::PrimeBitsOutOfRange`], [`CkksError::InvalidPrime`],
    /// [`CkksError::DuplicatePrime`], [`CkksError::SecurityBoundExceeded`],
    /// [`CkksError::DnumOutOfRange`], [`CkksError::SpecialModulusTooSmall`],
    /// [`CkksError::ScaleOutOfRange`], [`CkksError::ScaleExceedsBasePrime`],
    /// [`CkksError::HammingWeightOutOfRange`], [`CkksError::UncertifiedSecretDistribution`]
    /// (without the insecure opt-in), or an NTT error when not enough primes of a size exist.
    pub fn build(self) -> Result<Parameters, CkksError> {
        let min_log_n = if self.insecure { MIN_INSECURE_LOG_N } else { MIN_SECURE_LOG_N };
        let log_n = self.log_n.unwrap_or(0);
        if !(min_log_n..=MAX_LOG_N).contains(&log_n) {
            return Err(CkksError::LogDegreeOutOfRange { log_n, min: min_log_n, max: MAX_LOG_N });
        }
        let n = 1usize << log_n;
        if !(1.0..=62.0).contains(&self.log_scale) {
            return Err(CkksError::ScaleOutOfRange { log_scale: self.log_scale, min: 1.0, max: 62.0 });
        }
        if let SecretDistribution::FixedHammingWeight { weight } = self.secret
            && !(1..=n).contains(&weight)
        {
            return Err(CkksError::HammingWeightOutOfRange { weight, n });
        }
        if !self.insecure && max_log_qp_for(self.secret, log_n, SecurityLevel::Bits128).is_none() {
            return Err(CkksError::UncertifiedSecretDistribution { secret: self.secret });
        }
        let chain_len = |spec: &ChainSpec| match spec {
            ChainSpec::Unset => 0,
            ChainSpec::Bits(b) => b.len(),
            ChainSpec::Primes(p) => p.len(),
        };
        if chain_len(&self.q) == 0 {
            return Err(CkksError::EmptyModulusChain);
        }
        if chain_len(&self.p) == 0 {
            return Err(CkksError::MissingSpecialPrimes);
        }
        let (q, p) = resolve_primes(n, &self.q, &self.p)?;
        let bits = |primes: &[u64]| primes.iter().map(|&x| bit_length(x)).sum::<u32>();
        let log_qp = bits(&q) + bits(&p);
        if !self.insecure && certified_security(self.secret, log_n, log_qp).is_none() {
            let max_log_qp = max_log_qp_for(self.secret, log_n, SecurityLevel::Bits128).unwrap_or(0);
            return Err(CkksError::SecurityBoundExceeded { log_n, log_qp, max_log_qp });
        }
        check_scale_fits_base_prime(self.log_scale, q[0])?;
        let log_p = bits(&p);
        let digit_bits = |alpha: usize| q.chunks(alpha).map(bits).max().unwrap_or(0);
        let dnum = match self.dnum {
            Some(dnum) => {
                if !(1..=q.len()).contains(&dnum) {
                    return Err(CkksError::DnumOutOfRange { dnum, max: q.len() });
                }
                check_digit_width(digit_bits(q.len().div_ceil(dnum)), log_p)?;
                dnum
            }
            None => {
                // Largest digit size whose widest digit still fits (one prime always does, up to
                // the excess allowed for explicit choices).
                let alpha =
                    (1..=q.len()).rev().find(|&a| digit_bits(a) <= log_p + DEFAULT_DIGIT_EXCESS_BITS).unwrap_or(1);
                check_digit_width(digit_bits(alpha), log_p)?;
                q.len().div_ceil(alpha)
            }
        };
        let default_scale = self.log_scale.exp2();
        let secret_tag = match self.secret {
            SecretDistribution::UniformTernary => 0u64,
            SecretDistribution::FixedHammingWeight { weight } => weight as u64,
        };
        let words =
            [u64::from(log_n), q.len() as u64, p.len() as u64, dnum as u64, default_scale.to_bits(), secret_tag]
                .into_iter()
                .chain(q.iter().copied())
                .chain(p.iter().copied())
                .chain([u64::from(self.insecure)]);
        let fingerprint = fnv1a(words.flat_map(u64::to_le_bytes));
        Ok(Parameters {
            log_n,
            q,
            p,
            log_scale: self.log_scale,
            default_scale,
            secret: self.secret,
            dnum,
            insecure: self.insecure,
            fingerprint,
        })
    }
}

/// Rejects a default scale that a value of magnitude 1 cannot be encoded at at the lowest level:
/// `2^log_scale · 2^(1 + ENCODING_HEADROOM_BITS)` must not exceed `q_0` (the encoder's bound).
fn check_scale_fits_base_prime(log_scale: f64, q0: u64) -> Result<(), CkksError> {
    let log_q0 = (q0 as f64).log2();
    let max_log_scale = log_q0 - f64::from(1 + ENCODING_HEADROOM_BITS);
    if log_scale > max_log_scale {
        return Err(CkksError::ScaleExceedsBasePrime { log_scale, log_q0, max_log_scale });
    }
    Ok(())
}

/// Rejects a widest key-switching digit that exceeds `P` by more than [`MAX_DIGIT_EXCESS_BITS`].
fn check_digit_width(digit_bits: u32, log_p: u32) -> Result<(), CkksError> {
    if digit_bits > log_p + MAX_DIGIT_EXCESS_BITS {
        return Err(CkksError::SpecialModulusTooSmall { log_p, digit_bits, max_excess: MAX_DIGIT_EXCESS_BITS });
    }
    Ok(())
}

/// Turns the two chain specifications into distinct primes (Q first, then P).
fn resolve_primes(n: usize, q_spec: &ChainSpec, p_spec: &ChainSpec) -> Result<(Vec<u64>, Vec<u64>), CkksError> {
    let two_n = 2 * n as u64;
    // Explicit primes are checked first so that generated primes can avoid them.
    let mut taken: Vec<u64> = Vec::new();
    for spec in [q_spec, p_spec] {
        if let ChainSpec::Primes(primes) = spec {
            for &prime in primes {
                let valid = prime >> MAX_PRIME_BITS == 0 && is_prime(prime) && prime % two_n == 1;
                if !valid {
                    return Err(CkksError::InvalidPrime { q: prime, two_n });
                }
                if taken.contains(&prime) {
                    return Err(CkksError::DuplicatePrime { q: prime });
                }
                taken.push(prime);
            }
        }
    }
    // Count how many primes of each size are needed across both chains, then hand them out
    // in order (Q first), skipping explicit ones.
    let mut requested: Vec<u32> = Vec::new();
    for spec in [q_spec, p_spec] {
        if let ChainSpec::Bits(bits) = spec {
            for &b in bits {
                if !(MIN_PRIME_BITS..=MAX_PRIME_BITS).contains(&b) {
                    return Err(CkksError::PrimeBitsOutOfRange { bits: b, min: MIN_PRIME_BITS, max: MAX_PRIME_BITS });
                }
                requested.push(b);
            }
        }
    }
    let mut pools: Vec<(u32, Vec<u64>)> = Vec::new();
    for &b in &requested {
        if pools.iter().all(|(size, _)| *size != b) {
            let needed = requested.iter().filter(|&&x| x == b).count();
            let clashes = taken.iter().filter(|&&x| bit_length(x) == b).count();
            let mut pool = generate_ntt_primes(b, n, needed + clashes)?;
            pool.retain(|x| !taken.contains(x));
            pool.truncate(needed);
            pool.reverse(); // pop() hands out the largest first
            pools.push((b, pool));
        }
    }
    let mut take = |b: u32| -> u64 {
        let pool = &mut pools.iter_mut().find(|(size, _)| *size == b).expect("pool made for every requested size").1;
        pool.pop().expect("pool holds as many primes as were requested")
    };
    let mut resolve = |spec: &ChainSpec| match spec {
        ChainSpec::Unset => Vec::new(),
        ChainSpec::Bits(bits) => bits.iter().map(|&b| take(b)).collect(),
        ChainSpec::Primes(primes) => primes.clone(),
    };
    let q = resolve(q_spec);
    let p = resolve(p_spec);
    Ok((q, p))
}
