//! The cost-driven planner: the HEAR lowering computes the same network, the packing search
//! never picks a packing the cost model prices above the policy's, and the latency prediction
//! is the program cost on one thread.

mod common;

use spencnn::model::randomize;
use spencnn::model::zoo::{Network, Variant};
use spencnn::plan::{
    ConvMethod, CostModel, CostProfile, OpCounts, PlaintextTiming, PlanConfig, conv_stage_layouts, predict_latency,
};
use spencnn::prune::{PruneSpec, PruneUnit, prune_model};

#[test]
fn hear_lowering_matches_the_reference_with_more_work() {
    let mut model = Network::LeNet.build(Variant::Dense);
    randomize(&mut model, 5);
    let mut hear = PlanConfig::new(14);
    hear.method = ConvMethod::Hear;
    let schedule = common::assert_simulation_matches(&model, &hear, 2);
    let ours = spencnn::plan::plan(&model, &PlanConfig::new(14)).unwrap();
    let (h, o) = (schedule.totals(), ours.totals());
    // Every rotation of a HEAR linear layer is a key switch of its own; ours hoists.
    for layer in schedule.layers.iter().filter(|l| l.split.is_some()) {
        assert_eq!(layer.counts.decompositions, layer.counts.rotations, "{}", layer.name);
    }
    assert!(h.pmults > 3 * o.pmults && h.decompositions > 5 * o.decompositions, "{h:?} vs {o:?}");
    assert_eq!(schedule.input_layout.grid.phases, 1, "HEAR keeps stride-grid maps");
    // The client checks an answer against these: the HEAR inner sums must carry their scales.
    let specs = spencnn::inference::outputs::output_specs(&schedule).expect("HEAR output specs");
    assert_eq!(specs.len(), schedule.outputs.len());
    let ours_specs = spencnn::inference::outputs::output_specs(&ours).unwrap();
    assert_eq!(specs[0].level, ours_specs[0].level, "both lowerings end at one level");
}

#[test]
fn packing_search_never_loses_to_the_policy() {
    for net in [Network::LeNet, Network::HefNet] {
        let mut model = net.build(Variant::SpEncnn);
        randomize(&mut model, 3);
        let searched_config = PlanConfig::new(net.default_log_n());
        let mut policy = searched_config.clone();
        policy.packing.search = false;
        let cost = searched_config.cost;
        let searched = spencnn::plan::plan(&model, &searched_config).unwrap();
        let fixed = spencnn::plan::plan(&model, &policy).unwrap();
        let price = |s| predict_latency(s, &cost, PlaintextTiming::Preencoded).seconds;
        assert!(price(&searched) <= price(&fixed) * (1.0 + 1e-9), "{net}");
        let decided: Vec<_> = searched.choices.iter().filter(|c| c.decision != "baby/giant split").collect();
        assert!(!decided.is_empty(), "{net}: no packing decision reported");
        for c in decided {
            assert!(c.alternatives.len() >= 2 && c.alternatives.iter().any(|a| a.name == c.chosen));
            let best = c.alternatives.iter().map(|a| a.seconds).fold(f64::INFINITY, f64::min);
            let chosen = c.alternatives.iter().find(|a| a.name == c.chosen).unwrap().seconds;
            assert_eq!(chosen, best, "{net} {}: the cheapest alternative is taken", c.layer);
        }
        // Searched layouts depend on the architecture only: pruning does not move them.
        let before = conv_stage_layouts(&model, &searched_config).unwrap();
        prune_model(&mut model, &searched_config, PruneSpec { ratio: 0.5, unit: PruneUnit::Rotation }).unwrap();
        assert_eq!(before, conv_stage_layouts(&model, &searched_config).unwrap(), "{net}");
    }
}

#[test]
fn one_thread_latency_is_the_program_cost() {
    let mut model = Network::Vgg5.build(Variant::SpEncnn);
    randomize(&mut model, 2);
    let config = PlanConfig::new(14);
    let schedule = spencnn::plan::plan(&model, &config).unwrap();
    let cost: CostModel = config.cost;
    let predicted = predict_latency(&schedule, &cost, PlaintextTiming::Preencoded);
    let total = cost.program_cost(&schedule.instrs);
    assert!((predicted.seconds - total).abs() <= 1e-9 * total);
    // Encoding during inference costs more.
    let on_demand = predict_latency(&schedule, &cost, PlaintextTiming::OnDemand).seconds;
    assert!(on_demand > predicted.seconds);
    // With two threads of exactly twice the throughput, waves with enough independent work
    // halve and the critical paths of the others do not: between half and all of one thread.
    let mut profile = CostProfile::committed();
    let one = profile.entries.iter().find(|e| e.log_n == 14 && e.threads == 1).unwrap().clone();
    let mut doubled = one.clone();
    doubled.threads = 2;
    for p in &mut doubled.primitives {
        p.fit.intercept /= 2.0;
        p.fit.per_unit /= 2.0;
    }
    profile.insert(one);
    profile.insert(doubled);
    let serial = CostModel::from_profile(&profile, 14, 1, cost.special, cost.primes_per_digit);
    let parallel = CostModel::from_profile(&profile, 14, 2, cost.special, cost.primes_per_digit);
    let one = predict_latency(&schedule, &serial, PlaintextTiming::Preencoded).seconds;
    let two = predict_latency(&schedule, &parallel, PlaintextTiming::Preencoded).seconds;
    assert!(two < one && two >= one / 2.0 * (1.0 - 1e-9), "{two} vs {one}");
    assert_eq!(schedule.totals(), schedule.layers.iter().fold(OpCounts::default(), |a, l| a + l.counts));
}

#[test]
fn a_model_outside_the_zoo_gets_the_same_per_layer_choice() {
    // Any `Model` (an imported one, say) is searched like the zoo's: by its architecture.
    let model = common::small_cnn();
    let config = PlanConfig::new(common::LOG_N);
    let schedule = common::assert_simulation_matches(&model, &config, 7);
    let decisions: Vec<&str> = schedule.choices.iter().map(|c| c.decision.as_str()).collect();
    assert!(decisions.contains(&"input encoding"), "{decisions:?}");
    assert!(decisions.contains(&"output placement"), "{decisions:?}");
    for c in schedule.choices.iter().filter(|c| c.decision != "baby/giant split") {
        let best = c.alternatives.iter().map(|a| a.seconds).fold(f64::INFINITY, f64::min);
        let chosen = c.alternatives.iter().find(|a| a.name == c.chosen).unwrap().seconds;
        assert_eq!(chosen, best, "{}: the cheapest alternative is taken", c.layer);
    }
    // Fixing a decision by hand is respected and reported as no choice.
    let mut fixed = config.clone();
    fixed.packing.polyphase = Some(false);
    let stride_grid = common::assert_simulation_matches(&model, &fixed, 7);
    assert_eq!(stride_grid.input_layout.grid.phases, 1);
    assert!(stride_grid.choices.iter().all(|c| c.decision != "input encoding"));
}
