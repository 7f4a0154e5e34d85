//! A small CNN with every kind of HE operation, and its reduced (insecure, test-only) CKKS
//! parameters.

use spencnn::inference::ParamOptions;
use spencnn::model::{BatchNorm, Conv2d, Layer, Linear, Model, PolyActivation, randomize};

/// Ring degree `2^10` of the encrypted tests.
pub const LOG_N: u32 = 10;

/// Parameter search inside 360 bits with a 36-bit scale (insecure at `N = 2^10`: tests only).
pub fn test_options() -> ParamOptions {
    ParamOptions { min_log_scale: 36, target_precision_bits: None, budget_bits: Some(360), insecure: true, threads: 1 }
}

fn act(c: usize) -> Layer {
    Layer::Activation(PolyActivation { channels: c, a: vec![0.0; c], b: vec![0.0; c], c: vec![0.0; c] })
}

/// conv 3x3 1→4 → act → pool → grouped conv 3x3 4→8 (g 2) → BN → act → GAP → FC 8→3:
/// every kind of HE operation (hoisted groups, fused sums, rotate-sums, squares, pooling).
pub fn small_cnn() -> Model {
    let mut conv1 = Conv2d::new(1, 4, 3, 1, 1, 1);
    conv1.bias = Some(vec![0.0; 4]);
    let layers = vec![
        ("conv1".to_string(), Layer::Conv2d(conv1)),
        ("act1".into(), act(4)),
        ("pool".into(), Layer::AvgPool2),
        ("conv2".into(), Layer::Conv2d(Conv2d::new(4, 8, 3, 1, 1, 2))),
        ("bn2".into(), Layer::BatchNorm(BatchNorm::identity(8))),
        ("act2".into(), act(8)),
        ("gap".into(), Layer::GlobalAvgPool),
        ("flatten".into(), Layer::Flatten),
        (
            "fc".into(),
            Layer::Linear(Linear { in_features: 8, out_features: 3, weight: vec![0.0; 24], bias: Some(vec![0.0; 3]) }),
        ),
    ];
    let mut model = super::sequential("small", [1, 8, 8], layers);
    randomize(&mut model, 5);
    model
}
