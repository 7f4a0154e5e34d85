//! Square complex matrices over the slots, stored by their non-zero diagonals.
//!
//! Diagonal `k` of an `n × n` matrix `M` is the vector `d_k[i] = M[i][(i + k) mod n]`. Then
//! `M·x = Σ_k d_k ⊙ rot_k(x)`, where `rot_k` moves slot `i + k` to slot `i` (the rotation of
//! [`crate::Evaluator::rotate`]): a matrix-vector product is a sum of plaintext products of
//! rotated ciphertexts, one per non-zero diagonal. Matrices with few non-zero diagonals (the
//! factors of the homomorphic DFT, convolutions) are cheap to evaluate.

use std::collections::BTreeMap;

use crate::circuits::CircuitError;
use crate::encoding::Complex;

/// An `n × n` complex matrix (`n` a power of two) stored by its non-zero diagonals, indexed
/// `0..n` (index `n - k` is the diagonal `-k`).
///
/// ```
/// use spencnn_ckks::Complex;
/// use spencnn_ckks::circuits::DiagonalMatrix;
/// // The cyclic shift (x_0, x_1, x_2, x_3) ↦ (x_1, x_2, x_3, x_0): diagonal 1 is all ones.
/// let shift = DiagonalMatrix::from_diagonals(4, [(1, vec![Complex::from(1.0); 4])]).unwrap();
/// let x: Vec<Complex> = (0..4).map(|i| Complex::from(i as f64)).collect();
/// assert_eq!(shift.apply(&x).unwrap()[0], Complex::from(1.0));
/// ```
#[derive(Debug, Clone, PartialEq)]
pub struct DiagonalMatrix {
    dimension: usize,
    diagonals: BTreeMap<usize, Vec<Complex>>,
}

impl DiagonalMatrix {
    /// The zero matrix of dimension `n` (no diagonal).
    ///
    /// # Errors
    /// [`CircuitError::InvalidMatrixDimension`] unless `n` is a power of two.
    pub fn zero(dimension: usize) -> Result<Self, CircuitError> {
        if !dimension.is_power_of_two() {
            return Err(CircuitError::InvalidMatrixDimension { dimension });
        }
        Ok(Self { dimension, diagonals: BTreeMap::new() })
    }

    /// The identity matrix of dimension `n`.
    ///
    /// # Errors
    /// As [`DiagonalMatrix::zero`].
    pub fn identity(dimension: usize) -> Result<Self, CircuitError> {
        Self::from_diagonals(dimension, [(0, vec![Complex::from(1.0); dimension])])
    }

    /// A matrix from `(index, diagonal)` pairs; indices are taken modulo `n` (so `-1` is
    /// diagonal `n - 1`), and diagonals given twice are added. All-zero diagonals are dropped.
    ///
    /// # Errors
    /// [`CircuitError::InvalidMatrixDimension`] unless `n` is a power of two,
    /// [`CircuitError::DiagonalLength`] when a diagonal does not have `n` entries,
    /// [`CircuitError::NonFiniteMatrixEntry`] for a NaN or infinite entry.
    pub fn from_diagonals(
        dimension: usize,
        diagonals: impl IntoIterator<Item = (i64, Vec<Complex>)>,
    ) -> Result<Self, CircuitError> {
        let mut matrix = Self::zero(dimension)?;
        for (index, values) in diagonals {
            if values.len() != dimension {
                return Err(CircuitError::DiagonalLength { index, len: values.len(), dimension });
            }
            if values.iter().any(|z| !(z.re.is_finite() && z.im.is_finite())) {
                return Err(CircuitError::NonFiniteMatrixEntry);
            }
            matrix.add_to_diagonal(index.rem_euclid(dimension as i64) as usize, &values);
        }
        matrix.drop_zero_diagonals();
        Ok(matrix)
    }

    /// The diagonals of a dense matrix given row by row (`rows[i][j] = M[i][j]`); all-zero
    /// diagonals are not stored.
    ///
    /// # Errors
    /// [`CircuitError::InvalidMatrixDimension`] unless there are `n` rows of `n` entries, `n` a
    /// power of two; [`CircuitError::NonFiniteMatrixEntry`].
    pub fn from_dense(rows: &[Vec<Complex>]) -> Result<Self, CircuitError> {
        let n = rows.len();
        if rows.iter().any(|row| row.len() != n) {
            return Err(CircuitError::InvalidMatrixDimension { dimension: n });
        }
        let diagonals = (0..n).map(|k| (k as i64, (0..n).map(|i| rows[i][(i + k) % n]).collect()));
        Self::from_diagonals(n, diagonals)
    }

