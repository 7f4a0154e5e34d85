//! Seeded random parameters, for latency runs and tests.

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};

use super::{Layer, Model};

/// A uniform value in `[lo, hi)` from 53 random bits.
fn uniform(rng: &mut ChaCha20Rng, lo: f64, hi: f64) -> f64 {
    let unit = (rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
    lo + (hi - lo) * unit
}

fn fill(rng: &mut ChaCha20Rng, values: &mut [f64], lo: f64, hi: f64) {
    values.iter_mut().for_each(|v| *v = uniform(rng, lo, hi));
}

/// Overwrites every parameter of `model` with seeded random values of realistic magnitude:
/// weights uniform in `±1/sqrt(fan_in)`, small biases, batch-norm statistics near identity,
/// activations `a ∈ ±[0.05, 0.25]` (both signs), `b ∈ [0.5, 1]`, `c ∈ [−0.1, 0.1]`.
pub fn randomize(model: &mut Model, seed: u64) {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    for node in &mut model.nodes {
        match &mut node.layer {
            Layer::Conv2d(conv) => {
                let bound = 1.0 / ((conv.group_in() * conv.kernel * conv.kernel) as f64).sqrt();
                fill(&mut rng, &mut conv.weight, -bound, bound);
                if let Some(bias) = &mut conv.bias {
                    fill(&mut rng, bias, -0.1, 0.1);
                }
            }
            Layer::BatchNorm(bn) => {
                fill(&mut rng, &mut bn.gamma, 0.8, 1.2);
                fill(&mut rng, &mut bn.beta, -0.1, 0.1);
                fill(&mut rng, &mut bn.mean, -0.1, 0.1);
                fill(&mut rng, &mut bn.var, 0.5, 1.5);
            }
            Layer::Activation(act) => {
                for a in &mut act.a {
                    let magnitude = uniform(&mut rng, 0.05, 0.25);
                    *a = if rng.next_u32() & 1 == 0 { magnitude } else { -magnitude };
                }
                fill(&mut rng, &mut act.b, 0.5, 1.0);
                fill(&mut rng, &mut act.c, -0.1, 0.1);
            }
            Layer::Linear(fc) => {
                let bound = 1.0 / (fc.in_features as f64).sqrt();
                fill(&mut rng, &mut fc.weight, -bound, bound);
                if let Some(bias) = &mut fc.bias {
                    fill(&mut rng, bias, -0.1, 0.1);
                }
            }
            Layer::AvgPool2
            | Layer::AvgPool(_)
            | Layer::GlobalAvgPool
            | Layer::Flatten
            | Layer::Add { .. }
            | Layer::Relu(_) => {}
        }
    }
}
