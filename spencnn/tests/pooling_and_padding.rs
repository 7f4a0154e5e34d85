//! General average pooling (any window, stride, padding, both divisor conventions) and
//! asymmetric convolution padding: the simulated schedule equals the f64 reference, whose
//! pooling is checked against hand-computed values.

mod common;

use common::{assert_simulation_matches, sequential};
use proptest::prelude::*;
use spencnn::Tensor3;
use spencnn::model::{AvgPool, Conv2d, Layer, Linear, PolyActivation, randomize};
use spencnn::plan::PlanConfig;
use spencnn::reference;

fn act(c: usize) -> Layer {
    Layer::Activation(PolyActivation { channels: c, a: vec![0.0; c], b: vec![0.0; c], c: vec![0.0; c] })
}

fn pool(kernel: usize, stride: usize, pads: [usize; 4], count_include_pad: bool) -> Layer {
    Layer::AvgPool(AvgPool { kernel, stride, pads, count_include_pad })
}

#[test]
fn reference_pooling_matches_hand_computed_values() {
    // 1 channel 3x3 map 0..8, window 2, stride 1, padding 1 on every side.
    let input = Tensor3::from_fn(1, 3, 3, |_, y, x| (y * 3 + x) as f64);
    let include = reference::layer(&pool(2, 1, [1; 4], true), &input, None);
    let exclude = reference::layer(&pool(2, 1, [1; 4], false), &input, None);
    assert_eq!(include.shape(), [1, 4, 4]);
    // Corner (0, 0) sees only pixel 0; (1, 1) sees 0, 1, 3, 4.
    assert_eq!(include.get(0, 0, 0), 0.0 / 4.0);
    assert_eq!(include.get(0, 1, 1), 8.0 / 4.0);
    assert_eq!(include.get(0, 0, 1), (0.0 + 1.0) / 4.0);
    assert_eq!(exclude.get(0, 0, 1), (0.0 + 1.0) / 2.0);
    assert_eq!(exclude.get(0, 3, 3), 8.0);
    assert_eq!(exclude.get(0, 1, 1), 2.0);
    // Asymmetric padding [top, left, bottom, right] = [0, 1, 1, 0], window 2, stride 2.
    let asym = reference::layer(&pool(2, 2, [0, 1, 1, 0], false), &input, None);
    assert_eq!(asym.shape(), [1, 2, 2]);
    assert_eq!(asym.get(0, 0, 0), (0.0 + 3.0) / 2.0);
    assert_eq!(asym.get(0, 1, 0), 6.0);
}

#[test]
fn reference_asymmetric_convolution_matches_hand_computed_values() {
    let input = Tensor3::from_fn(1, 3, 3, |_, y, x| (y * 3 + x) as f64);
    let mut conv = Conv2d::new(1, 1, 2, 1, 0, 1);
    conv.weight = vec![1.0; 4];
    conv.pads = Some([1, 0, 0, 1]); // one row above, one column to the right
    let out = reference::conv2d(&conv, &input);
    assert_eq!(out.shape(), [1, 3, 3]);
    assert_eq!(out.data, vec![1.0, 3.0, 2.0, 8.0, 12.0, 7.0, 20.0, 24.0, 13.0]);
}

/// conv (asymmetric pads) → act → pool → act → flatten → FC, simulated vs reference.
fn pipeline(
    conv_pads: [usize; 4],
    stride: usize,
    pool_layer: Layer,
    hw: usize,
    log_n: u32,
    seed: u64,
) -> Result<(), TestCaseError> {
    let mut conv = Conv2d::new(2, 3, 3, stride, 0, 1);
    conv.pads = Some(conv_pads);
    conv.bias = Some(vec![0.0; 3]);
    let layers = vec![
        ("conv".to_string(), Layer::Conv2d(conv)),
        ("act1".into(), act(3)),
        ("pool".into(), pool_layer),
        ("act2".into(), act(3)),
        ("flatten".into(), Layer::Flatten),
    ];
    let mut model = sequential("pipeline", [2, hw, hw], layers);
    let Ok(shapes) = model.shapes() else {
        return Ok(()); // the window does not fit this map
    };
    let features = shapes.last().expect("shapes")[0];
    model.nodes.push(spencnn::model::Node {
        name: "fc".into(),
        layer: Layer::Linear(Linear {
            in_features: features,
            out_features: 4,
            weight: vec![0.0; 4 * features],
            bias: Some(vec![0.0; 4]),
        }),
        input: model.nodes.len(),
    });
    randomize(&mut model, seed);
    assert_simulation_matches(&model, &PlanConfig::new(log_n), seed);
    Ok(())
}