    /// A matrix from `(row, column, value)` entries (indices modulo `n`); entries given twice
    /// are added.
    ///
    /// # Errors
    /// [`CircuitError::InvalidMatrixDimension`] unless `n` is a power of two,
    /// [`CircuitError::NonFiniteMatrixEntry`].
    pub fn from_entries(
        dimension: usize,
        entries: impl IntoIterator<Item = (usize, usize, Complex)>,
    ) -> Result<Self, CircuitError> {
        let mut matrix = Self::zero(dimension)?;
        for (row, column, value) in entries {
            if !(value.re.is_finite() && value.im.is_finite()) {
                return Err(CircuitError::NonFiniteMatrixEntry);
            }
            let (row, column) = (row % dimension, column % dimension);
            let index = (column + dimension - row) % dimension;
            let diagonal = matrix.diagonals.entry(index).or_insert_with(|| vec![Complex::default(); dimension]);
            diagonal[row] = diagonal[row] + value;
        }
        matrix.drop_zero_diagonals();
        Ok(matrix)
    }

    /// The non-zero entries `(row, column, value)`, diagonal by diagonal.
    pub fn entries(&self) -> impl Iterator<Item = (usize, usize, Complex)> + '_ {
        let n = self.dimension;
        self.diagonals.iter().flat_map(move |(&k, d)| {
            d.iter().enumerate().filter(|(_, z)| z.re != 0.0 || z.im != 0.0).map(move |(i, &z)| (i, (i + k) % n, z))
        })
    }

    /// The dimension `n`.
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// The indices of the non-zero diagonals, ascending in `0..n`.
    pub fn diagonal_indices(&self) -> impl Iterator<Item = usize> + '_ {
        self.diagonals.keys().copied()
    }

    /// Number of non-zero diagonals.
    pub fn diagonal_count(&self) -> usize {
        self.diagonals.len()
    }

    /// Diagonal `index` (taken modulo `n`), or `None` when it is zero.
    pub fn diagonal(&self, index: i64) -> Option<&[Complex]> {
        self.diagonals.get(&(index.rem_euclid(self.dimension as i64) as usize)).map(Vec::as_slice)
    }

    /// The entry `M[row][column]` (indices modulo `n`).
    pub fn entry(&self, row: usize, column: usize) -> Complex {
        let n = self.dimension;
        let k = (column + n - row % n) % n;
        self.diagonals.get(&k).map_or(Complex::default(), |d| d[row % n])
    }

    /// `M·x`, computed diagonal by diagonal (the plaintext reference of the homomorphic
    /// evaluation).
    ///
    /// # Errors
    /// [`CircuitError::DiagonalLength`] when `x` does not have `n` entries.
    pub fn apply(&self, x: &[Complex]) -> Result<Vec<Complex>, CircuitError> {
        let n = self.dimension;
        if x.len() != n {
            return Err(CircuitError::DiagonalLength { index: 0, len: x.len(), dimension: n });
        }
        let mut out = vec![Complex::default(); n];
        for (&k, d) in &self.diagonals {
            for (i, o) in out.iter_mut().enumerate() {
                *o = *o + d[i] * x[(i + k) % n];
            }
        }
        Ok(out)
    }

    /// The product `self · rhs` (apply `rhs` first). Diagonal `a + b` of the product receives
    /// `d^self_a ⊙ rot_a(d^rhs_b)`, so sparse factors give sparse products.
    ///
    /// # Errors
    /// [`CircuitError::InvalidMatrixDimension`] when the dimensions differ.
    pub fn product(&self, rhs: &Self) -> Result<Self, CircuitError> {
        let n = self.dimension;
        if rhs.dimension != n {
            return Err(CircuitError::InvalidMatrixDimension { dimension: rhs.dimension });
        }
        let mut out = Self { dimension: n, diagonals: BTreeMap::new() };
        let mut term = vec![Complex::default(); n];
        for (&a, left) in &self.diagonals {
            for (&b, right) in &rhs.diagonals {
                for (i, t) in term.iter_mut().enumerate() {
                    *t = left[i] * right[(i + a) % n];
                }
                out.add_to_diagonal((a + b) % n, &term);
            }
        }
        out.drop_zero_diagonals();
        Ok(out)
    }

    /// Every entry multiplied by `factor`.
    pub fn scaled(mut self, factor: Complex) -> Self {
        for d in self.diagonals.values_mut() {
            d.iter_mut().for_each(|z| *z = *z * factor);
        }
        self.drop_zero_diagonals();
        self
    }

    /// The conjugate transpose `M^H` (diagonal `k` of `M^H` is `rot_{-k}` of the conjugated
    /// diagonal `n - k` of `M`).
    pub fn conjugate_transpose(&self) -> Self {
        let n = self.dimension;
        let diagonals = self
            .diagonals
            .iter()
            .map(|(&k, d)| {
                let index = (n - k) % n;
                // M^H[i][i + index] = conj(M[i + index][i]) = conj(d_k[i + index]).
                (index, (0..n).map(|i| d[(i + index) % n].conj()).collect())
            })
            .collect();
        Self { dimension: n, diagonals }
    }

    /// The sum of two matrices.
    ///
    /// # Errors
    /// [`CircuitError::InvalidMatrixDimension`] when the dimensions differ.
    pub fn sum(&self, rhs: &Self) -> Result<Self, CircuitError> {
        if rhs.dimension != self.dimension {
            return Err(CircuitError::InvalidMatrixDimension { dimension: rhs.dimension });
        }
        let mut out = self.clone();
        for (&k, d) in &rhs.diagonals {
            out.add_to_diagonal(k, d);
        }
        out.drop_zero_diagonals();
        Ok(out)
    }

    fn add_to_diagonal(&mut self, index: usize, values: &[Complex]) {
        let n = self.dimension;
        let diagonal = self.diagonals.entry(index).or_insert_with(|| vec![Complex::default(); n]);
        for (d, &v) in diagonal.iter_mut().zip(values) {
            *d = *d + v;
        }
    }

    fn drop_zero_diagonals(&mut self) {
        self.diagonals.retain(|_, d| d.iter().any(|z| z.re != 0.0 || z.im != 0.0));
    }
}

