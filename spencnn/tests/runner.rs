//! The one schedule interpreter on the slot simulator: every thread count and plaintext
//! policy gives the same logits and executes the same operations as the sequential
//! [`execute`]; the noisy simulation is reproducible whatever pool it is called from; a
//! malformed schedule gives a typed error.

mod common;

use spencnn::Tensor3;
use spencnn::backend::noise::NoiseModel;
use spencnn::backend::runner::encode_all;
use spencnn::backend::{ExecError, Plaintexts, SlotSimulator, execute, run, run_simulated, run_simulated_noisy};
use spencnn::model::zoo::{Network, Variant};
use spencnn::plan::{PlanConfig, Schedule, plan};

use common::{LOG_N, small_cnn};

fn simulator(schedule: &Schedule) -> SlotSimulator {
    SlotSimulator::new(schedule.slots, schedule.chain.clone(), Some(schedule.rotation_steps().into_iter().collect()))
}

fn inputs(schedule: &Schedule, sim: &SlotSimulator, image: &Tensor3) -> Vec<spencnn::backend::SimCiphertext> {
    schedule
        .encode_input(image)
        .unwrap()
        .iter()
        .map(|v| sim.encrypt(v, schedule.input_level, schedule.input_scale).unwrap())
        .collect()
}

/// Decrypted outputs and executed operation counts of `schedule` run on `threads` threads.
fn run_on(schedule: &Schedule, image: &Tensor3, threads: usize, policy: &str) -> (Vec<Vec<f64>>, String) {
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| {
        let sim = simulator(schedule);
        let encoded;
        let plaintexts = match policy {
            "preencoded" => {
                encoded = encode_all(schedule, &sim).unwrap();
                Plaintexts::Preencoded(&encoded)
            }
            "per-layer" => Plaintexts::PerLayer,
            _ => Plaintexts::OnDemand,
        };
        let mut layers = 0;
        let (outputs, runs) = run(schedule, &sim, inputs(schedule, &sim, image), &plaintexts, |_| layers += 1).unwrap();
        assert_eq!(layers, runs.len());
        (outputs.iter().map(|c| sim.decrypt(c)).collect(), format!("{:?}", sim.executed()))
    })
}

#[test]
fn every_thread_count_and_policy_equals_the_sequential_executor() {
    let mut lenet = Network::LeNet.build(Variant::SpEncnn);
    spencnn::model::randomize(&mut lenet, 2);
    for (model, log_n) in [(small_cnn(), LOG_N), (lenet, 14)] {
        let schedule = plan(&model, &PlanConfig::new(log_n)).unwrap();
        let image = common::image(model.input_shape, 5);
        let sim = simulator(&schedule);
        let outputs = execute(&schedule, &sim, inputs(&schedule, &sim, &image)).unwrap();
        let sequential: Vec<Vec<f64>> = outputs.iter().map(|c| sim.decrypt(c)).collect();
        let counts = format!("{:?}", sim.executed());
        for threads in [1, 2, 3] {
            for policy in ["preencoded", "per-layer", "on-demand"] {
                let (decrypted, executed) = run_on(&schedule, &image, threads, policy);
                assert_eq!(decrypted, sequential, "{} on {threads} threads, {policy}", model.name);
                assert_eq!(executed, counts, "{} on {threads} threads, {policy}", model.name);
            }
        }
        assert_eq!(schedule.decode_output(&sequential), run_simulated(&schedule, &image).unwrap().0);
    }
}

#[test]
fn the_noisy_simulation_is_reproducible_from_any_pool() {
    let model = small_cnn();
    let schedule = plan(&model, &PlanConfig::new(LOG_N)).unwrap();
    let image = common::image(model.input_shape, 6);
    let noise = NoiseModel::rounding(LOG_N);
    let reference = run_simulated_noisy(&schedule, &image, noise, 9).unwrap();
    assert_ne!(reference, run_simulated(&schedule, &image).unwrap().0, "the noise changes the logits");
    assert_ne!(reference, run_simulated_noisy(&schedule, &image, noise, 10).unwrap(), "and depends on the seed");
    for threads in [1, 3] {
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        assert_eq!(pool.install(|| run_simulated_noisy(&schedule, &image, noise, 9).unwrap()), reference);
    }
}

#[test]
fn a_schedule_reading_a_missing_value_is_a_typed_error() {
    let model = small_cnn();
    let mut schedule = plan(&model, &PlanConfig::new(LOG_N)).unwrap();
    let image = common::image(model.input_shape, 7);
    let sim = simulator(&schedule);
    let inputs = inputs(&schedule, &sim, &image);
    // The last instruction reads a value no instruction writes.
    let last = schedule.instrs.len() - 1;
    let missing = spencnn::plan::ValueId(schedule.num_values as u32);
    schedule.num_values += 1;
    match &mut schedule.instrs[last].op {
        spencnn::plan::Op::Rescale { src, .. } | spencnn::plan::Op::DropLevels { src, .. } => *src = missing,
        spencnn::plan::Op::MulAccExt { terms, .. } => terms[0].0 = missing,
        spencnn::plan::Op::RotateSum { terms, .. } => terms[0].0 = missing,
        other => panic!("unexpected last instruction {other:?}"),
    }
    match execute(&schedule, &sim, inputs) {
        Err(ExecError::MissingValue { instr, value }) => assert_eq!((instr, value), (last, missing.0)),
        other => panic!("{other:?}"),
    }
}
