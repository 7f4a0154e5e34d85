//! Operation counts of single convolutions, derived from the IR, equal the closed forms of
//! docs/planner.md.

mod common;

use spencnn::model::{Conv2d, Layer, Model, randomize};
use spencnn::plan::{BsgsSplit, CostModel, OpCounts, PlanConfig, Schedule, plan};

// S = 1024 slots, 8x8 maps in 8x8 blocks: B = 64, c = 16 channels per ciphertext.
const LOG_N: u32 = 11;
const B: usize = 64;
const C: usize = 16;
const K: usize = 9;

/// Diagonals on the inputs, taps on the outputs (order A of docs/planner.md).
const ORDER_A: BsgsSplit = BsgsSplit { modulus: B, baby_low: false, centered: true };
/// Taps on the inputs, diagonals on the outputs (order B).
const ORDER_B: BsgsSplit = BsgsSplit { modulus: B, baby_low: true, centered: true };

fn conv_model(c_in: usize, c_out: usize, groups: usize, seed: u64) -> Model {
    let conv = Conv2d::new(c_in, c_out, 3, 1, 1, groups);
    let mut model = common::sequential("conv", [c_in, 8, 8], vec![("conv".into(), Layer::Conv2d(conv))]);
    randomize(&mut model, seed);
    model
}

fn counts(model: &Model, split: Option<BsgsSplit>) -> (OpCounts, Schedule) {
    let mut config = PlanConfig::new(LOG_N);
    config.forced_split = split;
    let schedule = common::assert_simulation_matches(model, &config, 1);
    (schedule.totals(), schedule)
}

fn weights_mut(model: &mut Model) -> &mut Conv2d {
    match &mut model.nodes[0].layer {
        Layer::Conv2d(c) => c,
        _ => unreachable!(),
    }
}

#[test]
fn dense_convolution_matches_the_design_note() {
    let (n_i, n_o) = (2, 1);
    let model = conv_model(32, 16, 1, 5);
    let (a, _) = counts(&model, Some(ORDER_A));
    assert_eq!(a.rotations, n_i * (C - 1) + n_o * (K - 1));
    assert_eq!(a.pmults, C * K * n_i * n_o);
    assert_eq!(a.rescales, n_o);
    // Double hoisting: one decomposition per input and per giant rotation; one mod-down per
    // (output, tap) inner sum and one per output's rotate-sum.
    assert_eq!(a.decompositions, n_i + n_o * (K - 1));
    assert_eq!(a.mod_downs, n_o * K + n_o);
    // Inner sums, giant-step sums and one bias addition per output.
    assert_eq!(a.adds, n_o * K * (n_i * C - 1) + n_o * (K - 1) + n_o);

    let (b, _) = counts(&model, Some(ORDER_B));
    assert_eq!(b.rotations, n_i * (K - 1) + n_o * (C - 1));
    assert_eq!(b.pmults, C * K * n_i * n_o);
    assert_eq!(b.decompositions, n_i + n_o * (C - 1));
    assert_eq!(b.mod_downs, n_o * C + n_o);

    // The planner's own choice is never worse than either order under its cost model.
    let cost = CostModel::for_ring(LOG_N);
    let (_, auto) = counts(&model, None);
    let (_, sa) = counts(&model, Some(ORDER_A));
    let (_, sb) = counts(&model, Some(ORDER_B));
    let price = |s: &Schedule| cost.program_cost(&s.instrs);
    assert!(price(&auto) <= price(&sa).min(price(&sb)) + 1e-9);
}

#[test]
fn grouped_convolution_with_interleaving_needs_s_diagonals() {
    // 8 groups of s = 4 < c: group-interleaved layouts on both sides.
    let (n_i, n_o, s) = (2, 2, 4);
    let (a, schedule) = counts(&conv_model(32, 32, 8, 6), Some(ORDER_A));
    assert_eq!(a.rotations, n_i * (s - 1) + n_o * (K - 1));
    assert_eq!(a.pmults, n_o * s * K);
    assert_eq!(schedule.input_layout.placement, spencnn::layout::Placement::Interleaved { group_size: 4 });
}

#[test]
fn grouped_convolution_with_groups_spanning_ciphertexts_reads_fewer_inputs() {
    // 2 groups of s = 16 = c: each output ciphertext reads s / c = 1 input ciphertext.
    let (n_i, n_o, s) = (2, 2, 16);
    let (a, _) = counts(&conv_model(32, 32, 2, 7), Some(ORDER_A));
    assert_eq!(a.rotations, n_i * (C - 1) + n_o * (K - 1));
    assert_eq!(a.pmults, C * K * n_o * (s / C));
}

