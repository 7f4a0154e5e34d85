//! The exact plaintext slot simulator: `f64` vectors of `S` slots with CKKS bookkeeping.
//!
//! Values are stored unscaled (the message itself), while level and scale are tracked and
//! checked exactly as CKKS would: additions need equal levels and scales, plaintext multiplies
//! need the plaintext at the ciphertext's level, rescaling divides the scale by the level's prime,
//! rotations need a Galois key for their step (when a key set is given), and every result must
//! fit its modulus: `max|m| · scale < Q_ℓ / 2` with `Q_ℓ = q_0 ⋯ q_ℓ` (CKKS would wrap around).

use std::collections::BTreeSet;
use std::sync::{Mutex, MutexGuard, PoisonError};

use spencnn_ckks::circuits::polynomial::CompositePolynomial;

use super::noise::{GaussianSource, NoiseModel};
use super::{Backend, BackendError};
use crate::model::composite_products;
use crate::plan::{OpCounts, ScaleModel};

/// How far past `[-1, 1]` a polynomial activation's input may reach (rounding noise on values
/// at the interval's edge) before the simulator reports it.
const INTERVAL_SLACK: f64 = 1.0 / 1024.0;

/// A simulated ciphertext.
#[derive(Clone, Debug, PartialEq)]
pub struct SimCiphertext {
    /// The message, one value per slot.
    pub values: Vec<f64>,
    /// Level.
    pub level: usize,
    /// Scale.
    pub scale: f64,
}

/// A simulated extended-basis ciphertext (same data, separate type as in CKKS).
#[derive(Clone, Debug, PartialEq)]
pub struct SimExtended(SimCiphertext);

/// A simulated plaintext.
#[derive(Clone, Debug, PartialEq)]
pub struct SimPlaintext {
    /// Slot values.
    pub values: Vec<f64>,
    /// Level.
    pub level: usize,
    /// Scale.
    pub scale: f64,
    /// Encoded for the extended basis.
    pub extended: bool,
}

/// The simulator backend. It is `Sync` (the runner may call it from several threads); with
/// noise, reproducible results need the calls in a fixed order ([`super::execute`]).
#[derive(Debug)]
pub struct SlotSimulator {
    slots: usize,
    chain: ScaleModel,
    keys: Option<BTreeSet<usize>>,
    executed: Mutex<OpCounts>,
    /// Simulated rounding noise (`None`: exact, the default).
    noise: Option<(NoiseModel, Mutex<GaussianSource>)>,
}

/// Locks `mutex`; a panic elsewhere cannot leave counts or a random source inconsistent.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

fn same_scale(a: f64, b: f64) -> bool {
    ((a / b) - 1.0).abs() < 1e-9
}

impl SlotSimulator {
    /// A simulator of `slots` slots over `chain`; `keys` = the rotation steps with Galois keys
    /// (`None` = every step).
    pub fn new(slots: usize, chain: ScaleModel, keys: Option<BTreeSet<usize>>) -> Self {
        Self { slots, chain, keys, executed: Mutex::new(OpCounts::default()), noise: None }
    }

    /// The same simulator adding `model`'s Gaussian rounding error (seeded with `seed`) at
    /// encryption and after every rescale and mod-down: a stand-in for CKKS noise used to
    /// measure how much a schedule amplifies it (see [`super::noise`]).
    pub fn with_noise(mut self, model: NoiseModel, seed: u64) -> Self {
        self.noise = Some((model, Mutex::new(GaussianSource::new(seed))));
        self
    }

    /// Adds the simulated rounding error (if any) at the ciphertext's scale.
    fn perturb(&self, mut ct: SimCiphertext) -> SimCiphertext {
        if let Some((model, source)) = &self.noise {
            let sigma = model.sigma_at(ct.scale);
            let mut source = lock(source);
            ct.values.iter_mut().for_each(|v| *v += sigma * source.sample());
        }
        ct
    }

    /// "Encrypts" a slot vector at `level` and `scale`.
    pub fn encrypt(&self, values: &[f64], level: usize, scale: f64) -> Result<SimCiphertext, BackendError> {
        self.check_len(values.len())?;
        let fresh = self.fits("encrypt", SimCiphertext { values: values.to_vec(), level, scale })?;
        Ok(self.perturb(fresh))
    }

