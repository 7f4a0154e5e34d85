//! Softmax cross-entropy over a batch of logits.

use crate::batch::Batch;

/// Loss, accuracy count and gradient of one batch.
#[derive(Clone, Debug)]
pub struct SoftmaxCrossEntropy {
    /// Mean loss over the batch.
    pub loss: f64,
    /// Images whose largest logit is the label.
    pub correct: usize,
    /// Gradient of the mean loss with respect to the logits.
    pub grad: Batch,
}

/// Mean softmax cross-entropy of `logits` (`n × classes`) against `labels`.
///
/// # Panics
/// If a label is not below the number of classes or the counts differ (trainer bugs).
pub fn softmax_cross_entropy(logits: &Batch, labels: &[u8]) -> SoftmaxCrossEntropy {
    let classes = logits.image_len();
    assert_eq!(labels.len(), logits.n, "one label per image");
    let mut grad = logits.clone();
    let (mut loss, mut correct) = (0.0f64, 0);
    let inv_n = 1.0 / logits.n as f64;
    for (row, &label) in grad.data.chunks_mut(classes).zip(labels) {
        let label = label as usize;
        assert!(label < classes, "label {label} out of range");
        let max = row.iter().fold(f32::NEG_INFINITY, |m, &v| m.max(v));
        if row[label] == max {
            correct += 1;
        }
        let sum: f64 = row.iter().map(|&v| ((v - max) as f64).exp()).sum();
        loss += (sum.ln() - (row[label] - max) as f64) * inv_n;
        for (k, v) in row.iter_mut().enumerate() {
            let p = ((*v - max) as f64).exp() / sum;
            *v = ((p - if k == label { 1.0 } else { 0.0 }) * inv_n) as f32;
        }
    }
    SoftmaxCrossEntropy { loss, correct, grad }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::layers::check;

    #[test]
    fn gradient_matches_finite_differences_and_loss_is_known() {
        let uniform = softmax_cross_entropy(&Batch::zeros(2, 10, 1, 1), &[3, 7]);
        assert!((uniform.loss - 10f64.ln()).abs() < 1e-9);
        let logits = Batch { n: 3, c: 5, h: 1, w: 1, data: check::values(15, 18, 3.0) };
        let labels = [0, 4, 2];
        let out = softmax_cross_entropy(&logits, &labels);
        check::gradient(&mut logits.data.clone(), &out.grad.data, 1e-2, 1e-3, |d| {
            softmax_cross_entropy(&Batch { data: d.to_vec(), ..logits.clone() }, &labels).loss
        });
    }
}
