//! Helpers shared by the integration tests.

#![allow(dead_code)]

use spencnn::Tensor3;
use spencnn::backend::run_simulated;
use spencnn::model::{Model, Node};
use spencnn::plan::{PlanConfig, Schedule, plan};
use spencnn::reference;

mod small_cnn;
#[allow(unused_imports)] // not every test crate uses the small CNN
pub use small_cnn::{LOG_N, small_cnn, test_options};

/// A deterministic test image.
pub fn image(shape: [usize; 3], seed: u64) -> Tensor3 {
    let [c, h, w] = shape;
    Tensor3::from_fn(c, h, w, |c, y, x| {
        let v = (c as u64 * 131 + y as u64 * 31 + x as u64 * 7).wrapping_add(seed.wrapping_mul(17)) % 97;
        v as f64 / 97.0 - 0.5
    })
}

/// A model from nodes applied in sequence.
pub fn sequential(name: &str, input_shape: [usize; 3], layers: Vec<(String, spencnn::model::Layer)>) -> Model {
    let nodes = layers.into_iter().enumerate().map(|(n, (name, layer))| Node { name, layer, input: n }).collect();
    Model { name: name.to_string(), input_shape, nodes }
}

/// Plans `model`, runs it on the simulator and checks it against the f64 reference to 1e-9
/// (relative to max(1, |value|)); also checks that the simulator executed exactly the counted
/// rotations, plaintext multiplies, rescales and squares. Returns the schedule.
pub fn assert_simulation_matches(model: &Model, config: &PlanConfig, seed: u64) -> Schedule {
    let schedule = plan(model, config).expect("plan");
    let input = image(model.input_shape, seed);
    let expected = reference::forward(model, &input).expect("reference");
    let (got, sim) = run_simulated(&schedule, &input).expect("simulate");
    assert_eq!(got.len(), expected.len());
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert!((g - e).abs() <= 1e-9 * e.abs().max(1.0), "{}: output {i}: simulated {g} vs reference {e}", model.name);
    }
    let (ran, counted) = (sim.executed(), schedule.totals());
    assert_eq!(ran.rotations, counted.rotations, "rotations");
    assert_eq!(ran.pmults, counted.pmults, "plaintext multiplies");
    assert_eq!(ran.rescales, counted.rescales, "rescales");
    assert_eq!(ran.squares, counted.squares, "squares");
    assert_eq!(ran.mod_downs, counted.mod_downs, "mod-downs");
    schedule
}

/// The interface of the SpENCNN LeNet (seeded random weights, the documented pruning ratio) at
/// `N = 2^14` under the default, secure parameter search.
pub fn secure_lenet_interface() -> spencnn::inference::ModelInterface {
    use spencnn::inference::{ModelInterface, ParamOptions, plan_for_ckks};
    use spencnn::model::zoo::{Network, Variant};
    use spencnn::variant::{Weights, build_variant};
    let built = build_variant(
        Network::LeNet,
        Variant::SpEncnn,
        &PlanConfig::new(14),
        Weights::Random(1),
        Some(spencnn::prune::PruneSpec::new(0.5)),
    )
    .unwrap();
    let (schedule, _, params) = plan_for_ckks(&built.model, 14, &ParamOptions::default()).unwrap();
    ModelInterface::new(&schedule, params).unwrap()
}
