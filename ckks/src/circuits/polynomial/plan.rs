//! The evaluation plan: which powers to compute and how to split the polynomial, as a pure
//! function of the coefficients (no ciphertext involved, so it is tested in `f64`).
//!
//! The polynomial `p` of degree `d` and depth `m = ceil(log2(d + 1))` is split recursively by the
//! largest power of two `n ≤ deg`: `p = q·B_n + r` (see [`divide_by_basis_element`]), until a
//! part has degree below the baby-step bound `2^s` *and* fits its level budget; such a part is
//! a *leaf*, a linear combination of the precomputed powers `B_i`, `i < 2^s`.
//!
//! Levels are counted as depths below the level of `B_1 = y`: `B_i` costs `ceil(log2 i)`
//! levels. A node whose result must be ready at depth `t` puts its quotient at depth `t − 1`
//! (the product with `B_n`, `n = 2^k`, `k ≤ t − 1`, consumes one more) and its remainder at
//! depth `t`. A leaf at depth `t` multiplies each `B_i` by a constant, which costs one level, so
//! it needs `ceil(log2 i) ≤ t − 1` for every term. The root is at depth `m`; every part of
//! degree below `2^j` placed at depth `≥ j` is feasible by splitting down to degree 1, so the
//! plan always exists and consumes exactly `m` levels. Only the chain of leading quotients has
//! no slack; it is split further than the other parts (a few extra products instead of a
//! level).

use super::polynomial::{Basis, ceil_log2, divide_by_basis_element, negligible_threshold};

/// How one power `B_i` is computed from smaller ones: `B_i = B_a·B_b` (monomial) or
/// `B_i = 2·B_a·B_b − B_c` (Chebyshev; `c = 0` is the constant 1), with `a = 2^k` the largest
/// power of two below `i` (or `a = b = i/2` for a power of two).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct PowerStep {
    pub index: usize,
    pub a: usize,
    pub b: usize,
    pub subtract: Option<usize>,
}

/// A node of the split tree.
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Node {
    /// `Σ c_i B_i` with the precomputed powers (`c_0` is the constant).
    Leaf { coefficients: Vec<f64> },
    /// `quotient·B_power + remainder`.
    Split { power: usize, quotient: Box<Node>, remainder: Box<Node> },
}

/// The plan for one polynomial: powers in computation order, and the split tree.
#[derive(Debug, Clone, PartialEq)]
pub struct EvaluationPlan {
    pub(crate) basis: Basis,
    pub(crate) depth: usize,
    pub(crate) baby_bound: usize,
    pub(crate) powers: Vec<PowerStep>,
    pub(crate) root: Node,
}

impl EvaluationPlan {
    /// The plan with the cheapest baby-step bound for `coefficients` in `basis`.
    pub(crate) fn new(basis: Basis, coefficients: &[f64]) -> Self {
        let threshold = negligible_threshold(coefficients);
        let mut cleaned: Vec<f64> = coefficients.iter().map(|&c| if c.abs() <= threshold { 0.0 } else { c }).collect();
        while cleaned.len() > 1 && cleaned.last() == Some(&0.0) {
            cleaned.pop();
        }
        let depth = ceil_log2(cleaned.len());
        (1..=depth.max(1))
            .map(|s| Self::with_baby_bound(basis, &cleaned, depth, 1 << s))
            .min_by(|x, y| x.cost().total_cmp(&y.cost()))
            .expect("at least one baby-step bound")
    }

    fn with_baby_bound(basis: Basis, coefficients: &[f64], depth: usize, baby_bound: usize) -> Self {
        let root = build(basis, coefficients, depth, baby_bound);
        let mut needed = Vec::new();
        collect_powers(&root, &mut needed);
        let powers = power_steps(basis, needed);
        Self { basis, depth, baby_bound, powers, root }
    }

    /// Levels consumed below the level of `B_1 = y`: `ceil(log2(degree + 1))`.
    pub fn depth(&self) -> usize {
        self.depth
    }

    /// The baby-step bound `2^s`: leaves are combinations of `B_i`, `i < 2^s`.
    pub fn baby_step_bound(&self) -> usize {
        self.baby_bound
    }

    /// Number of ciphertext-ciphertext products (powers and splits).
    pub fn ciphertext_products(&self) -> usize {
        self.powers.len() + count_splits(&self.root)
    }

    /// Number of relinearizations: one per power, one per split whose result is multiplied
    /// again (a quotient), one for the result. The products of a chain of remainders are
    /// summed before one relinearization.
    pub fn relinearizations(&self) -> usize {
        self.powers.len() + count_quotient_splits(&self.root, false) + 1
    }

