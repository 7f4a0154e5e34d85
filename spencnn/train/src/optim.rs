//! Adam with decoupled weight decay, global-norm gradient clipping and the learning-rate
//! schedule (linear warm-up, then cosine decay).

use super::layers::Param;

/// Adam (`β₁ = 0.9`, `β₂ = 0.999`, `ε = 1e-8`) with decoupled weight decay (AdamW) on the
/// parameters marked `decay`. Masked entries stay exactly zero.
#[derive(Clone, Debug)]
pub struct Adam {
    /// Decoupled weight decay per unit learning rate.
    pub weight_decay: f32,
    step: i32,
}

impl Adam {
    /// A fresh optimiser (moments live in the parameters; reset them with [`reset_moments`]).
    pub fn new(weight_decay: f32) -> Self {
        Self { weight_decay, step: 0 }
    }

    /// One update with learning rate `lr`; clears the gradients.
    pub fn step(&mut self, params: &mut [&mut Param], lr: f32) {
        const B1: f32 = 0.9;
        const B2: f32 = 0.999;
        self.step += 1;
        let (c1, c2) = (1.0 - B1.powi(self.step), 1.0 - B2.powi(self.step));
        for p in params.iter_mut() {
            let decay = if p.decay { self.weight_decay * lr } else { 0.0 };
            let Param { value, grad, mask, m, v, .. } = &mut **p;
            for i in 0..value.len() {
                if mask.as_ref().is_some_and(|mask| !mask[i]) {
                    value[i] = 0.0;
                    continue;
                }
                let g = grad[i];
                m[i] = B1 * m[i] + (1.0 - B1) * g;
                v[i] = B2 * v[i] + (1.0 - B2) * g * g;
                value[i] -= lr * (m[i] / c1) / ((v[i] / c2).sqrt() + 1e-8) + decay * value[i];
            }
            grad.fill(0.0);
        }
    }
}

/// Clears every parameter's Adam moments (between training and masked fine-tuning).
pub fn reset_moments(params: &mut [&mut Param]) {
    for p in params {
        p.m.fill(0.0);
        p.v.fill(0.0);
    }
}

/// Scales all gradients so that their joint L2 norm is at most `max_norm`; returns the norm
/// before clipping. Masked entries do not count.
pub fn clip_grad_norm(params: &mut [&mut Param], max_norm: f32) -> f32 {
    let mut sum = 0.0f64;
    for p in params.iter_mut() {
        if let Some(mask) = &p.mask {
            p.grad.iter_mut().zip(mask).filter(|(_, keep)| !**keep).for_each(|(g, _)| *g = 0.0);
        }
        sum += p.grad.iter().map(|&g| g as f64 * g as f64).sum::<f64>();
    }
    let norm = sum.sqrt() as f32;
    if norm > max_norm && norm.is_finite() {
        let k = max_norm / norm;
        params.iter_mut().for_each(|p| p.grad.iter_mut().for_each(|g| *g *= k));
    }
    norm
}

/// Linear warm-up from `peak / warmup` to `peak` over `warmup` steps, then cosine decay to
/// `peak · floor` at step `total`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct LrSchedule {
    /// Peak learning rate.
    pub peak: f32,
    /// Warm-up steps.
    pub warmup: usize,
    /// Total steps.
    pub total: usize,
    /// Final fraction of the peak.
    pub floor: f32,
}

impl LrSchedule {
    /// Learning rate of step `step` (0-based).
    pub fn at(&self, step: usize) -> f32 {
        if step < self.warmup {
            return self.peak * (step + 1) as f32 / self.warmup as f32;
        }
        let span = self.total.saturating_sub(self.warmup).max(1);
        let t = ((step - self.warmup) as f32 / span as f32).min(1.0);
        let cosine = 0.5 * (1.0 + (std::f32::consts::PI * t).cos());
        self.peak * (self.floor + (1.0 - self.floor) * cosine)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn adam_minimises_a_quadratic_and_keeps_masked_entries_zero() {
        let mut p = Param::new(vec![3.0, -2.0, 5.0], true);
        p.set_mask(vec![true, true, false]);
        let mut adam = Adam::new(0.0);
        for _ in 0..2000 {
            let (x, y) = (p.value[0], p.value[1]);
            p.grad = vec![2.0 * (x - 1.0), 2.0 * (y + 0.5), 1.0];
            adam.step(&mut [&mut p], 0.01);
        }
        assert!((p.value[0] - 1.0).abs() < 1e-2 && (p.value[1] + 0.5).abs() < 1e-2, "{:?}", p.value);
        assert_eq!(p.value[2], 0.0);
    }

    #[test]
    fn clipping_bounds_the_norm_and_the_schedule_warms_up_then_decays() {
        let mut p = Param::new(vec![0.0; 2], true);
        p.grad = vec![3.0, 4.0];
        assert_eq!(clip_grad_norm(&mut [&mut p], 1.0), 5.0);
        assert!((p.grad[0] - 0.6).abs() < 1e-6 && (p.grad[1] - 0.8).abs() < 1e-6);
        let s = LrSchedule { peak: 1.0, warmup: 10, total: 110, floor: 0.1 };
        assert!((s.at(0) - 0.1).abs() < 1e-6 && (s.at(9) - 1.0).abs() < 1e-6);
        assert!((s.at(60) - 0.55).abs() < 1e-5 && (s.at(110) - 0.1).abs() < 1e-6);
        assert!((1..110).all(|i| i < 10 || s.at(i) <= s.at(i - 1)));
    }
}
