//! Whole networks: the simulated schedule equals the f64 reference.

use spencnn::Tensor3;
use spencnn::backend::run_simulated;
use spencnn::model::{randomize, zoo};
use spencnn::plan::{PlanConfig, plan};
use spencnn::reference;

fn check(net: zoo::Network, variant: zoo::Variant, log_n: u32) {
    let mut model = net.build(variant);
    randomize(&mut model, 11);
    let [c, h, w] = model.input_shape;
    let image = Tensor3::from_fn(c, h, w, |c, y, x| ((c * 7 + y * 3 + x) % 11) as f64 / 11.0 - 0.4);
    let expected = reference::forward(&model, &image).unwrap();
    let schedule = plan(&model, &PlanConfig::new(log_n)).unwrap();
    let (got, _) = run_simulated(&schedule, &image).unwrap();
    assert_eq!(got.len(), expected.len());
    for (g, e) in got.iter().zip(&expected) {
        assert!((g - e).abs() <= 1e-9 * e.abs().max(1.0), "{net}: {g} vs {e}");
    }
}

#[test]
fn lenet_dense_and_spencnn_match_the_reference() {
    check(zoo::Network::LeNet, zoo::Variant::Dense, 14);
    check(zoo::Network::LeNet, zoo::Variant::SpEncnn, 14);
}

#[test]
fn debug_counts() {
    let mut model = zoo::Network::LeNet.build(zoo::Variant::SpEncnn);
    randomize(&mut model, 11);
    let s = plan(&model, &PlanConfig::new(14)).unwrap();
    for l in &s.layers { println!("{:8} {:?} {:?} lvl {}", l.name, l.split, l.counts, l.level_out); }
    println!("depth {} steps {:?}", s.depth(), s.rotation_steps().len());
    let image = Tensor3::from_fn(1, 28, 28, |_, y, x| (y + x) as f64 / 50.0);
    let (got, _) = run_simulated(&s, &image).unwrap();
    println!("{:?}\n{:?}", got, reference::forward(&model, &image).unwrap());
}
