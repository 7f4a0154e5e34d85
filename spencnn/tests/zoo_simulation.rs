//! Whole networks: the simulated schedule equals the f64 reference, at the documented ring
//! degrees, dense and SpENCNN (grouped and pruned).

mod common;

use spencnn::model::randomize;
use spencnn::model::zoo::{Network, Variant};
use spencnn::plan::PlanConfig;
use spencnn::prune::{PruneSpec, PruneUnit, prune_model};

fn check(net: Network, variant: Variant) {
    check_unit(net, variant, PruneUnit::default());
}

fn check_unit(net: Network, variant: Variant, unit: PruneUnit) {
    let mut model = net.build(variant);
    randomize(&mut model, 11);
    let log_n = net.default_log_n();
    if variant == Variant::SpEncnn {
        let spec = PruneSpec { ratio: net.default_prune_ratio(), unit };
        prune_model(&mut model, &PlanConfig::new(log_n), spec).unwrap();
    }
    let schedule = common::assert_simulation_matches(&model, &PlanConfig::new(log_n), 3);
    assert_eq!(schedule.output_level, 0);
}

#[test]
fn lenet_matches_the_reference() {
    check(Network::LeNet, Variant::Dense);
    check(Network::LeNet, Variant::SpEncnn);
    check_unit(Network::LeNet, Variant::SpEncnn, PruneUnit::Diagonal);
}

#[test]
fn vgg5_matches_the_reference() {
    check(Network::Vgg5, Variant::SpEncnn);
}

#[test]
fn hefnet_matches_the_reference() {
    check(Network::HefNet, Variant::SpEncnn);
}

#[test]
fn resnet20_matches_the_reference() {
    check(Network::ResNet20, Variant::Dense);
    check(Network::ResNet20, Variant::SpEncnn);
}

#[test]
fn lenet_depth_fits_n_2_14() {
    let mut model = Network::LeNet.build(Variant::SpEncnn);
    randomize(&mut model, 1);
    let schedule = spencnn::plan::plan(&model, &PlanConfig::new(14)).unwrap();
    // conv, act, conv, act, fc, act, fc: one level each (activations in one level).
    assert_eq!(schedule.depth(), 7);
}
