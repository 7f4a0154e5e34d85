//! What a client accepts from a server: [`ClientPolicy`] is checked by
//! [`super::Client::new`] before any key is made, so that a client never runs with parameters
//! it would not have chosen itself (a weak secret or modulus, more keys, levels or key bytes
//! than it is willing to make) nor with an interface that does not hang together.

use spencnn_ckks::SerializedForm;
use spencnn_ckks::encoding::max_scaled_magnitude;
use spencnn_ckks::params::SecurityLevel;

use super::messages::ModelInterface;
use super::wire::evaluation_keys_len;

/// Default [`ClientPolicy::max_rotation_keys`]: above the 206 of the largest bundled network
/// (ResNet-20, SpENCNN variant) with room for imported models.
pub const DEFAULT_MAX_ROTATION_KEYS: usize = 512;
/// Default [`ClientPolicy::max_key_bytes`]: 8 GiB of evaluation keys on the wire (ResNet-20's
/// are 6.3 GiB in the seeded form they travel in).
pub const DEFAULT_MAX_KEY_BYTES: u64 = 8 << 30;
/// Default [`ClientPolicy::max_levels`]: 64 primes in `Q` (ResNet-20 uses 40).
pub const DEFAULT_MAX_LEVELS: usize = 64;

/// The limits a client holds a server's [`ModelInterface`] to. The defaults accept every
/// bundled network at 128-bit security; the setters change one limit each.
///
/// ```
/// use spencnn::inference::ClientPolicy;
/// use spencnn_ckks::params::SecurityLevel;
/// let policy = ClientPolicy::default().min_security(SecurityLevel::Bits192).max_rotation_keys(100);
/// assert_eq!(policy.security(), SecurityLevel::Bits192);
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClientPolicy {
    min_security: SecurityLevel,
    max_rotation_keys: usize,
    max_key_bytes: u64,
    max_levels: usize,
    allow_insecure: bool,
}

impl Default for ClientPolicy {
    fn default() -> Self {
        Self {
            min_security: SecurityLevel::Bits128,
            max_rotation_keys: DEFAULT_MAX_ROTATION_KEYS,
            max_key_bytes: DEFAULT_MAX_KEY_BYTES,
            max_levels: DEFAULT_MAX_LEVELS,
            allow_insecure: false,
        }
    }
}

impl ClientPolicy {
    /// Requires at least `level` of certified security (the secret distribution, `N` and
    /// `log2(Q·P)` against the standard's table; see
    /// [`spencnn_ckks::params::certified_security`]). Default: 128 bits.
    pub fn min_security(mut self, level: SecurityLevel) -> Self {
        self.min_security = level;
        self
    }
    /// At most `count` Galois (rotation) keys. Default [`DEFAULT_MAX_ROTATION_KEYS`].
    pub fn max_rotation_keys(mut self, count: usize) -> Self {
        self.max_rotation_keys = count;
        self
    }
    /// At most `bytes` of evaluation keys, counted as the keys message the client writes
    /// (seeded form). Default [`DEFAULT_MAX_KEY_BYTES`].
    pub fn max_key_bytes(mut self, bytes: u64) -> Self {
        self.max_key_bytes = bytes;
        self
    }
    /// At most `levels` primes in the ciphertext modulus `Q`. Default [`DEFAULT_MAX_LEVELS`].
    pub fn max_levels(mut self, levels: usize) -> Self {
        self.max_levels = levels;
        self
    }
    /// **Insecure.** Also accepts parameters built with the insecure opt-in or below the
    /// minimum security (tests and experiments only; the other limits still apply).
    pub fn allow_insecure_for_testing_only(mut self) -> Self {
        self.allow_insecure = true;
        self
    }

    /// The required security level.
    pub fn security(&self) -> SecurityLevel {
        self.min_security
    }
    /// Whether insecure parameters are accepted.
    pub fn allows_insecure(&self) -> bool {
        self.allow_insecure
    }

    /// Checks `interface` against the policy, then its consistency (every index, level and
    /// number inside what the parameters allow).
    ///
    /// # Errors
    /// The first violation as a [`PolicyError`].
    pub fn check(&self, interface: &ModelInterface) -> Result<(), PolicyError> {
        let params = &interface.params;
        if !self.allow_insecure {
            if params.is_insecure() {
                return Err(PolicyError::InsecureParameters);
            }
            let found = params.security_level();
            if found.is_none_or(|found| found < self.min_security) {
                return Err(PolicyError::SecurityBelowMinimum { found, min: self.min_security });
            }
        }
        let levels = params.q_primes().len();
        if levels > self.max_levels {
            return Err(PolicyError::TooManyLevels { levels, max: self.max_levels });
        }
        let keys = interface.rotation_steps.len();
        if keys > self.max_rotation_keys {
            return Err(PolicyError::TooManyRotationKeys { keys, max: self.max_rotation_keys });
        }
        check_consistency(interface)?;
        let key_levels: Vec<usize> = interface.rotation_keys().map(|(_, level)| level).collect();
        let bytes =
            evaluation_keys_len(params, interface.relinearization_key_level(), &key_levels, SerializedForm::Seeded)
                as u64;
        if bytes > self.max_key_bytes {
            return Err(PolicyError::KeysTooLarge { bytes, max: self.max_key_bytes });
        }
        Ok(())
    }
}