#[test]
fn padded_pooling_costs_one_level_and_unpadded_pooling_none() {
    let depth = |pool_layer: Layer| {
        let layers =
            vec![("conv".to_string(), Layer::Conv2d(Conv2d::new(1, 2, 3, 1, 1, 1))), ("pool".into(), pool_layer)];
        let mut model = sequential("pool", [1, 8, 8], layers);
        randomize(&mut model, 3);
        assert_simulation_matches(&model, &PlanConfig::new(10), 3).depth()
    };
    assert_eq!(depth(pool(3, 2, [0; 4], false)), 1);
    assert_eq!(depth(pool(3, 2, [1; 4], false)), 2);
    assert_eq!(depth(pool(3, 2, [1; 4], true)), 2);
}

#[test]
fn growing_maps_beyond_the_block_are_refused() {
    // A 3x3 convolution padded by 2 turns 8x8 into 10x10, outside the 8x8 block.
    let mut conv = Conv2d::new(1, 1, 3, 1, 2, 1);
    conv.weight = vec![1.0; 9];
    let model = sequential("grow", [1, 8, 8], vec![("conv".to_string(), Layer::Conv2d(conv))]);
    let err = spencnn::plan::plan(&model, &PlanConfig::new(10)).unwrap_err();
    assert!(matches!(err, spencnn::plan::PlanError::Layout { ref node, .. } if node == "conv"), "{err}");
}

#[test]
fn lenet_style_pooling_shapes_simulate_exactly() {
    // Window 2 stride 1, window 3 stride 2 with padding 1 (both conventions), an asymmetric
    // "same" padding, a stride-2 convolution before a window-3 pool.
    pipeline([1; 4], 1, pool(2, 1, [0; 4], true), 8, 10, 1).unwrap();
    pipeline([1; 4], 1, pool(3, 2, [1; 4], false), 9, 10, 2).unwrap();
    pipeline([1; 4], 1, pool(3, 2, [1; 4], true), 9, 10, 3).unwrap();
    pipeline([0, 0, 1, 1], 2, pool(2, 1, [0, 0, 1, 1], false), 8, 10, 4).unwrap();
    pipeline([1, 0, 1, 2], 2, pool(3, 1, [0; 4], true), 11, 11, 5).unwrap();
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    /// Random asymmetric convolution pads and random pooling windows, strides, pads and divisor
    /// conventions.
    #[test]
    fn random_pools_and_pads_simulate_exactly(
        conv_pads in prop::array::uniform4(0usize..=2),
        stride in 1usize..=2,
        kernel in 1usize..=3,
        pool_stride in 1usize..=3,
        pool_pads in prop::array::uniform4(0usize..=1),
        count_include_pad in any::<bool>(),
        hw in 6usize..=12,
        log_n in 10u32..=11,
        seed in any::<u64>(),
    ) {
        // Maps never grow (the planner keeps a map in its block; growing ones are refused, see
        // `growing_maps_beyond_the_block_are_refused`).
        prop_assume!(conv_pads[0] + conv_pads[2] <= 2 && conv_pads[1] + conv_pads[3] <= 2);
        let pads = if kernel > 1 { pool_pads } else { [0; 4] };
        prop_assume!(pads[0] + pads[2] < kernel && pads[1] + pads[3] < kernel);
        pipeline(conv_pads, stride, pool(kernel, pool_stride, pads, count_include_pad), hw, log_n, seed)?;
    }
}
