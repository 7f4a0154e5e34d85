//! The memory budget: rotations composed from fewer keys compute exactly the same slots; the
//! planner fits a budget by the cheapest changes or refuses it with the smallest that works;
//! encrypted results under a tight budget are bit-identical when the schedule is unchanged
//! (compact keys, encoding during inference) and within the precision target otherwise.

mod common;

use spencnn::backend::run_simulated;
use spencnn::inference::memory_budget::key_reduction_path;
use spencnn::inference::memory_footprint::footprint;
use spencnn::inference::{
    Agreement, Client, EncodingPolicy, KeyGenCost, KeyGenLimit, KeyStorage, MemoryBudgetError, MemoryOptions, Server,
    fit_memory, plan_for_ckks,
};
use spencnn::model::zoo::{Network, Variant};
use spencnn::plan::rotation_keys::with_instrs;
use spencnn::plan::{CostModel, Schedule};
use spencnn::variant::{Weights, build_variant};
use spencnn_ckks::Parameters;
use spencnn_ckks::rlwe::GaloisKeySet;

use common::{LOG_N, small_cnn, test_options};

fn lenet() -> (Schedule, CostModel, Parameters) {
    let built = build_variant(
        Network::LeNet,
        Variant::SpEncnn,
        &spencnn::plan::PlanConfig::new(14),
        Weights::Random(1),
        Some(spencnn::prune::PruneSpec::new(0.5)),
    )
    .unwrap();
    let (schedule, choice, params) = plan_for_ckks(&built.model, 14, &Default::default()).unwrap();
    (schedule, choice.cost_model(2), params)
}

fn small() -> (Schedule, CostModel, Parameters) {
    let (schedule, choice, params) = plan_for_ckks(&small_cnn(), LOG_N, &test_options()).unwrap();
    (schedule, choice.cost_model(2), params)
}

fn options(budget_bytes: Option<usize>) -> MemoryOptions {
    MemoryOptions { budget_bytes, key_storage: None, encoding: None, reduce_keys: true, threads: 2, keygen_limit: None }
}

#[test]
fn composed_rotations_give_the_same_slots_with_fewer_keys() {
    for (name, (schedule, cost, params)) in [("lenet", lenet()), ("small", small())] {
        let path = key_reduction_path(&schedule, &params, &cost, 0, |_| true);
        let planned = schedule.rotation_steps().len();
        assert!(path.len() > planned / 2, "{name}: only {} of {planned} keys dropped", path.len() - 1);
        let image = common::image(schedule.input_layout.shape(), 4);
        let expected = run_simulated(&schedule, &image).unwrap().0;
        let mut previous_keys = planned + 1;
        for (i, point) in path.iter().enumerate() {
            let composed = with_instrs(&schedule, point.instrs.clone(), point.num_values);
            let keys = composed.rotation_steps();
            assert_eq!(keys.len(), planned - point.dropped.len(), "{name}: point {i}");
            assert!(keys.len() < previous_keys);
            assert!(point.dropped.iter().all(|s| !keys.contains(s)), "{name}: a dropped step is still used");
            previous_keys = keys.len();
            if i % 4 == 0 || i + 1 == path.len() {
                // Rotations are slot permutations: composing them changes nothing in the slots.
                let (got, sim) = run_simulated(&composed, &image).unwrap();
                assert_eq!(got, expected, "{name}: point {i} ({} keys)", keys.len());
                assert_eq!(sim.executed().rotations, composed.totals().rotations);
            }
        }
        eprintln!(
            "{name}: {planned} keys -> {}, rotations {} -> {}",
            previous_keys,
            schedule.totals().rotations,
            with_instrs(&schedule, path.last().unwrap().instrs.clone(), path.last().unwrap().num_values)
                .totals()
                .rotations
        );
    }
}

