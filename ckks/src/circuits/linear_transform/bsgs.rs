//! The baby-step giant-step split of a matrix's diagonals.
//!
//! With a baby span `n_1` (a power of two), diagonal `k` is written `k = g + b` with the giant
//! step `g = k − (k mod n_1)` and the baby step `b = k mod n_1`. Then
//!
//! `M·x = Σ_g rot_g( Σ_b rot_{-g}(d_{g+b}) ⊙ rot_b(x) )`,
//!
//! so the rotations of `x` are the distinct baby steps (all from one hoisted decomposition), and
//! each distinct giant step costs one more rotation of a partial sum. The plaintexts are the
//! diagonals pre-rotated by `-g`. For diagonals that are multiples of a stride `2^a` (the DFT
//! factors), `n_1 = b·2^a` gives baby steps that are multiples of `2^a` as well.

use std::collections::BTreeMap;

use crate::circuits::CircuitError;

/// Relative costs of the parts of a BSGS evaluation, used to choose the baby span.
///
/// With double hoisting a baby step costs a key-switch inner product (no mod-down), a giant
/// step a mod-down, a decomposition and an inner product, and every diagonal a plaintext
/// product in the extended basis.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct BsgsCost {
    /// Cost of one non-zero baby rotation.
    pub baby: f64,
    /// Cost of one non-zero giant rotation.
    pub giant: f64,
}

impl Default for BsgsCost {
    /// A giant step costs about three baby steps with double hoisting (measured at
    /// `N = 2^14..2^16`).
    fn default() -> Self {
        Self { baby: 1.0, giant: 3.0 }
    }
}

/// The split of a set of diagonal indices into baby and giant steps; see the module
/// documentation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BsgsSplit {
    dimension: usize,
    baby_span: usize,
    /// Giant step `g` → the baby steps `b` of the diagonals `g + b`, ascending.
    groups: BTreeMap<usize, Vec<usize>>,
}

impl BsgsSplit {
    /// The split of `indices` (in `0..dimension`, duplicates ignored) with baby span
    /// `baby_span`.
    ///
    /// # Errors
    /// [`CircuitError::InvalidMatrixDimension`] unless `dimension` is a power of two,
    /// [`CircuitError::InvalidBabySpan`] unless `baby_span` is a power of two `≤ dimension`,
    /// [`CircuitError::DiagonalLength`] for an index `≥ dimension`.
    pub fn new(
        dimension: usize,
        indices: impl IntoIterator<Item = usize>,
        baby_span: usize,
    ) -> Result<Self, CircuitError> {
        if !dimension.is_power_of_two() {
            return Err(CircuitError::InvalidMatrixDimension { dimension });
        }
        if !baby_span.is_power_of_two() || baby_span > dimension {
            return Err(CircuitError::InvalidBabySpan { baby_span, dimension });
        }
        let mut groups: BTreeMap<usize, Vec<usize>> = BTreeMap::new();
        for k in indices {
            if k >= dimension {
                return Err(CircuitError::DiagonalLength { index: k as i64, len: dimension, dimension });
            }
            let baby = k & (baby_span - 1);
            let babies = groups.entry(k - baby).or_default();
            if !babies.contains(&baby) {
                babies.push(baby);
            }
        }
        groups.values_mut().for_each(|b| b.sort_unstable());
        Ok(Self { dimension, baby_span, groups })
    }

    /// The split with the baby span that minimises `cost.baby·(baby rotations) +
    /// cost.giant·(giant rotations)` (ties: the smaller span, which needs fewer rotated copies
    /// of the input in memory).
    ///
    /// # Errors
    /// As [`BsgsSplit::new`].
    pub fn optimal(
        dimension: usize,
        indices: impl IntoIterator<Item = usize>,
        cost: BsgsCost,
    ) -> Result<Self, CircuitError> {
        let indices: Vec<usize> = indices.into_iter().collect();
        let mut best = Self::new(dimension, indices.iter().copied(), 1)?;
        let mut span = 2;
        while span <= dimension {
            let candidate = Self::new(dimension, indices.iter().copied(), span)?;
            if candidate.cost(cost) < best.cost(cost) {
                best = candidate;
            }
            span *= 2;
        }
        Ok(best)
    }

    /// The cost of this split under `cost`.
    pub fn cost(&self, cost: BsgsCost) -> f64 {
        let babies = self.baby_steps().iter().filter(|&&b| b != 0).count();
        let giants = self.groups.keys().filter(|&&g| g != 0).count();
        cost.baby * babies as f64 + cost.giant * giants as f64
    }

    /// The matrix dimension (number of slots).
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The baby span `n_1`.
    pub fn baby_span(&self) -> usize {
        self.baby_span
    }

