//! Odd minimax approximations of the constant 1 on `[a, b]`, `0 < a < b ≤ 1` (the building
//! block of composite sign approximations), by the Remez exchange algorithm.
//!
//! The polynomial `p(x) = Σ_{j ≤ k} c_j·T_{2j+1}(x)` (odd Chebyshev basis on `[-1, 1]`, well
//! conditioned) minimises `max_{x ∈ [a, b]} |p(x) − 1|`. By the equioscillation theorem the
//! optimum is characterised by `k + 2` points where the error reaches its maximum with
//! alternating signs; each iteration solves for the polynomial that equioscillates on the
//! current reference points, then moves the references to the extrema of its error.

/// `Σ_j c_j·T_{2j+1}(x)` by the Clenshaw recurrence over the interleaved coefficients.
pub(crate) fn evaluate_odd(odd_coefficients: &[f64], x: f64) -> f64 {
    let degree = 2 * odd_coefficients.len() - 1;
    let (mut b1, mut b2) = (0.0, 0.0);
    for i in (1..=degree).rev() {
        let c = if i % 2 == 1 { odd_coefficients[i / 2] } else { 0.0 };
        let b0 = c + 2.0 * x * b1 - b2;
        b2 = b1;
        b1 = b0;
    }
    x * b1 - b2
}

/// Points of the grid on which the error's extrema are searched (per unknown).
const GRID_PER_UNKNOWN: usize = 200;
/// Remez iterations at most (convergence is quadratic; a dozen is typical).
const MAX_ITERATIONS: usize = 60;
/// Stop when the reference errors agree to this relative amount.
const CONVERGENCE: f64 = 1e-7;

/// The odd minimax polynomial of degree `2k + 1` for the constant 1 on `[a, b]`.
#[derive(Debug, Clone, PartialEq)]
pub(crate) struct OddMinimax {
    /// `c_j` of `T_{2j+1}`.
    pub odd_coefficients: Vec<f64>,
    /// `max_{[a, b]} |p − 1|`, measured on a fine grid.
    pub error: f64,
}

impl OddMinimax {
    /// The full coefficient vector (even entries zero), degree `2k + 1`.
    pub(crate) fn coefficients(&self) -> Vec<f64> {
        let mut all = vec![0.0; 2 * self.odd_coefficients.len()];
        for (j, &c) in self.odd_coefficients.iter().enumerate() {
            all[2 * j + 1] = c;
        }
        all
    }

    /// `p(x)`.
    pub(crate) fn evaluate(&self, x: f64) -> f64 {
        evaluate_odd(&self.odd_coefficients, x)
    }
}

/// The odd minimax polynomial of degree `2k + 1` for 1 on `[a, b]` (`0 < a < b ≤ 1`).
pub(crate) fn odd_minimax_for_one(a: f64, b: f64, k: usize) -> OddMinimax {
    debug_assert!(0.0 < a && a < b && b <= 1.0);
    let unknowns = k + 1;
    let grid = chebyshev_grid(a, b, GRID_PER_UNKNOWN * (unknowns + 1));
    // Initial references: Chebyshev extrema of the interval.
    let mut references: Vec<f64> = (0..=unknowns)
        .map(|i| (a + b) / 2.0 - (b - a) / 2.0 * (std::f64::consts::PI * i as f64 / unknowns as f64).cos())
        .collect();
    let mut coefficients = vec![0.0; unknowns];
    for _ in 0..MAX_ITERATIONS {
        let Some(solution) = solve_reference_system(&references, unknowns) else { break };
        coefficients = solution;
        let errors: Vec<f64> = grid.iter().map(|&x| evaluate_odd(&coefficients, x) - 1.0).collect();
        let Some(next) = alternating_extrema(&grid, &errors, unknowns + 1) else { break };
        let magnitudes: Vec<f64> = next.iter().map(|&i| errors[i].abs()).collect();
        let (low, high) = magnitudes.iter().fold((f64::INFINITY, 0.0f64), |(l, h), &m| (l.min(m), h.max(m)));
        references = next.iter().map(|&i| grid[i]).collect();
        if high - low <= CONVERGENCE * high {
            break;
        }
    }
    let fine = chebyshev_grid(a, b, 8 * GRID_PER_UNKNOWN * (unknowns + 1));
    let error = fine.iter().map(|&x| (evaluate_odd(&coefficients, x) - 1.0).abs()).fold(0.0, f64::max);
    OddMinimax { odd_coefficients: coefficients, error }
}

/// `count` points on `[a, b]`, denser near the ends (where the error of a minimax polynomial
/// oscillates fastest), both ends included.
fn chebyshev_grid(a: f64, b: f64, count: usize) -> Vec<f64> {
    (0..count)
        .map(|i| (a + b) / 2.0 - (b - a) / 2.0 * (std::f64::consts::PI * i as f64 / (count - 1) as f64).cos())
        .collect()
}

