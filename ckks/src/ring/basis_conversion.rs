//! Fast RNS basis conversion, and exact division with rounding by trailing primes (the
//! key-switching mod-down by `P` and the rescale by the last Q prime).
//!
//! For a source basis `S = s_0⋯s_{m-1}` and `x` given by its residues `x_i`, the fast
//! conversion to a prime `t` is `Σ_i [x_i · (S/s_i)^{-1}]_{s_i} · (S/s_i) mod t`, which equals
//! `x + u·S` for an integer `0 ≤ u < m` (approximate conversion, used for the key-switching
//! mod-up where the extra `u·S` only adds noise). Subtracting `round(Σ_i v_i/s_i)·S` instead
//! yields exactly the centred representative of `x mod S` (computed with `f64`, exact except
//! for values within `m·2^-52·S` of `±S/2`, and exact always for one source prime), which makes
//! the division `(a − [a]_S)/S` a rounding division.

use spencnn_ntt::{Modulus, vector};

use super::buffer_pool::Scratch;
use super::context::RingContext;
use super::poly::RnsPoly;
use super::representation::Ntt;

/// Every limb and scratch buffer has the ring degree as length.
const EQUAL_LIMBS: &str = "limbs have the ring degree as length";

/// `overflow[j] = round(Σ_i scaled[i][j] / s_i)` from `f64` reciprocals `inv_s_i = 1/s_i`: the
/// number of times the source product `S` must be subtracted from `Σ_i scaled_i·(S/s_i)` to reach
/// the centred representative. Inputs reduced modulo their `s_i`.
fn centred_overflow(overflow: &mut [u64], scaled: &[&[u64]], inv_sources: &[f64]) {
    let mut sums = vec![0.0f64; overflow.len()];
    for (input, &inv) in scaled.iter().zip(inv_sources) {
        for (sum, &x) in sums.iter_mut().zip(input.iter()) {
            *sum += x as f64 * inv;
        }
    }
    for (o, sum) in overflow.iter_mut().zip(sums) {
        *o = sum.round() as u64;
    }
}

/// Precomputed constants to convert from a set of source primes to any prime of the ring.
#[derive(Debug, Clone)]
pub(crate) struct BasisConverter {
    source: Vec<usize>,
    /// `[(S/s_i)^{-1}]_{s_i}` with its Shoup companion, per source prime.
    hat_inverse: Vec<(u64, u64)>,
    /// `1 / s_i` for the centred correction.
    inverse_f64: Vec<f64>,
    /// Per global prime `t`: `[(S/s_i)]_t` per source prime, then `[-S]_t`, with Shoup companions.
    target_rows: Vec<Vec<(u64, u64)>>,
}

impl BasisConverter {
    /// Constants for the source primes with the given global indices.
    pub(crate) fn new(ring: &RingContext, source: &[usize]) -> Self {
        let with_shoup = |m: &Modulus, w: u64| (w, m.shoup(w));
        let hat_inverse = source
            .iter()
            .map(|&s| {
                let m = ring.modulus(s);
                let hat = source
                    .iter()
                    .filter(|&&o| o != s)
                    .fold(1u64, |acc, &o| m.mul(acc, m.reduce(ring.modulus(o).value())));
                with_shoup(m, m.inv(hat).expect("distinct primes are coprime"))
            })
            .collect();
        let inverse_f64 = source.iter().map(|&s| 1.0 / ring.modulus(s).value() as f64).collect();
        let target_rows = (0..ring.q_count() + ring.p_count())
            .map(|t| {
                let m = ring.modulus(t);
                let product_of = |skip: Option<usize>| {
                    source
                        .iter()
                        .filter(|&&o| Some(o) != skip)
                        .fold(1u64, |acc, &o| m.mul(acc, m.reduce(ring.modulus(o).value())))
                };
                let mut row: Vec<(u64, u64)> = source.iter().map(|&s| with_shoup(m, product_of(Some(s)))).collect();
                row.push(with_shoup(m, m.neg(product_of(None))));
                row
            })
            .collect();
        Self { source: source.to_vec(), hat_inverse, inverse_f64, target_rows }
    }

    /// Number of source primes.
    pub(crate) fn source_count(&self) -> usize {
        self.source.len()
    }

    /// In place: `x_i ← x_i · (S/s_i)^{-1} mod s_i` for coefficient-form source limbs (in the
    /// order of the source primes given to [`BasisConverter::new`]).
    pub(crate) fn scale_sources(&self, ring: &RingContext, limbs: &mut [Scratch]) {
        for ((limb, &(w, _)), &s) in limbs.iter_mut().zip(&self.hat_inverse).zip(&self.source) {
            if w != 1 {
                spencnn_ntt::vector::mul_scalar_assign(limb, w, ring.modulus(s));
            }
        }
    }