    /// A cost estimate in units of one relinearization (key switching dominates): a
    /// tensor product or a rescale costs about a sixth of it, a constant term a fiftieth.
    fn cost(&self) -> f64 {
        let products = self.ciphertext_products() as f64;
        let rescales = (self.powers.len() + count_quotient_splits(&self.root, false) + 1) as f64;
        self.relinearizations() as f64 + (products + rescales) / 6.0 + count_leaf_terms(&self.root) as f64 / 50.0
    }

    /// The polynomial at `y` computed along the plan in `f64` (the same powers, splits and
    /// leaves as the encrypted evaluation); used to test the plan against Clenshaw.
    #[cfg(test)]
    pub(crate) fn evaluate_plain(&self, y: f64) -> f64 {
        let mut powers = std::collections::BTreeMap::from([(0usize, 1.0), (1usize, y)]);
        for step in &self.powers {
            let product = powers[&step.a] * powers[&step.b];
            let value = match step.subtract {
                Some(c) => 2.0 * product - powers[&c],
                None => product,
            };
            powers.insert(step.index, value);
        }
        fn walk(node: &Node, powers: &std::collections::BTreeMap<usize, f64>) -> f64 {
            match node {
                Node::Leaf { coefficients } => {
                    coefficients.iter().enumerate().filter(|(_, c)| **c != 0.0).map(|(i, c)| c * powers[&i]).sum()
                }
                Node::Split { power, quotient, remainder } => {
                    walk(quotient, powers) * powers[power] + walk(remainder, powers)
                }
            }
        }
        walk(&self.root, &powers)
    }
}

/// Whether a leaf at `depth` can hold these coefficients: every non-constant term's power
/// must be ready one level above.
fn leaf_fits(coefficients: &[f64], depth: usize) -> bool {
    coefficients.iter().enumerate().skip(1).filter(|(_, c)| **c != 0.0).all(|(i, _)| ceil_log2(i) < depth)
}

/// The split tree of `coefficients` (no trailing zeros) with its result at `depth`.
fn build(basis: Basis, coefficients: &[f64], depth: usize, baby_bound: usize) -> Node {
    let degree = coefficients.len() - 1;
    if degree == 0 || (degree < baby_bound && leaf_fits(coefficients, depth)) {
        return Node::Leaf { coefficients: coefficients.to_vec() };
    }
    debug_assert!(degree < 1 << depth, "degree {degree} does not fit depth {depth}");
    let power = 1usize << (usize::BITS - 1 - degree.leading_zeros());
    let (mut quotient, mut remainder) = divide_by_basis_element(basis, coefficients, power);
    for part in [&mut quotient, &mut remainder] {
        while part.len() > 1 && part.last() == Some(&0.0) {
            part.pop();
        }
    }
    Node::Split {
        power,
        quotient: Box::new(build(basis, &quotient, depth - 1, baby_bound)),
        remainder: Box::new(build(basis, &remainder, depth, baby_bound)),
    }
}

/// Every power the tree reads (leaf terms and split powers), `≥ 2`.
fn collect_powers(node: &Node, out: &mut Vec<usize>) {
    match node {
        Node::Leaf { coefficients } => {
            out.extend(coefficients.iter().enumerate().skip(2).filter(|(_, c)| **c != 0.0).map(|(i, _)| i))
        }
        Node::Split { power, quotient, remainder } => {
            if *power >= 2 {
                out.push(*power);
            }
            collect_powers(quotient, out);
            collect_powers(remainder, out);
        }
    }
}

/// The steps computing `needed` and everything they depend on, in increasing order.
fn power_steps(basis: Basis, mut needed: Vec<usize>) -> Vec<PowerStep> {
    let mut steps = std::collections::BTreeMap::new();
    while let Some(index) = needed.pop() {
        if index < 2 || steps.contains_key(&index) {
            continue;
        }
        let a = if index.is_power_of_two() { index / 2 } else { 1 << (usize::BITS - 1 - index.leading_zeros()) };
        let b = index - a;
        let subtract = (basis == Basis::Chebyshev).then_some(a - b);
        steps.insert(index, PowerStep { index, a, b, subtract });
        needed.extend([a, b]);
        needed.extend(subtract);
    }
    steps.into_values().collect()
}

fn count_splits(node: &Node) -> usize {
    match node {
        Node::Leaf { .. } => 0,
        Node::Split { quotient, remainder, .. } => 1 + count_splits(quotient) + count_splits(remainder),
    }
}

/// Splits whose result is a quotient (relinearized and rescaled before its product).
fn count_quotient_splits(node: &Node, is_quotient: bool) -> usize {
    match node {
        Node::Leaf { .. } => 0,
        Node::Split { quotient, remainder, .. } => {
            usize::from(is_quotient) + count_quotient_splits(quotient, true) + count_quotient_splits(remainder, false)
        }
    }
}

