//! The committed LeNet weights (`assets/`, trained with `spencnn train`, see
//! `docs/training.md`) load as documented, classify the bundled test digits, agree with the
//! reference and the simulator, and the SpENCNN file carries the documented pruning.

use std::path::Path;

use spencnn::model::Layer;
use spencnn::model::zoo::{Network, Variant};
use spencnn::model::{Model, load_safetensors};
use spencnn::plan::{PlanConfig, plan};
use spencnn::prune::model_sub_blocks;
use spencnn::train::eval::{inference_net, plain_agreement};
use spencnn::train::{Dataset, evaluate};

fn assets() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("assets")
}

fn load(variant: Variant, file: &str) -> Model {
    let bytes = std::fs::read(assets().join(file)).expect("bundled weights");
    let mut model = Network::LeNet.build(variant);
    load_safetensors(&mut model, &bytes).expect("tensor names and shapes of docs/planner.md");
    model
}

fn digits() -> Dataset {
    Dataset::from_idx_files(
        &assets().join("mnist-test-20-images-idx3-ubyte"),
        &assets().join("mnist-test-20-labels-idx1-ubyte"),
    )
    .unwrap()
}

#[test]
fn bundled_models_classify_the_bundled_digits() {
    let data = digits();
    for (variant, file) in
        [(Variant::Dense, "lenet-dense.safetensors"), (Variant::SpEncnn, "lenet-spencnn.safetensors")]
    {
        let model = load(variant, file);
        let eval = evaluate(&inference_net(&model).unwrap(), &data);
        assert!(eval.correct >= 19, "{file}: {} of 20", eval.correct);
        let schedule = plan(&model, &PlanConfig::new(14)).unwrap();
        let agreement = plain_agreement(&model, &schedule, &data, 3).unwrap();
        assert_eq!(agreement.argmax_agree, 3, "{file}: {agreement:?}");
        assert!(agreement.max_diff_simulator < 1e-8, "{file}: {agreement:?}");
    }
}

#[test]
fn bundled_spencnn_weights_prune_half_of_the_conv2_sub_blocks() {
    let model = load(Variant::SpEncnn, "lenet-spencnn.safetensors");
    let maps = model_sub_blocks(&model, &PlanConfig::new(14)).unwrap();
    let (node, map) = maps.iter().find(|(n, _)| model.nodes[*n].name == "conv2").unwrap();
    let Layer::Conv2d(conv) = &model.nodes[*node].layer else { panic!("conv2 is a convolution") };
    let kept = map.kept_from_weights(&conv.weight).iter().filter(|&&k| k).count();
    assert_eq!(kept * 2, map.blocks.len(), "kept {kept} of {}", map.blocks.len());
}