    /// Checks `max|m| · scale < Q_level / 2`.
    fn fits(&self, op: &'static str, ct: SimCiphertext) -> Result<SimCiphertext, BackendError> {
        if ct.level > self.chain.max_level() {
            return Err(BackendError::Unsupported { op, level: ct.level, scale: ct.scale });
        }
        let peak = ct.values.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let log2_modulus: f64 = self.chain.moduli[..=ct.level].iter().map(|q| q.log2()).sum();
        let log2_magnitude = peak.log2() + ct.scale.log2();
        if peak > 0.0 && log2_magnitude >= log2_modulus - 1.0 {
            return Err(BackendError::Overflow { op, log2_magnitude, log2_modulus });
        }
        Ok(ct)
    }

    /// "Decrypts" a ciphertext.
    pub fn decrypt(&self, ct: &SimCiphertext) -> Vec<f64> {
        ct.values.clone()
    }

    /// Operations executed so far (rotations, plaintext multiplies, mod-downs, rescales,
    /// squares), counted at run time independently of the IR.
    pub fn executed(&self) -> OpCounts {
        *lock(&self.executed)
    }

    fn count(&self, f: impl FnOnce(&mut OpCounts)) {
        f(&mut lock(&self.executed));
    }

    fn check_len(&self, found: usize) -> Result<(), BackendError> {
        (found == self.slots).then_some(()).ok_or(BackendError::SlotCount { expected: self.slots, found })
    }

    fn rotate(&self, values: &[f64], step: usize) -> Result<Vec<f64>, BackendError> {
        if step == 0 {
            return Ok(values.to_vec());
        }
        if step >= self.slots || self.keys.as_ref().is_some_and(|k| !k.contains(&step)) {
            return Err(BackendError::MissingRotationKey { step });
        }
        self.count(|c| c.rotations += 1);
        Ok((0..self.slots).map(|i| values[(i + step) % self.slots]).collect())
    }

    fn check_pair(op: &'static str, a: (usize, f64), b: (usize, f64)) -> Result<(), BackendError> {
        if a.0 != b.0 {
            return Err(BackendError::LevelMismatch { op, left: a.0, right: b.0 });
        }
        if !same_scale(a.1, b.1) {
            return Err(BackendError::ScaleMismatch { op, left: a.1, right: b.1 });
        }
        Ok(())
    }

    /// Sums ciphertexts after checking they share level and scale.
    fn sum(&self, op: &'static str, parts: Vec<SimCiphertext>) -> Result<SimCiphertext, BackendError> {
        let mut iter = parts.into_iter();
        let mut acc = iter.next().ok_or(BackendError::Empty { op })?;
        for p in iter {
            Self::check_pair(op, (acc.level, acc.scale), (p.level, p.scale))?;
            acc.values.iter_mut().zip(&p.values).for_each(|(a, b)| *a += b);
        }
        Ok(acc)
    }
}

impl Backend for SlotSimulator {
    type Ciphertext = SimCiphertext;
    type Extended = SimExtended;
    type Plaintext = SimPlaintext;

    fn encode(&self, values: &[f64], level: usize, scale: f64, extended: bool) -> Result<SimPlaintext, BackendError> {
        self.check_len(values.len())?;
        if level > self.chain.max_level() || !(scale.is_finite() && scale > 0.0) {
            return Err(BackendError::Unsupported { op: "encode", level, scale });
        }
        Ok(SimPlaintext { values: values.to_vec(), level, scale, extended })
    }

    fn rotate_hoisted_extended(&self, ct: &SimCiphertext, steps: &[usize]) -> Result<Vec<SimExtended>, BackendError> {
        steps
            .iter()
            .map(|&s| {
                Ok(SimExtended(SimCiphertext { values: self.rotate(&ct.values, s)?, level: ct.level, scale: ct.scale }))
            })
            .collect()
    }

    fn mul_acc_extended(&self, terms: &[(&SimExtended, &SimPlaintext)]) -> Result<SimCiphertext, BackendError> {
        let mut parts = Vec::with_capacity(terms.len());
        for (ext, pt) in terms {
            if !pt.extended {
                return Err(BackendError::WrongBasis { op: "mul_acc_extended" });
            }
            parts.push(multiply("mul_acc_extended", &ext.0, pt)?);
        }
        self.count(|c| {
            c.pmults += terms.len();
            c.mod_downs += 1;
        });
        let sum = self.fits("mul_acc_extended", self.sum("mul_acc_extended", parts)?)?;
        Ok(self.perturb(sum))
    }