fn count_leaf_terms(node: &Node) -> usize {
    match node {
        Node::Leaf { coefficients } => coefficients.iter().filter(|c| **c != 0.0).count(),
        Node::Split { quotient, remainder, .. } => count_leaf_terms(quotient) + count_leaf_terms(remainder),
    }
}

/// The parity the plan's powers inherit (odd polynomials need only odd powers and powers of
/// two; the division keeps the parity because every split power is even).
#[cfg(test)]
fn plan_parity(plan: &EvaluationPlan) -> super::polynomial::Parity {
    use super::polynomial::Parity;
    let odd = plan.powers.iter().all(|s| s.index % 2 == 1 || s.index.is_power_of_two());
    if odd { Parity::Odd } else { Parity::Mixed }
}

#[cfg(test)]
mod tests {
    use super::super::polynomial::{Parity, evaluate_in_basis};
    use super::*;

    fn coefficients(degree: usize, seed: u64, odd: bool) -> Vec<f64> {
        let mut state = seed | 1;
        (0..=degree)
            .map(|i| {
                state ^= state << 13;
                state ^= state >> 7;
                state ^= state << 17;
                let c = (state >> 11) as f64 / (1u64 << 53) as f64 * 2.0 - 1.0;
                if odd && i % 2 == 0 { 0.0 } else { c / (1.0 + i as f64) }
            })
            .collect()
    }

    /// Walks the tree as the encrypted evaluator does and checks every level requirement:
    /// `B_i` is at depth `ceil(log2 i)` below `B_1`, a node's result at its depth.
    fn check_levels(node: &Node, depth: usize) {
        match node {
            Node::Leaf { coefficients } => assert!(leaf_fits(coefficients, depth) || coefficients.len() == 1),
            Node::Split { power, quotient, remainder } => {
                assert!(ceil_log2(*power) < depth, "power {power} at depth {depth}");
                check_levels(quotient, depth - 1);
                check_levels(remainder, depth);
            }
        }
    }

    #[test]
    fn plans_reproduce_the_polynomial_and_consume_exactly_the_optimal_depth() {
        for basis in [Basis::Chebyshev, Basis::Monomial] {
            for degree in (1..=70).chain([127, 128, 255, 300]) {
                for odd in [false, true] {
                    let c = coefficients(degree, degree as u64 * 31 + u64::from(odd), odd);
                    let plan = EvaluationPlan::new(basis, &c);
                    let effective = c.iter().rposition(|x| *x != 0.0).unwrap();
                    assert_eq!(plan.depth(), ceil_log2(effective + 1), "{basis:?} degree {degree}");
                    check_levels(&plan.root, plan.depth());
                    for k in 0..=16 {
                        let y = -1.0 + k as f64 / 8.0;
                        let expected = evaluate_in_basis(basis, &c, y);
                        let tolerance = if basis == Basis::Monomial { 1e-10 } else { 1e-12 };
                        assert!(
                            (plan.evaluate_plain(y) - expected).abs() < tolerance,
                            "{basis:?} degree {degree} odd {odd} at {y}"
                        );
                    }
                    if odd && degree > 1 {
                        assert_eq!(plan_parity(&plan), Parity::Odd, "degree {degree}");
                    }
                }
            }
        }
    }

    #[test]
    fn baby_step_giant_step_keeps_products_near_two_square_roots_of_the_degree() {
        for degree in [15usize, 31, 63, 127, 255] {
            let plan = EvaluationPlan::new(Basis::Chebyshev, &coefficients(degree, 7, false));
            let bound = 2.0 * ((degree + 1) as f64).sqrt() + ceil_log2(degree + 1) as f64 + 2.0;
            assert!(
                (plan.ciphertext_products() as f64) <= bound,
                "degree {degree}: {} products, bound {bound}",
                plan.ciphertext_products()
            );
            assert!(plan.relinearizations() <= plan.ciphertext_products() + 1);
        }
    }

    #[test]
    fn constants_and_linear_polynomials_need_no_power() {
        let constant = EvaluationPlan::new(Basis::Chebyshev, &[0.5]);
        assert_eq!((constant.depth(), constant.powers.len(), constant.ciphertext_products()), (0, 0, 0));
        let linear = EvaluationPlan::new(Basis::Chebyshev, &[0.5, -2.0, 0.0]);
        assert_eq!((linear.depth(), linear.powers.len()), (1, 0));
        assert_eq!(linear.evaluate_plain(0.25), 0.0);
    }
}
