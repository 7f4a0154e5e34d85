//! Step 1 of hybrid key switching: decompose a polynomial into `dnum` digits of Q and extend
//! each digit to the basis `Q_ℓ·P` ("mod-up").
//!
//! Digit `j` groups the consecutive primes `q_{jα}, …, q_{(j+1)α-1}` (`α` = primes per digit);
//! at level `ℓ` only the primes `q_0, …, q_ℓ` are used, so the last digit may be
//! partial. Each digit is extended as its centred representative in `(-Q_j/2, Q_j/2]` (fast
//! basis conversion with the `f64` overflow correction): an uncentred digit, uniform in
//! `[0, Q_j)`, has mean `Q_j/2`, and the product of that constant with the key's error lands
//! in a few slots as outliers several bits above the average noise.

use super::context::Context;
use super::key_switch::check_basis;
use crate::error::CkksError;
use crate::params::Parameters;
use crate::ring::{BasisConverter, Ntt, RingContext, RnsPoly, Scratch};

/// Precomputed conversion constants of every digit at every level.
#[derive(Debug, Clone)]
pub(crate) struct DecompositionTables {
    primes_per_digit: usize,
    /// `converters[j][a - 1]` converts from the first `a` primes of digit `j`.
    converters: Vec<Vec<BasisConverter>>,
}

impl DecompositionTables {
    /// Builds the converters for the parameters' digits.
    pub(crate) fn new(params: &Parameters, ring: &RingContext) -> Self {
        let alpha = params.primes_per_digit();
        let q_count = params.q_primes().len();
        let converters = (0..params.dnum())
            .map(|j| {
                let start = j * alpha;
                let end = ((j + 1) * alpha).min(q_count);
                (start + 1..=end)
                    .map(|active_end| BasisConverter::new(ring, &(start..active_end).collect::<Vec<_>>()))
                    .collect()
            })
            .collect();
        Self { primes_per_digit: alpha, converters }
    }

    /// The Q-limb range of digit `j` of a polynomial with `q_limbs` Q limbs.
    fn digit_range(&self, digit: usize, q_limbs: usize) -> std::ops::Range<usize> {
        let start = digit * self.primes_per_digit;
        start..((digit + 1) * self.primes_per_digit).min(q_limbs)
    }
}

/// The digits of one polynomial, each extended to `Q_ℓ·P` in NTT form: step 1 of key
/// switching (see [`super::key_switch`]). Computing it is the expensive, key-independent part;
/// it is reused for every key (hoisting).
#[derive(Debug, Clone)]
pub struct Decomposition {
    q_limbs: usize,
    digits: Vec<RnsPoly<Ntt>>,
}

impl Decomposition {
    /// Decomposes the NTT-form polynomial `c` (Q limbs only) over its primes.
    ///
    /// Cost: one inverse NTT per limb, then per digit one forward NTT per limb outside the digit.
    ///
    /// # Errors
    /// [`CkksError::UnexpectedBasis`] when `c` has P limbs or does not match the context.
    pub fn new(ctx: &Context, c: &RnsPoly<Ntt>) -> Result<Self, CkksError> {
        check_basis(ctx, c, 0, "a polynomial over Q_l")?;
        let (ring, tables) = (ctx.ring(), ctx.decomposition());
        let level = c.q_limb_count();
        let coefficients = c.clone().into_coefficient(ring);
        let digit_count = level.div_ceil(tables.primes_per_digit);
        let digits = (0..digit_count)
            .map(|j| {
                let range = tables.digit_range(j, level);
                let converter = &tables.converters[j][range.len() - 1];
                let mut scaled: Vec<Scratch> = range.clone().map(|i| Scratch::copy_of(coefficients.limb(i))).collect();
                converter.scale_sources(ring, &mut scaled);
                // Centred digits: a digit uniform in [0, Q_j) has a large mean whose product
                // with the key's error concentrates in a few slots; centring removes it.
                let mut overflow = Scratch::zeroed(ring.n());
                converter.centred_overflow(ring, &scaled, &mut overflow);
                let mut digit = RnsPoly::<Ntt>::zero(ring, level, ring.p_count());
                for i in 0..digit.limb_count() {
                    if range.contains(&i) {
                        digit.limb_mut(i).copy_from_slice(c.limb(i));
                    } else {
                        let target = ring.prime_index(level, i);
                        let limb = digit.limb_mut(i);
                        converter.convert(ring, &scaled, Some(&overflow), target, limb);
                        ring.plan(target).forward(limb).expect("limb length is the ring degree");
                    }
                }
                digit
            })
            .collect();
        Ok(Self { q_limbs: level, digits })
    }

    /// The level of the decomposed polynomial (it has `level + 1` Q primes).
    pub fn level(&self) -> usize {
        self.q_limbs - 1
    }

    /// The number of Q primes of the decomposed polynomial.
    pub(crate) fn q_limb_count(&self) -> usize {
        self.q_limbs
    }

    /// The extended digits (each with `ℓ` Q limbs and all P limbs).
    pub fn digits(&self) -> &[RnsPoly<Ntt>] {
        &self.digits
    }
}
