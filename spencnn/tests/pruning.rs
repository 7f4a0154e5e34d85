//! Rotation-aware sub-block pruning: the masks zero exactly the chosen units, the planner then
//! drops their rotations, and the pruned networks still equal the f64 reference.

mod common;

use spencnn::model::zoo::{Network, Variant};
use spencnn::model::{Conv2d, Layer, Model, randomize};
use spencnn::plan::{CostModel, LinearStage, PlanConfig, plan};
use spencnn::prune::{
    PruneSpec, PruneUnit, RotationPruning, RotationUnit, model_sub_blocks, prune_model, prune_rotations,
};

fn lenet(seed: u64) -> Model {
    let mut model = Network::LeNet.build(Variant::SpEncnn);
    randomize(&mut model, seed);
    model
}

fn node(model: &Model, name: &str) -> usize {
    model.nodes.iter().position(|n| n.name == name).expect("node")
}

fn conv_mut<'a>(model: &'a mut Model, name: &str) -> &'a mut Conv2d {
    let n = node(model, name);
    let Layer::Conv2d(conv) = &mut model.nodes[n].layer else { panic!("{name} is not a convolution") };
    conv
}

/// The stage and level of convolution `name` as planned with `config`.
fn stage(model: &Model, config: &PlanConfig, name: &str) -> (LinearStage, usize) {
    let schedule = plan(model, config).unwrap();
    let n = node(model, name);
    let level = schedule.layers[n].level_out + 1;
    (schedule.stages.into_iter().find(|s| s.node == Some(n)).expect("stage"), level)
}

/// Rotation pruning of conv2 at `ratio` on the model's weights, as `prune_model` computes it.
fn conv2_pruning(model: &Model, config: &PlanConfig, ratio: f64) -> (RotationPruning, LinearStage) {
    let (stage, level) = stage(model, config, "conv2");
    let maps = model_sub_blocks(model, config).unwrap();
    let map = &maps.iter().find(|(n, _)| *n == node(model, "conv2")).unwrap().1;
    let Layer::Conv2d(conv) = &model.nodes[node(model, "conv2")].layer else { unreachable!() };
    let target = PruneSpec::new(ratio).target(map.blocks.len());
    (prune_rotations(&stage, level, &config.cost, &map.importance(&conv.weight), target), stage)
}

fn conv2_rotations(model: &Model, config: &PlanConfig) -> usize {
    plan(model, config).unwrap().layers[node(model, "conv2")].counts.rotations
}

#[test]
fn the_masks_zero_exactly_the_chosen_units() {
    let config = PlanConfig::new(14);
    for ratio in [0.5, 0.75, 0.9] {
        let mut model = lenet(4);
        let (pruning, _) = conv2_pruning(&model, &config, ratio);
        let report = prune_model(&mut model, &config, PruneSpec::new(ratio)).unwrap();
        let conv2 = report.iter().find(|p| p.name == "conv2").unwrap();
        assert_eq!(conv2.unit, Some(PruneUnit::Rotation));
        assert_eq!(conv2.blocks - conv2.kept, PruneSpec::new(ratio).target(conv2.blocks));
        assert!(!pruning.units.is_empty(), "whole units removed at {ratio}");
        assert!(pruning.singles.len() < pruning.units.iter().map(|u| u.1.len()).max().unwrap());

        let mut chosen = vec![false; conv2.blocks];
        pruning.units.iter().flat_map(|u| &u.1).chain(&pruning.singles).for_each(|&d| chosen[d] = true);
        let maps = model_sub_blocks(&model, &config).unwrap();
        let map = &maps.iter().find(|(n, _)| *n == node(&model, "conv2")).unwrap().1;
        let zero: Vec<bool> = map.kept_from_weights(&conv_mut(&mut model, "conv2").weight).iter().map(|k| !k).collect();
        assert_eq!(zero, chosen, "zero sub-blocks at {ratio}");
        // A unit is every sub-block sharing its rotation under the split.
        for (unit, blocks) in &pruning.units {
            for &d in blocks {
                let (baby, giant) = pruning.split.split(map.blocks[d].step, config.slots());
                match *unit {
                    RotationUnit::Baby { in_ct, step } => assert!(map.blocks[d].in_ct == in_ct && baby == step),
                    RotationUnit::Giant { out_ct, step } => assert!(map.blocks[d].out_ct == out_ct && giant == step),
                }
            }
        }
        // The stem is not pruned.
        let conv1 = report.iter().find(|p| p.name == "conv1").unwrap();
        assert_eq!((conv1.kept, conv1.unit), (conv1.blocks, None));
    }
}