    fn rotate_sum(&self, terms: &[(&SimCiphertext, usize)]) -> Result<SimCiphertext, BackendError> {
        let mut parts = Vec::with_capacity(terms.len());
        for (ct, step) in terms {
            parts.push(SimCiphertext { values: self.rotate(&ct.values, *step)?, level: ct.level, scale: ct.scale });
        }
        let switched = terms.iter().any(|t| t.1 != 0);
        if switched {
            self.count(|c| c.mod_downs += 1);
        }
        let sum = self.fits("rotate_sum", self.sum("rotate_sum", parts)?)?;
        Ok(if switched { self.perturb(sum) } else { sum })
    }

    fn mul_plain(&self, ct: &SimCiphertext, pt: &SimPlaintext) -> Result<SimCiphertext, BackendError> {
        if pt.extended {
            return Err(BackendError::WrongBasis { op: "mul_plain" });
        }
        self.count(|c| c.pmults += 1);
        self.fits("mul_plain", multiply("mul_plain", ct, pt)?)
    }

    fn add_plain(&self, ct: &SimCiphertext, pt: &SimPlaintext) -> Result<SimCiphertext, BackendError> {
        if pt.extended {
            return Err(BackendError::WrongBasis { op: "add_plain" });
        }
        Self::check_pair("add_plain", (ct.level, ct.scale), (pt.level, pt.scale))?;
        let mut out = ct.clone();
        out.values.iter_mut().zip(&pt.values).for_each(|(a, b)| *a += b);
        self.fits("add_plain", out)
    }

    fn add(&self, a: &SimCiphertext, b: &SimCiphertext) -> Result<SimCiphertext, BackendError> {
        self.fits("add", self.sum("add", vec![a.clone(), b.clone()])?)
    }

    fn rescale(&self, ct: &SimCiphertext) -> Result<SimCiphertext, BackendError> {
        if ct.level == 0 {
            return Err(BackendError::NoLevelLeft { op: "rescale", level: 0, needed: 1 });
        }
        self.count(|c| c.rescales += 1);
        Ok(self.perturb(SimCiphertext {
            values: ct.values.clone(),
            level: ct.level - 1,
            scale: ct.scale / self.chain.prime(ct.level),
        }))
    }

    fn square(&self, ct: &SimCiphertext) -> Result<SimCiphertext, BackendError> {
        self.count(|c| {
            c.squares += 1;
            c.mod_downs += 1;
        });
        let out = SimCiphertext {
            values: ct.values.iter().map(|v| v * v).collect(),
            level: ct.level,
            scale: ct.scale * ct.scale,
        };
        let squared = self.fits("square", out)?;
        Ok(self.perturb(squared))
    }

    fn polynomial(
        &self,
        ct: &SimCiphertext,
        poly: &CompositePolynomial,
        levels: usize,
    ) -> Result<SimCiphertext, BackendError> {
        if levels > ct.level {
            return Err(BackendError::NoLevelLeft { op: "polynomial", level: ct.level, needed: levels });
        }
        let peak = ct.values.iter().fold(0.0f64, |m, v| if v.is_nan() { f64::NAN } else { m.max(v.abs()) });
        if peak.is_nan() || peak > 1.0 + INTERVAL_SLACK {
            return Err(BackendError::OutsideInterval { peak });
        }
        let products = composite_products(poly);
        self.count(|c| {
            c.squares += products;
            c.decompositions += products;
            c.mod_downs += products;
            c.rescales += levels;
        });
        let out = SimCiphertext {
            values: ct.values.iter().map(|&v| poly.evaluate(v)).collect(),
            level: ct.level - levels,
            scale: ct.scale,
        };
        let evaluated = self.fits("polynomial", out)?;
        Ok(self.perturb(evaluated))
    }

    fn drop_levels(&self, ct: &SimCiphertext, levels: usize) -> Result<SimCiphertext, BackendError> {
        if levels > ct.level {
            return Err(BackendError::NoLevelLeft { op: "drop_levels", level: ct.level, needed: levels });
        }
        Ok(SimCiphertext { values: ct.values.clone(), level: ct.level - levels, scale: ct.scale })
    }
}

/// Slot-wise product with the plaintext-level check.
fn multiply(op: &'static str, ct: &SimCiphertext, pt: &SimPlaintext) -> Result<SimCiphertext, BackendError> {
    if ct.level != pt.level {
        return Err(BackendError::LevelMismatch { op, left: ct.level, right: pt.level });
    }
    Ok(SimCiphertext {
        values: ct.values.iter().zip(&pt.values).map(|(a, b)| a * b).collect(),
        level: ct.level,
        scale: ct.scale * pt.scale,
    })
}
