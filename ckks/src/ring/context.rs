//! The RNS ring `Z_{Q·P}[X]/(X^N + 1)`: moduli and NTT plans for every prime.

use spencnn_ntt::{Modulus, NttPlan};

use crate::error::CkksError;
use crate::params::Parameters;

/// Moduli and NTT plans of every prime of `Q·P`, in *global* order: `q_0, …, q_{L-1}, p_0, …,
/// p_{k-1}` (`L` Q primes, `k` special primes). A polynomial with `m` Q limbs and `k'` P limbs
/// uses the global primes `0..m` then `L..L+k'` (see [`RingContext::prime_index`]).
#[derive(Debug, Clone)]
pub struct RingContext {
    n: usize,
    q_count: usize,
    p_count: usize,
    moduli: Vec<Modulus>,
    plans: Vec<NttPlan>,
}

impl RingContext {
    /// Builds the plans of every prime of the parameters (one NTT plan per prime).
    ///
    /// # Errors
    /// An NTT error for a prime the arithmetic layer refuses (cannot happen for validated
    /// parameters).
    pub(crate) fn new(params: &Parameters) -> Result<Self, CkksError> {
        let primes: Vec<u64> = params.q_primes().iter().chain(params.p_primes()).copied().collect();
        let plans = primes.iter().map(|&q| NttPlan::new(params.n(), q)).collect::<Result<Vec<_>, _>>()?;
        let moduli = plans.iter().map(|plan| *plan.modulus()).collect();
        Ok(Self { n: params.n(), q_count: params.q_primes().len(), p_count: params.p_primes().len(), moduli, plans })
    }

    /// The ring degree `N`.
    pub fn n(&self) -> usize {
        self.n
    }
    /// Number of Q primes `L`.
    pub fn q_count(&self) -> usize {
        self.q_count
    }
    /// Number of special primes `k`.
    pub fn p_count(&self) -> usize {
        self.p_count
    }
    /// The modulus of global prime `index`.
    #[inline]
    pub fn modulus(&self, index: usize) -> &Modulus {
        &self.moduli[index]
    }
    /// The NTT plan of global prime `index`.
    #[inline]
    pub fn plan(&self, index: usize) -> &NttPlan {
        &self.plans[index]
    }
    /// Global index of local limb `limb` of a polynomial with `q_limbs` Q limbs (P limbs follow).
    #[inline]
    pub fn prime_index(&self, q_limbs: usize, limb: usize) -> usize {
        if limb < q_limbs { limb } else { self.q_count + (limb - q_limbs) }
    }
    /// The global prime indices of a polynomial with `q_limbs` Q limbs and `p_limbs` P limbs.
    pub fn prime_indices(&self, q_limbs: usize, p_limbs: usize) -> impl Iterator<Item = usize> + '_ {
        (0..q_limbs).chain(self.q_count..self.q_count + p_limbs)
    }
}
