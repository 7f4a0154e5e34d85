//! Linear transformations of encrypted slot vectors: a [`DiagonalMatrix`] with its baby-step
//! giant-step split, evaluated with hoisted rotations, its plaintexts encoded once
//! ([`EncodedLinearTransform`]) or on demand ([`LinearTransform::evaluate_on_demand`]).

use std::borrow::Cow;

use super::bsgs::{BsgsCost, BsgsSplit};
use super::diagonal_matrix::DiagonalMatrix;
use super::evaluation;
use crate::circuits::CircuitError;
use crate::encoding::{Complex, Encoder};
use crate::error::CkksError;
use crate::evaluator::Evaluator;
use crate::rlwe::{GaloisKeys, galois_element_for_step};
use crate::{Ciphertext, Plaintext};

/// How the rotations of a transform share their key-switching work.
///
/// Both decompose the input once for all baby steps and accumulate the giant-step rotations
/// in the extended basis `Q_ℓ·P` with one final mod-down; they differ in the baby steps.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Hoisting {
    /// Every baby-step rotation is brought back to `Q_ℓ` (one mod-down each), and the
    /// plaintexts are over `Q_ℓ` only: less memory, cheaper products. Best at low levels.
    Single,
    /// The baby-step rotations stay in `Q_ℓ·P`, the plaintexts have their `P` limbs, and each
    /// giant step's partial sum needs one mod-down: no mod-down per baby step. Best when the
    /// mod-down is expensive (many limbs).
    Double,
}

/// A linear transformation `x ↦ M·x` of the slots: the matrix by its diagonals and the
/// baby-step giant-step split used to evaluate it. Parameter-free: the same transform can be
/// encoded at several levels and scales.
///
/// ```
/// use spencnn_ckks::Complex;
/// use spencnn_ckks::circuits::{BsgsCost, DiagonalMatrix, LinearTransform};
/// // A tridiagonal (cyclic) smoothing on 16 slots: diagonals -1, 0, 1.
/// let diagonals = [-1i64, 0, 1].map(|k| (k, vec![Complex::from(1.0 / 3.0); 16]));
/// let transform =
///     LinearTransform::new(DiagonalMatrix::from_diagonals(16, diagonals).unwrap(), BsgsCost::default()).unwrap();
/// // The Galois keys to generate before evaluating it:
/// assert_eq!(transform.rotation_steps(), vec![-1, 1]);
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct LinearTransform {
    matrix: DiagonalMatrix,
    split: BsgsSplit,
}

impl LinearTransform {
    /// The transform of `matrix` with the baby span that minimises `cost`
    /// ([`BsgsSplit::optimal`]).
    ///
    /// # Errors
    /// [`CircuitError::InvalidMatrixDimension`] for the zero matrix (it has no diagonal to
    /// evaluate).
    pub fn new(matrix: DiagonalMatrix, cost: BsgsCost) -> Result<Self, CircuitError> {
        let split = BsgsSplit::optimal(matrix.dimension(), matrix.diagonal_indices(), cost)?;
        Self::from_split(matrix, split)
    }

    /// The transform of `matrix` with an explicit baby span `n_1` (a power of two).
    ///
    /// # Errors
    /// As [`LinearTransform::new`], and [`CircuitError::InvalidBabySpan`].
    pub fn with_baby_span(matrix: DiagonalMatrix, baby_span: usize) -> Result<Self, CircuitError> {
        let split = BsgsSplit::new(matrix.dimension(), matrix.diagonal_indices(), baby_span)?;
        Self::from_split(matrix, split)
    }

    fn from_split(matrix: DiagonalMatrix, split: BsgsSplit) -> Result<Self, CircuitError> {
        if matrix.diagonal_count() == 0 {
            return Err(CircuitError::InvalidMatrixDimension { dimension: matrix.dimension() });
        }
        Ok(Self { matrix, split })
    }

    /// The matrix.
    pub fn matrix(&self) -> &DiagonalMatrix {
        &self.matrix
    }

    /// The baby-step giant-step split.
    pub fn split(&self) -> &BsgsSplit {
        &self.split
    }

    /// The number of slots the transform acts on (the matrix dimension).
    pub fn slots(&self) -> usize {
        self.matrix.dimension()
    }

    /// The rotation steps the evaluation needs Galois keys for (see
    /// [`BsgsSplit::rotation_steps`]), to pass to [`crate::KeyGenerator::galois_keys`] or, with
    /// the level of use, to [`crate::KeyGenerator::galois_keys_at_levels`].
    pub fn rotation_steps(&self) -> Vec<i64> {
        self.split.rotation_steps()
    }

    /// The Galois elements of [`LinearTransform::rotation_steps`] for ring degree `n`.
    pub fn galois_elements(&self, n: usize) -> Vec<u64> {
        let mut elements: Vec<u64> = self.rotation_steps().iter().map(|&s| galois_element_for_step(s, n)).collect();
        elements.sort_unstable();
        elements.dedup();
        elements
    }

    /// The slot values of the plaintext multiplying baby step `baby` in giant group `giant`:
    /// diagonal `giant + baby` rotated right by `giant`.
    fn shifted_diagonal(&self, giant: usize, baby: usize) -> Vec<Complex> {
        let n = self.slots();
        let diagonal =
            self.matrix.diagonal(((giant + baby) % n) as i64).expect("the split holds only non-zero diagonals");
        (0..n).map(|i| diagonal[(i + n - giant) % n]).collect()
    }

