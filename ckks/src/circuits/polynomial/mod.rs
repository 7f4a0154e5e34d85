//! Polynomial evaluation on ciphertexts: power and Chebyshev bases on an interval,
//! baby-step giant-step (Paterson–Stockmeyer), depth-optimal and scale-exact.
//!
//! # Design
//!
//! * [`Polynomial`]: coefficients in the [`Basis::Chebyshev`] or [`Basis::Monomial`] basis,
//!   in the variable `y = (2x − a − b)/(b − a)` of an [`Interval`] `[a, b]`;
//!   [`Polynomial::interpolate`] and [`Polynomial::interpolate_to_error`] build Chebyshev
//!   interpolants of any `f64` function, [`Polynomial::evaluate`] is the `f64` reference.
//! * [`EvaluationPlan`] (pure, tested in `f64`): the polynomial is divided recursively by the
//!   largest power of two `n ≤ degree`, `p = q·B_n + r`, until the parts are short enough
//!   (the baby-step bound `2^s`, chosen per polynomial by a cost model) *and* fit their level
//!   budget. The quotient of a split is placed one level above its parent's result, the
//!   remainder at the same level; the chain of leading quotients has no slack and is split
//!   further. Result: exactly `ceil(log2(d + 1))` levels for degree `d`, about `2·sqrt(d)`
//!   ciphertext products. Odd/even polynomials need only odd/even powers (plus powers of two).
//! * [`PolynomialEvaluator`]: computes the powers `B_i` (`T_{a+b} = 2·T_a·T_b − T_{a−b}`), then
//!   walks the plan. **Scale-exactness**: every leaf `Σ c_i·B_i` multiplies each power by the
//!   integer `round(c_i·S·q/scale(B_i))`, so all terms share the scale `S·q` and one rescale by
//!   `q` leaves exactly `S`; a quotient is evaluated for the scale `S·q/scale(B_n)` so that its
//!   product with `B_n` lands on `S·q` too. The output scale is the requested one whatever the
//!   primes are; the powers' own scales are kept within a factor 2 below the primes by integer
//!   factors (their drift would otherwise compound over squarings). **Lazy relinearization**:
//!   values are returned before their last rescale, so a chain of remainders sums its
//!   products unrelinearized and relinearizes and rescales once. **Level-aware**: operands are
//!   read at the lowest level they are needed at (fewer limbs).
//! * The interval map `y = α·x + β` is folded into the input's scale when `α·q ≥ scale`
//!   (`B_1` is the input times the integer `M = floor(α·q/scale)` plus a constant, read at scale
//!   `M·scale/α`; no level), otherwise it costs one level
//!   ([`PolynomialEvaluator::levels_consumed`] tells which). An input encoded at a scale
//!   `≤ α·q` (e.g. `q/K` for `[-K, K]`) always folds.
//!
//! For EvalMod-style use (a Chebyshev approximation on `[-K, K]` followed by squarings):
//! `PolynomialEvaluator::evaluate_to_scale(ct, &p, target)` returns exactly `target` at level
//! `ct.level() − levels_consumed(&p, &ct)`; with [`crate::ManagedEvaluator`] or
//! [`crate::Evaluator::multiply_const_rescale`] the squarings stay scale-exact too.

mod composite;
mod evaluator;
mod interpolation;
mod interval;
mod plan;
#[allow(clippy::module_inception)]
mod polynomial;
mod power_basis;

pub use composite::CompositePolynomial;
pub use evaluator::PolynomialEvaluator;
pub use interval::Interval;
pub use plan::EvaluationPlan;
pub use polynomial::{Basis, MAX_DEGREE, Parity, Polynomial};
