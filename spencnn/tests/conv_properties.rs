//! Property tests: random layer shapes, ring degrees and weights (with and without pruned
//! sub-blocks); the simulated schedule equals the direct f64 computation.

mod common;

use proptest::prelude::*;
use spencnn::model::{BatchNorm, Conv2d, Layer, Linear, Model, PolyActivation, randomize};
use spencnn::plan::PlanConfig;
use spencnn::prune::{PruneSpec, PruneUnit, model_sub_blocks, prune_model};

#[derive(Clone, Debug)]
struct ConvCase {
    c_in: usize,
    c_out: usize,
    groups: usize,
    h: usize,
    w: usize,
    k: usize,
    stride: usize,
    padding: usize,
    log_n: u32,
    prune: Option<f64>,
    /// Prune the non-stem convolutions in rotation units instead of every convolution by
    /// magnitude.
    rotation_units: bool,
    seed: u64,
}

fn conv_case() -> impl Strategy<Value = ConvCase> {
    (1usize..=4, 1usize..=4, prop::sample::select(vec![1usize, 2, 4]), 3usize..=10, 3usize..=10)
        .prop_flat_map(|(gi, go, groups, h, w)| {
            let kmax = h.min(w).min(5);
            (Just((gi, go, groups, h, w)), 1..=kmax, 1usize..=2, 9u32..=11)
        })
        .prop_flat_map(|((gi, go, groups, h, w), k, stride, log_n)| {
            (
                Just((gi, go, groups, h, w, k, stride, log_n)),
                0..=(k - 1) / 2,
                prop::option::of(0.1f64..0.9),
                any::<bool>(),
                any::<u64>(),
            )
        })
        .prop_map(|((gi, go, groups, h, w, k, stride, log_n), padding, prune, rotation_units, seed)| ConvCase {
            c_in: gi * groups,
            c_out: go * groups,
            groups,
            h,
            w,
            k,
            stride,
            padding,
            log_n,
            prune,
            rotation_units,
            seed,
        })
}

/// Zeroes the pruned sub-blocks of every convolution of `model`.
fn prune_all(model: &mut Model, log_n: u32, ratio: f64) {
    for (n, map) in model_sub_blocks(model, &PlanConfig::new(log_n)).unwrap() {
        let Layer::Conv2d(conv) = &mut model.nodes[n].layer else { unreachable!() };
        let kept = map.kept_by_magnitude(&conv.weight, ratio);
        for (w, keep) in conv.weight.iter_mut().zip(map.weight_mask(&kept)) {
            if !keep {
                *w = 0.0;
            }
        }
    }
}

fn conv_layer(case: &ConvCase) -> Layer {
    let mut conv = Conv2d::new(case.c_in, case.c_out, case.k, case.stride, case.padding, case.groups);
    conv.bias = Some(vec![0.0; case.c_out]);
    Layer::Conv2d(conv)
}