    /// The plaintexts of giant group `giant` (in the order of its baby steps).
    pub(crate) fn encode_group(
        &self,
        encoder: &Encoder,
        giant: usize,
        level: usize,
        scale: f64,
        hoisting: Hoisting,
    ) -> Result<Vec<Plaintext>, CircuitError> {
        let babies = self.split.groups().get(&giant).map(Vec::as_slice).unwrap_or_default();
        babies
            .iter()
            .map(|&baby| {
                let values = self.shifted_diagonal(giant, baby);
                Ok(match hoisting {
                    Hoisting::Single => encoder.encode_complex(&values, self.slots(), level, scale)?,
                    Hoisting::Double => encoder.encode_complex_extended(&values, self.slots(), level, scale)?,
                })
            })
            .collect()
    }

    /// Encodes every plaintext once, at `level` and `scale` (typically the prime the product
    /// is rescaled by, which keeps the ciphertext's scale).
    ///
    /// # Errors
    /// As [`Encoder::encode_complex`].
    pub fn encode(
        &self,
        encoder: &Encoder,
        level: usize,
        scale: f64,
        hoisting: Hoisting,
    ) -> Result<EncodedLinearTransform, CircuitError> {
        let groups = self
            .split
            .giant_steps()
            .into_iter()
            .map(|giant| Ok((giant, self.encode_group(encoder, giant, level, scale, hoisting)?)))
            .collect::<Result<Vec<_>, CircuitError>>()?;
        Ok(EncodedLinearTransform { split: self.split.clone(), level, scale, hoisting, groups })
    }

    /// `M·x` with the plaintexts encoded on demand at `ct`'s level and `scale`, one giant group
    /// at a time (memory: one group's plaintexts). The result has scale `ct.scale · scale` and
    /// is not rescaled.
    ///
    /// # Errors
    /// [`CkksError::SlotCountMismatch`] when `ct` does not have the matrix's slot count,
    /// [`CkksError::MissingGaloisKey`], and the errors of the evaluator and encoder.
    pub fn evaluate_on_demand(
        &self,
        evaluator: &Evaluator,
        encoder: &Encoder,
        ct: &Ciphertext,
        keys: &GaloisKeys,
        scale: f64,
        hoisting: Hoisting,
    ) -> Result<Ciphertext, CircuitError> {
        let level = ct.level();
        let plaintexts = |giant: usize| -> Result<Cow<'_, [Plaintext]>, CircuitError> {
            Ok(Cow::Owned(self.encode_group(encoder, giant, level, scale, hoisting)?))
        };
        evaluation::evaluate(evaluator, ct, keys, &self.split, hoisting, &plaintexts, false)
    }
}

/// A [`LinearTransform`] with its plaintexts encoded at a level and scale, ready to evaluate
/// many times.
#[derive(Debug, Clone)]
pub struct EncodedLinearTransform {
    split: BsgsSplit,
    level: usize,
    scale: f64,
    hoisting: Hoisting,
    /// `(giant step, plaintexts of its baby steps)`, ascending.
    groups: Vec<(usize, Vec<Plaintext>)>,
}

impl EncodedLinearTransform {
    /// The level of the plaintexts (and of the ciphertexts it applies to).
    pub fn level(&self) -> usize {
        self.level
    }
    /// The plaintexts' scale.
    pub fn scale(&self) -> f64 {
        self.scale
    }
    /// The hoisting the plaintexts were encoded for.
    pub fn hoisting(&self) -> Hoisting {
        self.hoisting
    }
    /// The baby-step giant-step split.
    pub fn split(&self) -> &BsgsSplit {
        &self.split
    }
    /// The rotation steps the evaluation needs Galois keys for.
    pub fn rotation_steps(&self) -> Vec<i64> {
        self.split.rotation_steps()
    }
    /// Bytes of polynomial data held by the plaintexts.
    pub fn memory_bytes(&self) -> usize {
        self.groups.iter().flat_map(|(_, pts)| pts).map(|pt| pt.poly().data().len() * 8).sum()
    }

    /// `M·x`. A ciphertext above the plaintexts' level is first dropped to it. The result has
    /// scale `ct.scale · self.scale()` and is not rescaled.
    ///
    /// # Errors
    /// [`CkksError::LevelMismatch`] when `ct` is below the plaintexts' level,
    /// [`CkksError::SlotCountMismatch`], [`CkksError::MissingGaloisKey`], and the evaluator's
    /// errors.
    pub fn evaluate(
        &self,
        evaluator: &Evaluator,
        ct: &Ciphertext,
        keys: &GaloisKeys,
    ) -> Result<Ciphertext, CircuitError> {
        let dropped;
        let ct = if ct.level() > self.level {
            dropped = evaluator.drop_to_level(ct, self.level)?;
            &dropped
        } else {
            ct
        };
        if ct.level() != self.level {
            return Err(CkksError::LevelMismatch { left: ct.level(), right: self.level }.into());
        }
        let plaintexts = |giant: usize| -> Result<Cow<'_, [Plaintext]>, CircuitError> {
            let index = self.groups.binary_search_by_key(&giant, |(g, _)| *g).expect("one group per giant step");
            Ok(Cow::Borrowed(self.groups[index].1.as_slice()))
        };
        evaluation::evaluate(evaluator, ct, keys, &self.split, self.hoisting, &plaintexts, true)
    }
}