/// Why a client refused an interface.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
#[non_exhaustive]
pub enum PolicyError {
    /// The parameters were built with the insecure opt-in.
    #[error("the parameters are insecure (built with the testing opt-in)")]
    InsecureParameters,
    /// No cited estimate certifies the required security for the parameters.
    #[error("the parameters are certified at {} security, the client requires {min}", .found.map_or("no".to_string(), |l| l.to_string()))]
    SecurityBelowMinimum {
        /// The certified level (`None`: none, e.g. a sparse secret or too large a modulus).
        found: Option<SecurityLevel>,
        /// The client's minimum.
        min: SecurityLevel,
    },
    /// More primes in `Q` than the client accepts.
    #[error("the parameters have {levels} levels, the client accepts at most {max}")]
    TooManyLevels {
        /// Primes in `Q`.
        levels: usize,
        /// The client's limit.
        max: usize,
    },
    /// More rotation keys than the client makes.
    #[error("the interface asks for {keys} rotation keys, the client makes at most {max}")]
    TooManyRotationKeys {
        /// Keys asked for.
        keys: usize,
        /// The client's limit.
        max: usize,
    },
    /// The evaluation keys would exceed the client's byte limit.
    #[error("the evaluation keys would take {bytes} bytes, the client makes at most {max}")]
    KeysTooLarge {
        /// Bytes of the keys message.
        bytes: u64,
        /// The client's limit.
        max: u64,
    },
    /// A field of the interface is inconsistent with the parameters or the other fields.
    #[error("interface field `{field}`: {reason}")]
    InvalidInterface {
        /// The field.
        field: &'static str,
        /// What is wrong.
        reason: String,
    },
}

fn invalid(field: &'static str, reason: impl Into<String>) -> PolicyError {
    PolicyError::InvalidInterface { field, reason: reason.into() }
}

fn positive_finite(field: &'static str, value: f64) -> Result<(), PolicyError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(invalid(field, format!("{value} is not a positive finite number")))
    }
}

/// Everything the client later relies on: slots, levels inside the chain, scales positive and
/// finite (the input scale able to encode 1.0 at the input level), the logit map inside the
/// outputs and slots with finite coefficients, rotation steps strictly ascending inside the
/// slots with one key level each.
fn check_consistency(interface: &ModelInterface) -> Result<(), PolicyError> {
    let params = &interface.params;
    let (slots, top) = (interface.slots, params.max_level());
    if !slots.is_power_of_two() || slots > params.max_slots() {
        return Err(invalid("slots", format!("{slots} is not a power of two up to {}", params.max_slots())));
    }
    if interface.input_layout.slots != slots {
        return Err(invalid("input layout", format!("packs {} slots, not {slots}", interface.input_layout.slots)));
    }
    let level_in_chain = |field: &'static str, level: usize| {
        if level <= top { Ok(()) } else { Err(invalid(field, format!("level {level} is above the top level {top}"))) }
    };
    level_in_chain("input level", interface.input_level)?;
    positive_finite("input scale", interface.input_scale)?;
    // A pixel of 1.0 must encode at the input level (checked now, not at the first image).
    let max = max_scaled_magnitude(params, interface.input_level).unwrap_or(0.0);
    if interface.input_scale > max {
        let (scale, level) = (interface.input_scale.log2(), interface.input_level);
        return Err(invalid(
            "input scale",
            format!("2^{scale:.1} cannot encode 1.0 at level {level} (at most 2^{:.1})", max.log2()),
        ));
    }
    if interface.outputs.is_empty() {
        return Err(invalid("outputs", "no output ciphertext"));
    }
    for output in &interface.outputs {
        level_in_chain("output level", output.level)?;
        positive_finite("output scale", output.scale)?;
    }
    for (i, logit) in interface.logits.iter().enumerate() {
        if logit.ct >= interface.outputs.len() || logit.slot >= slots {
            return Err(invalid(
                "logits",
                format!("logit {i} reads ciphertext {} slot {}, outside the outputs", logit.ct, logit.slot),
            ));
        }
        if !(logit.scale.is_finite() && logit.offset.is_finite()) {
            return Err(invalid("logits", format!("logit {i} has a non-finite scale or offset")));
        }
    }
    if interface.rotation_key_levels.len() != interface.rotation_steps.len() {
        return Err(invalid(
            "rotation key levels",
            format!("{} levels for {} steps", interface.rotation_key_levels.len(), interface.rotation_steps.len()),
        ));
    }
    let mut previous = 0;
    for (step, level) in interface.rotation_keys() {
        if step <= previous || step >= slots {
            return Err(invalid("rotation steps", format!("step {step} is not ascending inside 1..{slots}")));
        }
        previous = step;
        level_in_chain("rotation key level", level)?;
    }
    if let Some(level) = interface.relinearization_key_level() {
        level_in_chain("relinearization level", level)?;
    }
    Ok(())
}