/// Solves `Σ_j c_j·T_{2j+1}(x_i) + (−1)^i·E = 1` for the `k + 2` references; returns the `c_j`.
fn solve_reference_system(references: &[f64], unknowns: usize) -> Option<Vec<f64>> {
    let size = unknowns + 1;
    let mut matrix: Vec<Vec<f64>> = references
        .iter()
        .enumerate()
        .map(|(i, &x)| {
            let mut row: Vec<f64> = (0..unknowns).map(|j| odd_chebyshev(j, x)).collect();
            row.push(if i % 2 == 0 { 1.0 } else { -1.0 });
            row.push(1.0);
            row
        })
        .collect();
    // Gaussian elimination with partial pivoting.
    for col in 0..size {
        let pivot = (col..size).max_by(|&r, &s| matrix[r][col].abs().total_cmp(&matrix[s][col].abs()))?;
        if matrix[pivot][col].abs() < 1e-300 {
            return None;
        }
        matrix.swap(col, pivot);
        let (upper, lower) = matrix.split_at_mut(col + 1);
        let pivot_row = &upper[col];
        for row in lower.iter_mut() {
            let factor = row[col] / pivot_row[col];
            for (x, p) in row[col..].iter_mut().zip(&pivot_row[col..]) {
                *x -= factor * p;
            }
        }
    }
    let mut solution = vec![0.0; size];
    for row in (0..size).rev() {
        let tail: f64 = (row + 1..size).map(|c| matrix[row][c] * solution[c]).sum();
        solution[row] = (matrix[row][size] - tail) / matrix[row][row];
    }
    solution.truncate(unknowns);
    solution.iter().all(|c| c.is_finite()).then_some(solution)
}

/// `T_{2j+1}(x)`.
fn odd_chebyshev(j: usize, x: f64) -> f64 {
    let n = 2 * j + 1;
    if x.abs() <= 1.0 { (n as f64 * x.acos()).cos() } else { (n as f64 * x.abs().acosh()).cosh() * x.signum() }
}

/// Indices of `count` local extrema of `errors` with alternating signs, the largest ones kept
/// (ends dropped first); `None` when fewer alternate.
fn alternating_extrema(grid: &[f64], errors: &[f64], count: usize) -> Option<Vec<usize>> {
    debug_assert_eq!(grid.len(), errors.len());
    let n = errors.len();
    let mut extrema: Vec<usize> = (0..n)
        .filter(|&i| {
            // The ends count as neighbours that never exceed the value.
            let e = errors[i];
            let left = if i > 0 { errors[i - 1] } else { e };
            let right = if i + 1 < n { errors[i + 1] } else { e };
            (e > 0.0 && left <= e && right <= e) || (e < 0.0 && left >= e && right >= e)
        })
        .collect();
    // Merge neighbours of one sign, keeping the larger magnitude.
    let mut merged: Vec<usize> = Vec::with_capacity(extrema.len());
    for i in extrema.drain(..) {
        match merged.last() {
            Some(&last) if errors[last].signum() == errors[i].signum() => {
                if errors[i].abs() > errors[last].abs() {
                    *merged.last_mut().expect("non-empty") = i;
                }
            }
            _ => merged.push(i),
        }
    }
    while merged.len() > count {
        if errors[merged[0]].abs() < errors[*merged.last().expect("non-empty")].abs() {
            merged.remove(0);
        } else {
            merged.pop();
        }
    }
    (merged.len() == count).then_some(merged)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn degree_one_is_the_closed_form() {
        // The best c·x for 1 on [a, 1] equioscillates at a and 1: c = 2/(1 + a), error (1−a)/(1+a).
        let a = 0.25;
        let m = odd_minimax_for_one(a, 1.0, 0);
        assert!((m.odd_coefficients[0] - 2.0 / (1.0 + a)).abs() < 1e-9);
        assert!((m.error - (1.0 - a) / (1.0 + a)).abs() < 1e-6);
    }

    #[test]
    fn minimax_equioscillates_and_beats_the_interpolant() {
        for (a, k) in [(0.01, 7), (0.1, 3), (0.5, 5), (0.003, 15)] {
            let m = odd_minimax_for_one(a, 1.0, k);
            // The error at the k + 2 alternation points is the maximum: check that no grid
            // point is more than 0.1 % above it, and the value is far below the trivial 1.
            let grid = chebyshev_grid(a, 1.0, 20_000);
            let worst = grid.iter().map(|&x| (m.evaluate(x) - 1.0).abs()).fold(0.0, f64::max);
            assert!(worst <= m.error * 1.001, "a={a} k={k}: {worst} vs {}", m.error);
            assert!(m.error < 1.0, "a={a} k={k}");
            // Degree 2k+1 minimax is at least as good as degree 2k−1.
            if k > 0 {
                let lower = odd_minimax_for_one(a, 1.0, k - 1);
                assert!(m.error <= lower.error * 1.0001, "a={a} k={k}");
            }
            assert_eq!(m.coefficients().len(), 2 * k + 2);
        }
    }
}
