//! EvalMod: the homomorphic `x ↦ x mod 1` on slots holding `x/K'`, `x = I + ε`, `|I| < K`,
//! `K' = K + 1/4`.
//!
//! With `u = (x − 1/4)/K' ∈ [−1, 1]` (a constant subtraction), a Chebyshev interpolant of the
//! *even* function `u ↦ cos(2π·K'·u/2^r)` (evaluated with the [`PolynomialEvaluator`]: depth
//! `ceil(log2(d + 1))`, exact output scale, even powers only) gives `cos(2π(x − 1/4)/2^r)`, and
//! `r` double angles `c ↦ 2c² − 1` give `cos(2π(x − 1/4)) = sin(2πx)`;
//! `sin(2πx)/(2π) = ε − O(ε³)`. Near the extremes `c ≈ ±1` a double angle multiplies an error
//! in `c` by 4, so the `r` steps amplify the polynomial's error by about `0.64·4^r`: the
//! interpolant must be about that much more accurate than the result.
//!
//! **Scales.** Each double angle squares and rescales by the prime `q` of its level: an input
//! of scale `sqrt(T·q)` lands exactly on `T`. The output scale is given, and the targets are
//! computed backwards from it, so that the polynomial is evaluated to exactly the scale the
//! first squaring needs.

use std::f64::consts::PI;

use super::config::EvalModConfig;
use super::rescale_prime;
use crate::Ciphertext;
use crate::circuits::CircuitError;
use crate::circuits::polynomial::{Interval, Polynomial, PolynomialEvaluator};
use crate::evaluator::Evaluator;
use crate::params::Parameters;
use crate::rlwe::RelinKey;

/// The encoded modular reduction for one position in the chain.
#[derive(Debug, Clone)]
pub(crate) struct EvalMod {
    pub(super) polynomial: Polynomial,
    pub(super) double_angles: u32,
    input_level: usize,
    /// `1/(4K')`: subtracted from the input to give `u`.
    shift: f64,
    /// The scale of the polynomial's output (`targets[0]`) and after each double angle;
    /// the last is the output scale.
    pub(super) targets: Vec<f64>,
}

impl EvalMod {
    /// The reduction of a ciphertext at `input_level` (holding `x/K`), with output scale
    /// `output_scale`.
    pub(crate) fn new(
        params: &Parameters,
        config: &EvalModConfig,
        input_level: usize,
        output_scale: f64,
    ) -> Result<Self, CircuitError> {
        let k = shifted_bound(config);
        let divisor = f64::from(config.double_angles).exp2();
        let interpolant =
            Polynomial::interpolate(|u| (2.0 * PI * k * u / divisor).cos(), Interval::UNIT, config.degree)?;
        // The function is even: its odd Chebyshev coefficients are rounding noise. Zeroing
        // them lets the evaluator compute only even powers.
        let even: Vec<f64> =
            interpolant.coefficients().iter().enumerate().map(|(i, &c)| if i % 2 == 0 { c } else { 0.0 }).collect();
        let polynomial = Polynomial::chebyshev(&even, Interval::UNIT)?;
        let polynomial_level = input_level - polynomial.depth();
        let r = config.double_angles as usize;
        let mut targets = vec![output_scale; r + 1];
        for j in (0..r).rev() {
            // Double angle j + 1 squares at `polynomial_level − j` and rescales by its prime.
            let q = rescale_prime(params, polynomial_level - j) as f64;
            targets[j] = (targets[j + 1] * q).sqrt();
        }
        Ok(Self { polynomial, double_angles: config.double_angles, input_level, shift: 0.25 / k, targets })
    }

    /// The level of the output.
    pub(crate) fn output_level(&self) -> usize {
        self.input_level - self.polynomial.depth() - self.double_angles as usize
    }

    /// `sin(2πx)` for a ciphertext holding `x/K'` at the input level (any scale).
    pub(crate) fn evaluate(
        &self,
        evaluator: &Evaluator,
        relin_key: &RelinKey,
        ct: &Ciphertext,
    ) -> Result<Ciphertext, CircuitError> {
        let polynomials = PolynomialEvaluator::new(evaluator, relin_key);
        let u = evaluator.add_const(ct, -self.shift)?;
        let mut c = polynomials.evaluate_to_scale(&u, &self.polynomial, self.targets[0])?;
        for &target in &self.targets[1..] {
            let mut square = evaluator.square_relin(&c, relin_key)?;
            evaluator.rescale_assign(&mut square)?;
            debug_assert!((square.scale / target - 1.0).abs() < 1e-9);
            square.scale = target;
            c = evaluator.add_const(&evaluator.multiply_integer(&square, 2)?, -1.0)?;
        }
        Ok(c)
    }
}

/// `K' = K + 1/4`: the input `x/K'` and the shifted `u = (x − 1/4)/K'` stay in `[−1, 1]`.
pub(crate) fn shifted_bound(config: &EvalModConfig) -> f64 {
    f64::from(config.interval_bound) + 0.25
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The plaintext model of the circuit: polynomial then double angles, in `f64`.
    fn model(eval_mod: &EvalMod, x: f64, k: f64) -> f64 {
        let mut c = eval_mod.polynomial.evaluate(x / k - eval_mod.shift);
        for _ in 0..eval_mod.double_angles {
            c = 2.0 * c * c - 1.0;
        }
        c
    }

    #[test]
    fn the_model_reduces_modulo_one_on_the_whole_interval() {
        let params = Parameters::builder()
            .log_n(10)
            .q_bits(&[60; 16])
            .p_bits(&[60])
            .insecure_for_testing_only()
            .build()
            .unwrap();
        for (k, r, degree, bits) in
            [(512u32, 4u32, 255usize, 36.0), (512, 7, 63, 36.0), (128, 7, 31, 36.0), (16, 3, 30, 25.0)]
        {
            let config = EvalModConfig { interval_bound: k, double_angles: r, degree };
            let eval_mod = EvalMod::new(&params, &config, params.max_level(), 2f64.powi(55)).unwrap();
            assert_eq!(eval_mod.output_level(), params.max_level() - config.depth());
            let mut worst: f64 = 0.0;
            for i in -(k as i64) + 1..k as i64 {
                for epsilon in [-1e-3, -1e-4, 0.0, 3e-4, 1e-3] {
                    let x = i as f64 + epsilon;
                    let got = model(&eval_mod, x, shifted_bound(&config)) / (2.0 * PI);
                    worst = worst.max((got - (2.0 * PI * epsilon).sin() / (2.0 * PI)).abs());
                }
            }
            println!("K = {k}, r = {r}, degree {degree}: worst error 2^{:.1}", worst.log2());
            assert!(worst < 2f64.powf(-bits), "K = {k}: error 2^{:.1}", worst.log2());
            // Targets: each is the geometric mean of the next and the prime.
            assert_eq!(eval_mod.targets.len(), r as usize + 1);
            assert_eq!(eval_mod.polynomial.parity(), crate::circuits::polynomial::Parity::Even);
            assert_eq!(eval_mod.targets[r as usize], 2f64.powi(55));
        }
    }
}
