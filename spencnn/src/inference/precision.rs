//! Agreement between encrypted and reference logits.

use serde::Serialize;

/// How closely two logit vectors agree.
#[derive(Clone, Copy, Debug, PartialEq, Serialize)]
pub struct Agreement {
    /// Largest absolute difference.
    pub max_abs_error: f64,
    /// `−log2(max_abs_error)` (bits of absolute precision; infinite when equal).
    pub precision_bits: f64,
    /// Argmax of the first vector (the encrypted logits).
    pub argmax: usize,
    /// Argmax of the second (the reference).
    pub reference_argmax: usize,
}

impl Agreement {
    /// Compares `logits` with `reference` (same length, non-empty).
    pub fn of(logits: &[f64], reference: &[f64]) -> Self {
        let max_abs_error = logits.iter().zip(reference).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        Self {
            max_abs_error,
            precision_bits: -max_abs_error.log2(),
            argmax: argmax(logits),
            reference_argmax: argmax(reference),
        }
    }

    /// Whether the predicted classes agree.
    pub fn same_class(&self) -> bool {
        self.argmax == self.reference_argmax
    }
}

/// Index of the largest value (the first on ties; 0 for an empty slice).
pub fn argmax(values: &[f64]) -> usize {
    values.iter().enumerate().fold((0, f64::NEG_INFINITY), |best, (i, &v)| if v > best.1 { (i, v) } else { best }).0
}
