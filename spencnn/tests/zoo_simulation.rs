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