fn act(c: usize) -> Layer {
    Layer::Activation(PolyActivation { channels: c, a: vec![0.0; c], b: vec![0.0; c], c: vec![0.0; c] })
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn single_convolution_matches_direct_convolution(case in conv_case()) {
        let mut model = common::sequential("conv", [case.c_in, case.h, case.w], vec![("conv".into(), conv_layer(&case))]);
        randomize(&mut model, case.seed);
        if let Some(ratio) = case.prune {
            prune_all(&mut model, case.log_n, ratio);
        }
        common::assert_simulation_matches(&model, &PlanConfig::new(case.log_n), case.seed);
    }

    #[test]
    fn conv_bn_act_pool_conv_head_matches_reference(case in conv_case()) {
        // conv → BN → act → [avgpool] → grouped 3x3 conv → BN → act → global pool → FC.
        let out = |n: usize| (n + 2 * case.padding - case.k) / case.stride + 1;
        let (oh, ow) = (out(case.h), out(case.w));
        let mut layers = vec![
            ("conv1".to_string(), conv_layer(&case)),
            ("bn1".into(), Layer::BatchNorm(BatchNorm::identity(case.c_out))),
            ("act1".into(), act(case.c_out)),
        ];
        let (mut h, mut w) = (oh, ow);
        if h >= 2 && w >= 2 {
            layers.push(("pool".into(), Layer::AvgPool2));
            h /= 2;
            w /= 2;
        }
        let c2 = 2 * case.c_out;
        let k2 = if h.min(w) >= 3 { 3 } else { 1 };
        layers.push(("conv2".into(), Layer::Conv2d(Conv2d::new(case.c_out, c2, k2, 1, k2 / 2, case.groups))));
        layers.push(("bn2".into(), Layer::BatchNorm(BatchNorm::identity(c2))));
        layers.push(("act2".into(), act(c2)));
        layers.push(("gap".into(), Layer::GlobalAvgPool));
        layers.push(("flatten".into(), Layer::Flatten));
        layers.push(("fc".into(), Layer::Linear(Linear { in_features: c2, out_features: 3, weight: vec![0.0; 3 * c2], bias: Some(vec![0.0; 3]) })));
        let mut model = common::sequential("pipeline", [case.c_in, case.h, case.w], layers);
        randomize(&mut model, case.seed);
        match case.prune {
            Some(ratio) if case.rotation_units => {
                let spec = PruneSpec { ratio, unit: PruneUnit::Rotation };
                prune_model(&mut model, &PlanConfig::new(case.log_n), spec).unwrap();
            }
            Some(ratio) => prune_all(&mut model, case.log_n, ratio),
            None => {}
        }
        common::assert_simulation_matches(&model, &PlanConfig::new(case.log_n), case.seed);
    }
}

/// A basic residual block with an identity or a 1×1 projection shortcut, then a dense head.
fn residual_model(c: usize, widen: bool, stride: usize, groups: usize, h: usize) -> Model {
    let c2 = if widen { 2 * c } else { c };
    let mut nodes = Vec::new();
    let mut push = |name: &str, layer: Layer, input: usize| {
        nodes.push(spencnn::model::Node { name: name.into(), layer, input });
        nodes.len()
    };
    let conv1 = push("conv1", Layer::Conv2d(Conv2d::new(c, c2, 3, stride, 1, groups)), 0);
    let bn1 = push("bn1", Layer::BatchNorm(BatchNorm::identity(c2)), conv1);
    let act1 = push("act1", act(c2), bn1);
    let conv2 = push("conv2", Layer::Conv2d(Conv2d::new(c2, c2, 3, 1, 1, groups)), act1);
    let main = push("bn2", Layer::BatchNorm(BatchNorm::identity(c2)), conv2);
    let shortcut = if stride != 1 || widen {
        let proj = push("shortcut", Layer::Conv2d(Conv2d::new(c, c2, 1, stride, 0, 1)), 0);
        push("shortcut_bn", Layer::BatchNorm(BatchNorm::identity(c2)), proj)
    } else {
        0
    };
    let add = push("add", Layer::Add { other: shortcut }, main);
    let act2 = push("act2", act(c2), add);
    let gap = push("gap", Layer::GlobalAvgPool, act2);
    let flat = push("flatten", Layer::Flatten, gap);
    push(
        "fc",
        Layer::Linear(Linear { in_features: c2, out_features: 2, weight: vec![0.0; 2 * c2], bias: Some(vec![0.0; 2]) }),
        flat,
    );
    Model { name: "residual".into(), input_shape: [c, h, h], nodes }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    #[test]
    fn residual_block_matches_reference(
        c in prop::sample::select(vec![2usize, 4, 8]),
        widen in any::<bool>(),
        stride in 1usize..=2,
        grouped in any::<bool>(),
        h in 4usize..=8,
        log_n in 9u32..=11,
        seed in any::<u64>(),
    ) {
        let groups = if grouped { 2 } else { 1 };
        let mut model = residual_model(c, widen, stride, groups, h);
        randomize(&mut model, seed);
        common::assert_simulation_matches(&model, &PlanConfig::new(log_n), seed);
    }
}