    /// The centred-correction counts `round(Σ_i scaled_i / s_i)`. For one source prime the
    /// correction is `x > s/2`, which [`BasisConverter::convert`] derives from the input itself,
    /// so nothing is written.
    pub(crate) fn centred_overflow(&self, _ring: &RingContext, scaled: &[Scratch], overflow: &mut [u64]) {
        if scaled.len() > 1 {
            let views: Vec<&[u64]> = scaled.iter().map(|s| &s[..]).collect();
            centred_overflow(overflow, &views, &self.inverse_f64);
        }
    }

    /// Writes the conversion to global prime `target` into `out` (reduced). With `overflow`
    /// from [`BasisConverter::centred_overflow`], the result is the centred representative;
    /// without it, `x + u·S` with `0 ≤ u < source_count`.
    pub(crate) fn convert(
        &self,
        ring: &RingContext,
        scaled: &[Scratch],
        overflow: Option<&[u64]>,
        target: usize,
        out: &mut [u64],
    ) {
        let row = &self.target_rows[target];
        let modulus = ring.modulus(target);
        if let (Some(_), [single]) = (overflow, scaled) {
            let s = ring.modulus(self.source[0]).value();
            // row[1] = −S mod t, so S mod t = t − row[1] (or 0).
            let s_mod_t = modulus.neg(row[1].0);
            vector::reduce_centred(out, single, s / 2, s_mod_t, modulus).expect(EQUAL_LIMBS);
            return;
        }
        let mut inputs: Vec<&[u64]> = scaled.iter().map(|s| &s[..]).collect();
        let constants = match overflow {
            Some(u) => {
                inputs.push(u);
                &row[..]
            }
            None => &row[..self.source.len()],
        };
        vector::weighted_sum(out, &inputs, constants, modulus).expect(EQUAL_LIMBS);
    }
}

/// Exact division with rounding by the product `D` of a polynomial's trailing limbs:
/// `a ↦ round(a / D)` modulo the remaining primes, on NTT-form polynomials.
///
/// Used for the key-switching mod-down (`D = P`, the P limbs) and for the rescale
/// (`D` = the last prime of a polynomial without P limbs).
#[derive(Debug, Clone)]
pub(crate) struct DivideRound {
    converter: BasisConverter,
    /// `[D^{-1}]_t` with its Shoup companion, per global prime (unused for divisor primes).
    divisor_inverse: Vec<(u64, u64)>,
}

impl DivideRound {
    /// Constants for dividing by the primes with the given global indices.
    pub(crate) fn new(ring: &RingContext, divisor: &[usize]) -> Self {
        let converter = BasisConverter::new(ring, divisor);
        let divisor_inverse = (0..ring.q_count() + ring.p_count())
            .map(|t| {
                let m = ring.modulus(t);
                let d = divisor.iter().fold(1u64, |acc, &o| m.mul(acc, m.reduce(ring.modulus(o).value())));
                let inv = if divisor.contains(&t) { 0 } else { m.inv(d).expect("distinct primes are coprime") };
                (inv, m.shoup(inv))
            })
            .collect();
        Self { converter, divisor_inverse }
    }

    /// Replaces `poly` by `round(poly / D)` over its leading limbs and drops the trailing
    /// `D` limbs. `poly` must be in NTT form and end with exactly the divisor primes.
    pub(crate) fn apply(&self, ring: &RingContext, poly: &mut RnsPoly<Ntt>) {
        let count = self.converter.source_count();
        let n = poly.n();
        let kept = poly.limb_count() - count;
        let (level, special) = (poly.q_limb_count(), poly.p_limb_count());
        let mut scaled: Vec<Scratch> = (kept..kept + count)
            .map(|i| {
                let mut limb = Scratch::copy_of(poly.limb(i));
                ring.plan(ring.prime_index(level, i)).inverse(&mut limb).expect("limb length is the ring degree");
                limb
            })
            .collect();
        self.converter.scale_sources(ring, &mut scaled);
        let mut overflow = Scratch::zeroed(n);
        self.converter.centred_overflow(ring, &scaled, &mut overflow);
        let mut converted = Scratch::zeroed(n);
        for i in 0..kept {
            let target = ring.prime_index(level, i);
            self.converter.convert(ring, &scaled, Some(&overflow), target, &mut converted);
            ring.plan(target).forward(&mut converted).expect("limb length is the ring degree");
            let (w, w_shoup) = self.divisor_inverse[target];
            vector::sub_mul_scalar_assign(poly.limb_mut(i), &converted, w, w_shoup, ring.modulus(target))
                .expect(EQUAL_LIMBS);
        }
        debug_assert!(special == 0 || special == count);
        poly.drop_trailing_limbs(count);
    }
}