    /// The giant steps with their baby steps (`g → [b]`), ascending.
    pub fn groups(&self) -> &BTreeMap<usize, Vec<usize>> {
        &self.groups
    }

    /// The distinct baby steps (including 0 when used), ascending.
    pub fn baby_steps(&self) -> Vec<usize> {
        let mut babies: Vec<usize> = self.groups.values().flatten().copied().collect();
        babies.sort_unstable();
        babies.dedup();
        babies
    }

    /// The distinct giant steps (including 0 when used), ascending.
    pub fn giant_steps(&self) -> Vec<usize> {
        self.groups.keys().copied().collect()
    }

    /// The non-zero rotations the evaluation performs (baby and giant steps), as signed steps
    /// in `(-n/2, n/2]`, ascending and distinct: the Galois keys to generate.
    pub fn rotation_steps(&self) -> Vec<i64> {
        let mut steps: Vec<i64> = self
            .baby_steps()
            .into_iter()
            .chain(self.giant_steps())
            .filter(|&k| k != 0)
            .map(|k| signed_step(k, self.dimension))
            .collect();
        steps.sort_unstable();
        steps.dedup();
        steps
    }
}

/// The representative of rotation `k` (modulo `dimension`) in `(-dimension/2, dimension/2]`:
/// the step whose Galois key every transform of this dimension uses for it.
pub fn signed_step(k: usize, dimension: usize) -> i64 {
    let k = k % dimension;
    if 2 * k <= dimension { k as i64 } else { k as i64 - dimension as i64 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_diagonal_is_one_giant_plus_one_baby() {
        // The diagonals -31..=31 of a merged radix-2 stage group (strides 1..16) in 1024 slots.
        let n = 1024;
        let indices: Vec<usize> = (-31i64..=31).map(|k| k.rem_euclid(n as i64) as usize).collect();
        let split = BsgsSplit::new(n, indices.iter().copied(), 8).unwrap();
        let mut covered: Vec<usize> =
            split.groups().iter().flat_map(|(&g, b)| b.iter().map(move |&b| (g + b) % n)).collect();
        covered.sort_unstable();
        let mut expected = indices.clone();
        expected.sort_unstable();
        assert_eq!(covered, expected);
        assert_eq!(split.baby_steps(), (0..8).collect::<Vec<_>>());
        assert_eq!(split.giant_steps(), [0, 8, 16, 24, n - 32, n - 24, n - 16, n - 8]);
        let steps = split.rotation_steps();
        assert_eq!(steps, [-32, -24, -16, -8, 1, 2, 3, 4, 5, 6, 7, 8, 16, 24]);
        assert_eq!(split.cost(BsgsCost { baby: 1.0, giant: 1.0 }), 14.0);
    }

    #[test]
    fn optimal_split_balances_baby_and_giant_steps() {
        let n = 1 << 12;
        let dense = BsgsSplit::optimal(n, 0..n, BsgsCost { baby: 1.0, giant: 1.0 }).unwrap();
        assert_eq!(dense.baby_span(), 64, "sqrt(n) for equal costs");
        let cheap_babies = BsgsSplit::optimal(n, 0..n, BsgsCost { baby: 1.0, giant: 4.0 }).unwrap();
        assert_eq!(cheap_babies.baby_span(), 128);
        // Strided diagonals: baby steps stay multiples of the stride.
        let strided = BsgsSplit::optimal(n, (0..n).step_by(64), BsgsCost::default()).unwrap();
        assert!(strided.baby_steps().iter().all(|b| b % 64 == 0));
        // 15 baby steps (64..960) and 3 giant steps (±1024, 2048): cost 15 + 3·3.
        assert_eq!((strided.baby_span(), strided.rotation_steps().len()), (1024, 18));
        let single = BsgsSplit::optimal(n, [5], BsgsCost::default()).unwrap();
        assert_eq!(single.rotation_steps(), [5]);
    }

    #[test]
    fn invalid_splits_are_rejected() {
        assert_eq!(BsgsSplit::new(12, [0], 4), Err(CircuitError::InvalidMatrixDimension { dimension: 12 }));
        assert_eq!(BsgsSplit::new(16, [0], 3), Err(CircuitError::InvalidBabySpan { baby_span: 3, dimension: 16 }));
        assert_eq!(BsgsSplit::new(16, [0], 32), Err(CircuitError::InvalidBabySpan { baby_span: 32, dimension: 16 }));
        assert!(BsgsSplit::new(16, [16], 4).is_err());
        assert_eq!(signed_step(15, 16), -1);
        assert_eq!(signed_step(8, 16), 8);
    }
}