#[test]
fn the_planner_fits_the_budget_or_names_the_smallest() {
    let (schedule, cost, params) = lenet();
    let unconstrained = footprint(&schedule, &params, KeyStorage::Expanded, EncodingPolicy::Preencoded, 2);
    // Enough memory: nothing changes.
    let (same, plan) = fit_memory(&schedule, &params, &cost, &options(Some(unconstrained.peak))).unwrap();
    assert_eq!(same.instrs, schedule.instrs);
    assert!(!plan.compact_keys && plan.encoding == EncodingPolicy::Preencoded && plan.dropped_steps.is_empty());
    assert_eq!(plan.latency_ratio(), 1.0);
    assert!(plan.to_string().contains("none needed"), "{plan}");
    // Tighter budgets: always within budget, never cheaper than unconstrained, and the more
    // frugal the budget the more the changes cost.
    let mut last_cost = plan.estimated_cost;
    for fraction in [0.8, 0.6, 0.45] {
        let budget = (unconstrained.peak as f64 * fraction) as usize;
        let (run, plan) = fit_memory(&schedule, &params, &cost, &options(Some(budget))).unwrap();
        assert!(plan.footprint.peak <= budget, "{fraction}: {plan}");
        assert_eq!(plan.footprint, footprint(&run, &params, plan.key_storage(), plan.encoding, 2));
        assert!(plan.estimated_cost >= last_cost, "{fraction}: {plan}");
        assert!(plan.to_string().contains("trade-off: "), "{plan}");
        last_cost = plan.estimated_cost;
    }
    // Too small: refused, naming a budget that then works.
    let error = fit_memory(&schedule, &params, &cost, &options(Some(1 << 20))).unwrap_err();
    let MemoryBudgetError::TooSmall { budget_bytes, smallest } = &error else { panic!("{error}") };
    assert_eq!(*budget_bytes, 1 << 20);
    assert!(smallest.compact_keys && smallest.encoding == EncodingPolicy::OnDemand);
    assert!(smallest.rotation_keys < schedule.rotation_steps().len());
    assert!(error.to_string().contains("smallest deployment needs about"), "{error}");
    let (_, fits) = fit_memory(&schedule, &params, &cost, &options(Some(smallest.footprint.peak))).unwrap();
    assert!(fits.footprint.peak <= smallest.footprint.peak);
    // Fixed choices are honoured: expanded keys, all keys kept.
    let fixed = MemoryOptions { key_storage: Some(KeyStorage::Expanded), reduce_keys: false, ..options(Some(1 << 20)) };
    let error = fit_memory(&schedule, &params, &cost, &fixed).unwrap_err();
    let MemoryBudgetError::TooSmall { smallest, .. } = &error else { panic!("{error}") };
    assert!(!smallest.compact_keys && smallest.dropped_steps.is_empty());
}

/// Encrypted logits (as bytes) of `schedule` with keys from a seeded client.
fn encrypted_logits(schedule: Schedule, params: &Parameters, storage: KeyStorage, policy: EncodingPolicy) -> Vec<u8> {
    let mut server = Server::new(schedule, params.clone(), policy).unwrap();
    server.set_key_storage(storage);
    let mut client = Client::from_seed(server.interface().clone(), [7; 32]).unwrap();
    let (keys, _) = client.write_evaluation_keys(Vec::new()).unwrap();
    server.receive_keys(&keys[..]).unwrap();
    server.setup().unwrap();
    let image = client.encrypt(&common::image([1, 8, 8], 3)).unwrap();
    let (answer, _) = server.infer(&image, |_| {}).unwrap();
    answer.to_bytes(server.context()).unwrap()
}

fn decrypt(schedule: &Schedule, params: &Parameters, bytes: &[u8]) -> Vec<f64> {
    let server = Server::new(schedule.clone(), params.clone(), EncodingPolicy::OnDemand).unwrap();
    let mut client = Client::from_seed(server.interface().clone(), [7; 32]).unwrap();
    // The client accepts only answers computed with its keys: the seeded keys are made again.
    client.write_evaluation_keys(Vec::new()).unwrap();
    client.decrypt(&client.receive_logits(bytes).unwrap()).unwrap()
}