#[test]
fn zero_sub_blocks_remove_multiplies_and_rotations() {
    let (n_i, n_o) = (2, 2);
    let mut model = conv_model(32, 32, 1, 8);
    let conv = weights_mut(&mut model);
    // Zero every weight on channel diagonal δ = 1 (input block = output block + 1): the
    // rotation by one block disappears for both inputs.
    for o in 0..32 {
        for i in 0..32 {
            if (i + C - o % C) % C == 1 {
                for t in 0..K {
                    conv.weight[(o * 32 + i) * K + t] = 0.0;
                }
            }
        }
    }
    let (a, _) = counts(&model, Some(ORDER_A));
    assert_eq!(a.rotations, n_i * (C - 2) + n_o * (K - 1));
    assert_eq!(a.pmults, C * K * n_i * n_o - n_i * n_o * K);

    // Also zero the corner tap everywhere: one giant rotation per output disappears.
    let conv = weights_mut(&mut model);
    for w in conv.weight.chunks_mut(K) {
        w[0] = 0.0;
    }
    let (a, _) = counts(&model, Some(ORDER_A));
    assert_eq!(a.rotations, n_i * (C - 2) + n_o * (K - 2));
    assert_eq!(a.pmults, (C - 1) * (K - 1) * n_i * n_o);
}

#[test]
fn replicated_single_channel_input_uses_tap_rotations_only() {
    // C_in = 1 is replicated into every block: one diagonal per tap, no channel rotations.
    let n_o = 2;
    let model = conv_model(1, 32, 1, 9);
    let (auto, _) = counts(&model, None);
    assert_eq!(auto.pmults, n_o * K);
    assert!(auto.rotations < K, "{auto:?}");
}

#[test]
fn a_convolution_costs_one_level_and_an_activation_one_more() {
    let model = conv_model(4, 4, 1, 10);
    assert_eq!(plan(&model, &PlanConfig::new(LOG_N)).unwrap().depth(), 1);
    let mut model = conv_model(4, 4, 1, 10);
    model.nodes.push(spencnn::model::Node {
        name: "act".into(),
        layer: Layer::Activation(spencnn::model::PolyActivation {
            channels: 4,
            a: vec![0.3, -0.2, 0.1, 0.5],
            b: vec![1.0; 4],
            c: vec![0.1; 4],
        }),
        input: 1,
    });
    let schedule = common::assert_simulation_matches(&model, &PlanConfig::new(LOG_N), 2);
    assert_eq!(schedule.depth(), 2);
    assert_eq!(schedule.totals().squares, 1);
    assert_eq!(schedule.totals().pmults, 4 * K, "the activation needs no plaintext multiply");
}

#[test]
fn affine_layers_on_consumed_values_are_folded_forward() {
    // conv → pool → BN → act: the pool consumed the convolution's output, so BN stays pending
    // and the activation needs a per-channel scaling stage (one extra level, one plaintext
    // multiply per ciphertext, no rotation) before its square.
    use spencnn::model::{BatchNorm, Linear, PolyActivation};
    let c = 4;
    let layers = vec![
        ("conv".to_string(), Layer::Conv2d(Conv2d::new(c, c, 3, 2, 1, 1))),
        ("pool".into(), Layer::AvgPool2),
        ("bn".into(), Layer::BatchNorm(BatchNorm::identity(c))),
        (
            "act".into(),
            Layer::Activation(PolyActivation { channels: c, a: vec![0.0; c], b: vec![0.0; c], c: vec![0.0; c] }),
        ),
        ("gap".into(), Layer::GlobalAvgPool),
        ("flatten".into(), Layer::Flatten),
        ("fc".into(), Layer::Linear(Linear { in_features: c, out_features: 3, weight: vec![0.0; 3 * c], bias: None })),
    ];
    let mut model = common::sequential("folding", [c, 8, 8], layers);
    randomize(&mut model, 12);
    let schedule = common::assert_simulation_matches(&model, &PlanConfig::new(LOG_N), 4);
    // conv 1 + scaling 1 + square 1 + fc 1.
    assert_eq!(schedule.depth(), 4);
    let act = &schedule.layers[3];
    assert_eq!((act.counts.pmults, act.counts.squares, act.counts.rotations), (1, 1, 0));
    assert_eq!(schedule.layers[2].counts, OpCounts::default(), "batch norm is free");
}
