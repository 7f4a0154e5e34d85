//! The bundled LeNet weights (`spencnn::bundled`, trained with `spencnn train`) classify the
//! bundled test digits in the trainer, and agree with the f64 reference and the simulator.

use std::path::Path;

use spencnn::model::zoo::Variant;
use spencnn::plan::{PlanConfig, plan};
use spencnn_train::eval::{inference_net, plain_agreement};
use spencnn_train::{Dataset, Split, evaluate};

/// The bundled digits, found in `spencnn/assets` as `--data spencnn/assets` finds them.
fn digits() -> Dataset {
    Dataset::mnist(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets"), Split::Test).unwrap()
}

#[test]
fn bundled_models_classify_the_bundled_digits() {
    let data = digits();
    assert_eq!(data.len(), 20);
    for variant in Variant::ALL {
        let model = spencnn::bundled::lenet(variant).unwrap();
        let eval = evaluate(&inference_net(&model).unwrap(), &data);
        assert!(eval.correct >= 19, "{variant}: {} of 20", eval.correct);
        let schedule = plan(&model, &PlanConfig::new(14)).unwrap();
        let agreement = plain_agreement(&model, &schedule, &data, 3).unwrap();
        assert_eq!(agreement.argmax_agree, 3, "{variant}: {agreement:?}");
        assert!(agreement.max_diff_simulator < 1e-8, "{variant}: {agreement:?}");
    }
}
