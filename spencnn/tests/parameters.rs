//! The parameter search: the 128-bit bound, the cheapest candidate without a precision target,
//! and the cheapest candidate reaching a target predicted by the noise probe (trained LeNet).

use spencnn::inference::params::{UNMODELLED_NOISE_BITS, precision_loss_bits};
use spencnn::inference::{ParamChoice, ParamOptions, choose_parameters};
use spencnn::model::load_safetensors;
use spencnn::model::zoo::{Variant, lenet};
use spencnn::plan::{PlanConfig, Schedule, plan};

const LOG_N: u32 = 14;

fn trained_lenet_schedule() -> Schedule {
    let mut model = lenet(Variant::SpEncnn);
    load_safetensors(&mut model, include_bytes!("../assets/lenet-spencnn.safetensors")).unwrap();
    plan(&model, &PlanConfig::new(LOG_N)).unwrap()
}

fn choose(schedule: &Schedule, target: Option<f64>) -> ParamChoice {
    let options = ParamOptions { target_precision_bits: target, ..ParamOptions::default() };
    choose_parameters(LOG_N, schedule, &options).unwrap()
}

#[test]
fn without_a_target_the_cheapest_secure_candidate_is_chosen() {
    let schedule = trained_lenet_schedule();
    let cheapest = choose(&schedule, None);
    assert!(cheapest.log_qp <= cheapest.budget_bits && cheapest.budget_bits == 438);
    assert_eq!(cheapest.q_bits.len(), schedule.depth() + 1);
    assert_eq!(cheapest.predicted_precision_bits, None);
    assert!(cheapest.meets_target);
    // Every larger minimum scale gives a candidate that costs at least as much.
    for min_log_scale in cheapest.log_scale + 1..=45 {
        let options = ParamOptions { min_log_scale, target_precision_bits: None, ..ParamOptions::default() };
        let other = choose_parameters(LOG_N, &schedule, &options).unwrap();
        assert!(other.log_scale >= min_log_scale && other.log_qp <= 438);
        assert!(other.estimated_cost >= cheapest.estimated_cost, "{other} vs {cheapest}");
    }
}

#[test]
fn a_precision_target_moves_to_the_cheapest_scale_that_reaches_it() {
    let schedule = trained_lenet_schedule();
    let loss = precision_loss_bits(LOG_N, &schedule).unwrap();
    // Trained weights amplify rounding noise: the network loses well over 10 bits.
    assert!(loss > 10.0 && loss < 30.0, "loss {loss}");
    let cheapest = choose(&schedule, None);
    let target = 16.0;
    assert!(f64::from(cheapest.log_scale) - loss - UNMODELLED_NOISE_BITS < target, "target already met");
    let chosen = choose(&schedule, Some(target));
    let predicted = chosen.predicted_precision_bits.unwrap();
    assert!(chosen.meets_target && predicted >= target, "{chosen}");
    assert!((predicted - (f64::from(chosen.log_scale) - loss - UNMODELLED_NOISE_BITS)).abs() < 1e-9);
    assert!(chosen.log_scale > cheapest.log_scale && chosen.log_qp <= 438);
    assert!(chosen.estimated_cost >= cheapest.estimated_cost);
    // No candidate that also reaches the target is cheaper: each smaller scale misses it.
    for min_log_scale in 30..chosen.log_scale {
        let options = ParamOptions { min_log_scale, target_precision_bits: None, ..ParamOptions::default() };
        let other = choose_parameters(LOG_N, &schedule, &options).unwrap();
        let reaches = f64::from(other.log_scale) - loss - UNMODELLED_NOISE_BITS >= target;
        assert!(!reaches || other.estimated_cost >= chosen.estimated_cost, "{other} is cheaper and reaches it");
    }
}

#[test]
fn an_unreachable_target_falls_back_to_the_cheapest_and_says_so() {
    let schedule = trained_lenet_schedule();
    let cheapest = choose(&schedule, None);
    let fallback = choose(&schedule, Some(80.0));
    assert!(!fallback.meets_target);
    assert_eq!((fallback.q_bits.clone(), fallback.p_bits.clone()), (cheapest.q_bits, cheapest.p_bits));
    assert!(fallback.to_string().contains("BELOW the target"));
}