#[cfg(test)]
mod tests {
    use crate::circuits::test_values::random_complex as values;
    use proptest::prelude::*;

    use super::*;

    fn dense(n: usize, seed: u64, density: u64) -> Vec<Vec<Complex>> {
        let v = values(n * n, seed);
        (0..n)
            .map(|i| {
                (0..n)
                    .map(|j| if ((i * 7 + j * 3) as u64).is_multiple_of(density) { v[i * n + j] } else { 0.0.into() })
                    .collect()
            })
            .collect()
    }

    /// Schoolbook `M·x` on the dense rows.
    fn dense_apply(rows: &[Vec<Complex>], x: &[Complex]) -> Vec<Complex> {
        rows.iter().map(|row| row.iter().zip(x).fold(Complex::default(), |acc, (&m, &v)| acc + m * v)).collect()
    }

    fn close(a: &[Complex], b: &[Complex]) -> bool {
        a.iter().zip(b).all(|(x, y)| (*x - *y).abs() < 1e-12)
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(16))]

        #[test]
        fn diagonal_product_matches_the_dense_product(log_n in 0u32..6, seed in any::<u64>(), density in 1u64..4) {
            let n = 1usize << log_n;
            let rows = dense(n, seed, density);
            let matrix = DiagonalMatrix::from_dense(&rows).unwrap();
            let x = values(n, seed ^ 5);
            prop_assert!(close(&matrix.apply(&x).unwrap(), &dense_apply(&rows, &x)));
            for (i, row) in rows.iter().enumerate() {
                for (j, &value) in row.iter().enumerate() {
                    prop_assert_eq!(matrix.entry(i, j), value);
                }
            }
        }

        #[test]
        fn products_sums_and_adjoints_follow_the_matrix_laws(log_n in 0u32..6, seed in any::<u64>()) {
            let n = 1usize << log_n;
            let (a, b) = (dense(n, seed, 2), dense(n, seed ^ 9, 3));
            let (ma, mb) = (DiagonalMatrix::from_dense(&a).unwrap(), DiagonalMatrix::from_dense(&b).unwrap());
            let x = values(n, seed ^ 11);
            let ab_x = ma.product(&mb).unwrap().apply(&x).unwrap();
            prop_assert!(close(&ab_x, &dense_apply(&a, &dense_apply(&b, &x))));
            let sum_x = ma.sum(&mb).unwrap().apply(&x).unwrap();
            let expected: Vec<Complex> =
                dense_apply(&a, &x).iter().zip(dense_apply(&b, &x)).map(|(&u, v)| u + v).collect();
            prop_assert!(close(&sum_x, &expected));
            let rebuilt = DiagonalMatrix::from_entries(n, ma.entries()).unwrap();
            prop_assert_eq!(&rebuilt, &ma);
            let adjoint = ma.conjugate_transpose();
            for (j, row) in a.iter().enumerate() {
                for (i, &value) in row.iter().enumerate() {
                    prop_assert_eq!(adjoint.entry(i, j), value.conj());
                }
            }
        }
    }

    #[test]
    fn indices_wrap_and_invalid_shapes_are_rejected() {
        let m = DiagonalMatrix::from_diagonals(8, [(-1, vec![Complex::from(2.0); 8])]).unwrap();
        assert_eq!(m.diagonal_indices().collect::<Vec<_>>(), [7]);
        assert_eq!(m.entry(3, 2), Complex::from(2.0));
        assert!(m.diagonal(-1).is_some() && m.diagonal(1).is_none());
        let zero = DiagonalMatrix::from_diagonals(4, [(2, vec![Complex::default(); 4])]).unwrap();
        assert_eq!(zero.diagonal_count(), 0);
        assert_eq!(DiagonalMatrix::zero(6), Err(CircuitError::InvalidMatrixDimension { dimension: 6 }));
        assert_eq!(
            DiagonalMatrix::from_diagonals(4, [(1, vec![Complex::default(); 3])]),
            Err(CircuitError::DiagonalLength { index: 1, len: 3, dimension: 4 })
        );
        assert_eq!(
            DiagonalMatrix::from_diagonals(2, [(0, vec![Complex::new(f64::NAN, 0.0); 2])]),
            Err(CircuitError::NonFiniteMatrixEntry)
        );
        assert!(DiagonalMatrix::from_dense(&[vec![Complex::default(); 2]]).is_err());
        assert!(m.apply(&[Complex::default(); 4]).is_err());
        assert!(m.product(&DiagonalMatrix::identity(4).unwrap()).is_err());
    }
}
