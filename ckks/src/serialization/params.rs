//! Serialization of [`Parameters`]: the primes are stored explicitly and the loader rebuilds
//! the set through the validating builder, so loaded parameters pass every check that built
//! ones do (primality, `q ≡ 1 mod 2N`, distinctness, the 128-bit bound, digit widths).

use super::ObjectKind;
use super::codec::{Reader, Writer, check_range, expect_kind};
use super::error::SerializationError;
use crate::params::{MAX_LOG_N, MIN_INSECURE_LOG_N, Parameters, SecretDistribution};

/// Most primes a serialized chain may hold (the bound allows at most 104 primes of the smallest
/// size at `N = 2^16`).
pub const MAX_CHAIN_PRIMES: usize = 128;

/// Length of the fixed part of the body.
const FIXED_BODY_LEN: usize = 1 + 1 + 4 + 1 + 2 + 2 + 2 + 8;

impl Parameters {
    /// The serialized parameters (see [`crate::serialization`]).
    pub fn to_bytes(&self) -> Vec<u8> {
        let primes = self.q_primes().len() + self.p_primes().len();
        let mut w = Writer::new(ObjectKind::Parameters, self.fingerprint(), FIXED_BODY_LEN + 8 * primes);
        w.u8(self.log_n() as u8);
        match self.secret_distribution() {
            SecretDistribution::UniformTernary => {
                w.u8(0);
                w.u32(0);
            }
            SecretDistribution::FixedHammingWeight { weight } => {
                w.u8(1);
                w.u32(weight as u32);
            }
        }
        w.u8(u8::from(self.is_insecure()));
        w.u16(self.dnum() as u16);
        w.u16(self.q_primes().len() as u16);
        w.u16(self.p_primes().len() as u16);
        w.f64(self.log_scale());
        for &q in self.q_primes().iter().chain(self.p_primes()) {
            w.u64(q);
        }
        w.finish()
    }

    /// Loads parameters, refusing sets built with the insecure opt-in.
    ///
    /// # Errors
    /// Any header or length error of [`SerializationError`],
    /// [`SerializationError::InsecureParameters`], [`SerializationError::InvalidParameters`]
    /// when the builder rejects the decoded set, [`SerializationError::FingerprintMismatch`].
    pub fn from_bytes(bytes: &[u8], max_bytes: usize) -> Result<Self, SerializationError> {
        decode(bytes, max_bytes, Accept::SecureOnly)
    }

    /// **Insecure.** Like [`Parameters::from_bytes`], but also accepts parameters built with
    /// [`crate::ParametersBuilder::insecure_for_testing_only`]. Tests and experiments only.
    ///
    /// # Errors
    /// As [`Parameters::from_bytes`], without `InsecureParameters`.
    pub fn from_bytes_insecure_for_testing_only(bytes: &[u8], max_bytes: usize) -> Result<Self, SerializationError> {
        decode(bytes, max_bytes, Accept::Insecure)
    }
}

/// Which parameter sets a loader accepts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Accept {
    /// Only sets within the 128-bit bound.
    SecureOnly,
    /// Also sets built with the insecure opt-in.
    Insecure,
}

fn decode(bytes: &[u8], max_bytes: usize, accept: Accept) -> Result<Parameters, SerializationError> {
    let (header, mut r) = Reader::open(bytes, max_bytes)?;
    expect_kind(&header, &[ObjectKind::Parameters], "Parameters")?;
    let log_n = u32::from(r.u8()?);
    check_range("log_n", u64::from(log_n), u64::from(MIN_INSECURE_LOG_N), u64::from(MAX_LOG_N))?;
    let secret_kind = r.u8()?;
    let weight = r.u32()?;
    let secret = match (secret_kind, weight) {
        (0, 0) => SecretDistribution::UniformTernary,
        (0, _) => return Err(SerializationError::InvalidField { field: "weight", value: u64::from(weight) }),
        (1, _) => SecretDistribution::FixedHammingWeight { weight: weight as usize },
        _ => return Err(SerializationError::InvalidField { field: "secret_kind", value: u64::from(secret_kind) }),
    };
    let insecure = match r.u8()? {
        0 => false,
        1 => true,
        other => return Err(SerializationError::InvalidField { field: "insecure", value: u64::from(other) }),
    };
    if insecure && accept == Accept::SecureOnly {
        return Err(SerializationError::InsecureParameters);
    }
    let dnum = usize::from(r.u16()?);
    let q_count = usize::from(r.u16()?);
    let p_count = usize::from(r.u16()?);
    check_range("q_count", q_count as u64, 1, MAX_CHAIN_PRIMES as u64)?;
    check_range("p_count", p_count as u64, 1, MAX_CHAIN_PRIMES as u64)?;
    let log_scale = r.f64()?;
    let prime_bytes = r.take(8 * (q_count + p_count))?;
    let primes: Vec<u64> =
        prime_bytes.chunks_exact(8).map(|c| u64::from_le_bytes(c.try_into().expect("chunks of 8"))).collect();
    r.finish()?;
    let (q, p) = primes.split_at(q_count);
    let mut builder = Parameters::builder()
        .log_n(log_n)
        .q_primes(q)
        .p_primes(p)
        .log_scale(log_scale)
        .secret_distribution(secret)
        .dnum(dnum);
    if insecure {
        builder = builder.insecure_for_testing_only();
    }
    let params = builder.build()?;
    if params.fingerprint() != header.fingerprint {
        return Err(SerializationError::FingerprintMismatch {
            stored: header.fingerprint,
            computed: params.fingerprint(),
        });
    }
    Ok(params)
}