#[test]
fn the_planner_drops_the_rotations_of_the_removed_units() {
    let config = PlanConfig::new(14);
    for ratio in [0.5, 0.75, 0.9] {
        let dense_weights = lenet(5);
        let (pruning, stage) = conv2_pruning(&dense_weights, &config, ratio);
        let mut model = dense_weights.clone();
        prune_model(&mut model, &config, PruneSpec::new(ratio)).unwrap();

        // Planned with the split the units follow: exactly the rotations the pruning reports,
        // at least one fewer per removed unit with a non-zero step.
        let forced = PlanConfig { forced_split: Some(pruning.split), ..config.clone() };
        let before = conv2_rotations(&dense_weights, &forced);
        let after = conv2_rotations(&model, &forced);
        assert_eq!(after, pruning.rotations_after, "at {ratio}");
        let rotating_units = pruning
            .units
            .iter()
            .filter(|(u, _)| match u {
                RotationUnit::Baby { step, .. } | RotationUnit::Giant { step, .. } => *step != 0,
            })
            .count();
        assert!(before - after >= rotating_units, "{before} -> {after}, {rotating_units} units at {ratio}");

        // The planner's own split choice costs no more, and the cost it estimates for conv2's
        // products matches the pruning's estimate under that split.
        let cost = CostModel::for_ring(14);
        let layer_cost = |c: &PlanConfig| {
            let schedule = plan(&model, c).unwrap();
            let n = node(&model, "conv2");
            cost.program_cost(&schedule.instrs.iter().filter(|i| i.layer == n).cloned().collect::<Vec<_>>())
        };
        assert!(layer_cost(&config) <= layer_cost(&forced) + 1e-9);
        assert!(pruning.cost_after < pruning.cost_before);
        assert_eq!(stage.diagonals.len(), pruning.kept.len());

        // Against magnitude pruning of single sub-blocks at the same ratio: fewer rotations.
        let mut by_magnitude = dense_weights.clone();
        prune_model(&mut by_magnitude, &config, PruneSpec::new(ratio).with_unit(PruneUnit::Diagonal)).unwrap();
        let (rotation, diagonal) = (conv2_rotations(&model, &config), conv2_rotations(&by_magnitude, &config));
        assert!(rotation < diagonal, "conv2 rotations at {ratio}: rotation units {rotation}, diagonals {diagonal}");
    }
}

#[test]
fn important_units_survive() {
    let config = PlanConfig::new(14);
    let mut model = lenet(6);
    // Make the sub-blocks of one baby unit a hundred times larger than the rest.
    let (pruning, _) = conv2_pruning(&model, &config, 0.5);
    let maps = model_sub_blocks(&model, &config).unwrap();
    let map = maps.iter().find(|(n, _)| *n == node(&model, "conv2")).unwrap().1.clone();
    let (_, strong) = pruning.units[0].clone();
    let conv2 = conv_mut(&mut model, "conv2");
    for &d in &strong {
        map.blocks[d].weights.iter().for_each(|&w| conv2.weight[w] *= 100.0);
    }
    let (again, _) = conv2_pruning(&model, &config, 0.5);
    assert!(strong.iter().all(|&d| again.kept[d]), "the scaled unit is kept");
}

#[test]
fn rotation_pruned_zoo_networks_match_the_reference() {
    for (network, ratio) in [(Network::LeNet, 0.9), (Network::Vgg5, 0.75)] {
        let mut model = network.build(Variant::SpEncnn);
        randomize(&mut model, 7);
        let config = PlanConfig::new(network.default_log_n());
        prune_model(&mut model, &config, PruneSpec::new(ratio)).unwrap();
        common::assert_simulation_matches(&model, &config, 2);
    }
}

#[test]
fn pruning_units_parse_and_print() {
    for unit in PruneUnit::ALL {
        assert_eq!(unit.to_string().parse::<PruneUnit>().unwrap(), unit);
    }
    assert_eq!(PruneUnit::default(), PruneUnit::Rotation);
    assert!("tap".parse::<PruneUnit>().unwrap_err().to_string().contains("diagonal or rotation"));
    assert_eq!(PruneSpec::new(0.75).target(800), 600);
    assert_eq!(PruneSpec::new(1.5).target(10), 10);
}
