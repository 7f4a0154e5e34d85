//! Composite minimax approximations of `sign(x)` on `[-1, -ε] ∪ [ε, 1]`, and ReLU from them.
//!
//! The construction follows the composite-minimax idea of Lee, Lee, Kim and No (IEEE TDSC
//! 2021): instead of one polynomial of huge degree, a short chain of odd minimax polynomials,
//! each mapping its domain `[e_i, 1]` into `[1 − τ_i, 1 + τ_i]`. Every stage but the last is
//! divided by `1 + τ_i`, so that its image `[(1 − τ_i)/(1 + τ_i), 1]` is the next domain
//! `[e_{i+1}, 1]` and values never leave `[-1, 1]`; the last stage's error `τ_k` is the
//! approximation's error.
//!
//! Stage degrees are `2^j − 1` (the most a depth of `j` levels buys). The chain is chosen by a
//! dynamic programme over the depth: the error of the composite only improves when a stage's
//! domain grows, so for every depth `d` it suffices to keep the largest `e` reachable with
//! `d` levels; the first depth at which a last stage reaches `τ ≤ 2^-α` is the minimal depth.
//! A candidate stage whose normalised polynomial leaves `[-1, 1]` on `[0, 1]` (so inputs in
//! the gap `(-ε, ε)` could blow up later stages) is not used.

use super::remez::{OddMinimax, odd_minimax_for_one};
use crate::circuits::CircuitError;
use crate::circuits::polynomial::{Interval, Polynomial};

/// Stage depths tried: degrees 3, 7, 15, 31, 63.
const STAGE_DEPTHS: std::ops::RangeInclusive<usize> = 2..=6;
/// The deepest chain searched.
const MAX_TOTAL_DEPTH: usize = 48;
/// Supported `ε` and precision ranges.
pub(crate) const EPSILON_RANGE: (f64, f64) = (1.0 / (1u64 << 30) as f64, 0.5);
pub(crate) const PRECISION_RANGE: (f64, f64) = (1.0, 40.0);

/// The stages of a sign approximation: odd Chebyshev series on `[-1, 1]`, first applied
/// first, the last one un-normalised.
pub(crate) fn sign_stages(epsilon: f64, precision_bits: f64) -> Result<Vec<Polynomial>, CircuitError> {
    check_range("epsilon", epsilon, EPSILON_RANGE)?;
    check_range("precision_bits", precision_bits, PRECISION_RANGE)?;
    let target = (-precision_bits).exp2();
    // best[d] = (largest lower end e reachable with d levels, the normalised stages so far).
    let mut best: Vec<Option<(f64, Vec<OddMinimax>)>> = vec![None; MAX_TOTAL_DEPTH + 1];
    best[0] = Some((epsilon, Vec::new()));
    for depth in 1..=MAX_TOTAL_DEPTH {
        let mut finished: Option<(usize, Vec<OddMinimax>)> = None;
        for stage_depth in STAGE_DEPTHS.filter(|&j| j <= depth) {
            let Some((e, chain)) = &best[depth - stage_depth] else { continue };
            let k = ((1usize << stage_depth) - 2) / 2; // degree 2^j − 1 = 2k + 1
            let stage = odd_minimax_for_one(*e, 1.0, k);
            if stage.error <= target {
                let products = chain.iter().map(|s| s.odd_coefficients.len()).sum::<usize>() + k;
                if finished.as_ref().is_none_or(|(p, _)| products < *p) {
                    let mut stages = chain.clone();
                    stages.push(stage.clone());
                    finished = Some((products, stages));
                }
                continue;
            }
            let normalised = normalise(&stage);
            if !stays_in_unit_range(&normalised) {
                continue;
            }
            let next_e = (1.0 - stage.error) / (1.0 + stage.error);
            if best[depth].as_ref().is_none_or(|(best_e, _)| next_e > *best_e) {
                let mut stages = chain.clone();
                stages.push(normalised);
                best[depth] = Some((next_e, stages));
            }
        }
        if let Some((_, stages)) = finished {
            return stages
                .iter()
                .map(|s| Polynomial::chebyshev(&s.coefficients(), Interval::UNIT))
                .collect::<Result<Vec<_>, _>>();
        }
    }
    Err(CircuitError::ApproximationNotReached {
        target_error: target,
        max_degree: (1 << STAGE_DEPTHS.end()) - 1,
        achieved_error: f64::NAN,
    })
}

fn check_range(what: &'static str, value: f64, (min, max): (f64, f64)) -> Result<(), CircuitError> {
    if (min..=max).contains(&value) { Ok(()) } else { Err(CircuitError::ParameterOutOfRange { what, value, min, max }) }
}

/// `p/(1 + τ)`.
fn normalise(stage: &OddMinimax) -> OddMinimax {
    let factor = 1.0 / (1.0 + stage.error);
    OddMinimax { odd_coefficients: stage.odd_coefficients.iter().map(|c| c * factor).collect(), error: stage.error }
}

/// Whether `|p| ≤ 1` on `[0, 1]` (and so on `[-1, 1]`, `p` being odd).
fn stays_in_unit_range(stage: &OddMinimax) -> bool {
    (0..=4096).all(|i| stage.evaluate(i as f64 / 4096.0).abs() <= 1.0 + 1e-9)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::circuits::polynomial::CompositePolynomial;

    fn worst_sign_error(composite: &CompositePolynomial, epsilon: f64) -> f64 {
        (0..=20_000)
            .map(|i| epsilon + (1.0 - epsilon) * i as f64 / 20_000.0)
            .flat_map(|x| [(x, 1.0), (-x, -1.0)])
            .map(|(x, s)| (composite.evaluate(x) - s).abs())
            .fold(0.0, f64::max)
    }

    #[test]
    fn composite_sign_reaches_the_precision_outside_the_gap_and_stays_bounded_inside() {
        for (epsilon, bits) in [(1.0 / 64.0, 10.0), (1.0 / 256.0, 12.0), (1.0 / 1024.0, 16.0)] {
            let stages = sign_stages(epsilon, bits).unwrap();
            let composite = CompositePolynomial::new(stages).unwrap();
            let error = worst_sign_error(&composite, epsilon);
            assert!(error <= (-bits).exp2() * 1.01, "ε={epsilon} α={bits}: {error}");
            let inside = (0..=1000).map(|i| composite.evaluate(epsilon * i as f64 / 1000.0).abs()).fold(0.0, f64::max);
            assert!(inside <= 1.0 + (-bits).exp2() * 1.01, "ε={epsilon}: {inside} inside the gap");
            println!("ε = {epsilon}, α = {bits}: depth {}, worst error 2^{:.2}", composite.depth(), error.log2());
        }
    }

    #[test]
    fn out_of_range_requests_are_typed() {
        assert!(matches!(sign_stages(0.0, 10.0), Err(CircuitError::ParameterOutOfRange { what: "epsilon", .. })));
        assert!(matches!(
            sign_stages(0.1, 90.0),
            Err(CircuitError::ParameterOutOfRange { what: "precision_bits", .. })
        ));
        assert!(matches!(sign_stages(f64::NAN, 10.0), Err(CircuitError::ParameterOutOfRange { .. })));
    }
}