#[test]
fn encrypted_results_under_a_tight_budget() {
    let (schedule, cost, params) = small();
    let reference = encrypted_logits(schedule.clone(), &params, KeyStorage::Expanded, EncodingPolicy::Preencoded);
    let unconstrained = footprint(&schedule, &params, KeyStorage::Expanded, EncodingPolicy::Preencoded, 2);
    // A budget met by compact keys and encoding during inference: the same schedule, the same
    // bytes.
    let keys_halved = footprint(&schedule, &params, KeyStorage::Compact, EncodingPolicy::OnDemand, 2);
    let no_drop = MemoryOptions { reduce_keys: false, ..options(Some(keys_halved.peak)) };
    let (run, plan) = fit_memory(&schedule, &params, &cost, &no_drop).unwrap();
    assert!(plan.compact_keys && plan.dropped_steps.is_empty(), "{plan}");
    assert!(keys_halved.peak < unconstrained.peak);
    assert_eq!(run.instrs, schedule.instrs);
    assert_eq!(encrypted_logits(run, &params, plan.key_storage(), plan.encoding), reference, "bit-identical");
    // Tighter, with expanded pre-encoded deployment fixed: keys must be dropped; the logits
    // agree with the unconstrained run's within the precision the tests ask of encryption.
    let fixed = MemoryOptions {
        key_storage: Some(KeyStorage::Expanded),
        encoding: Some(EncodingPolicy::Preencoded),
        ..options(Some(unconstrained.peak - unconstrained.keys / 4))
    };
    let (run, plan) = fit_memory(&schedule, &params, &cost, &fixed).unwrap();
    assert!(!plan.dropped_steps.is_empty() && plan.rotations > plan.rotations_planned, "{plan}");
    let composed = encrypted_logits(run.clone(), &params, plan.key_storage(), plan.encoding);
    let got = decrypt(&run, &params, &composed);
    let expected = decrypt(&schedule, &params, &reference);
    let agreement = Agreement::of(&got, &expected);
    eprintln!("{plan}\n{agreement:?}");
    assert!(agreement.precision_bits >= 15.0 && agreement.same_class(), "{agreement:?}");
    let simulated = run_simulated(&schedule, &common::image([1, 8, 8], 3)).unwrap().0;
    assert!(Agreement::of(&got, &simulated).precision_bits >= 15.0);
}

#[test]
fn a_key_generation_limit_drops_keys_until_it_fits() {
    let (schedule, cost, params) = lenet();
    // One second per generated limb: the limit is counted in limbs of key.
    let per_limb = KeyGenCost { seconds_per_key: 0.0, seconds_per_limb: 1.0 };
    let set: Vec<(i64, usize)> = schedule.rotation_step_levels().iter().map(|&(s, l)| (s as i64, l)).collect();
    let all = GaloisKeySet::for_steps_at_levels(&params, &set).unwrap().estimate(&params, Some(&per_limb), 2);
    let half = KeyGenLimit { seconds: all.seconds.unwrap() / 2.0, cost: per_limb };
    let options = MemoryOptions { keygen_limit: Some(half), ..options(None) };
    let (run, plan) = fit_memory(&schedule, &params, &cost, &options).unwrap();
    assert!(plan.keygen_seconds.unwrap() <= half.seconds, "{plan:?}");
    assert!(run.rotation_steps().len() < schedule.rotation_steps().len());
    assert!(!plan.compact_keys && plan.encoding == EncodingPolicy::Preencoded, "memory was not constrained");
    let too_fast = MemoryOptions { keygen_limit: Some(KeyGenLimit { seconds: 1.0, cost: per_limb }), ..options };
    let error = fit_memory(&schedule, &params, &cost, &too_fast).unwrap_err();
    assert!(matches!(error, MemoryBudgetError::KeyGenTooSlow { .. }), "{error}");
    assert!(error.to_string().contains("with the fewest rotation keys"), "{error}");
}
