//! The bundled LeNet weights (`spencnn::bundled`, `assets/`) load as documented, the SpENCNN
//! file carries the documented pruning, and both classify bundled digits like the reference.

use spencnn::model::Layer;
use spencnn::model::zoo::{Network, Variant};
use spencnn::plan::PlanConfig;
use spencnn::prune::model_sub_blocks;
use spencnn::variant::load_variant;

#[test]
fn bundled_spencnn_weights_prune_half_of_the_conv2_sub_blocks() {
    let model = spencnn::bundled::lenet(Variant::SpEncnn).unwrap();
    let maps = model_sub_blocks(&model, &PlanConfig::new(14)).unwrap();
    let (node, map) = maps.iter().find(|(n, _)| model.nodes[*n].name == "conv2").unwrap();
    let Layer::Conv2d(conv) = &model.nodes[*node].layer else { panic!("conv2 is a convolution") };
    let kept = map.kept_from_weights(&conv.weight).iter().filter(|&&k| k).count();
    assert_eq!(kept * 2, map.blocks.len(), "kept {kept} of {}", map.blocks.len());
}

#[test]
fn the_variant_of_a_weights_file_is_detected_and_a_wrong_one_refused() {
    use spencnn::bundled::{LENET_DENSE_WEIGHTS, LENET_SPENCNN_WEIGHTS};
    for (bytes, variant) in [(LENET_DENSE_WEIGHTS, Variant::Dense), (LENET_SPENCNN_WEIGHTS, Variant::SpEncnn)] {
        assert_eq!(load_variant(Network::LeNet, None, bytes).unwrap().0, variant);
        assert_eq!(load_variant(Network::LeNet, Some(variant), bytes).unwrap().0, variant);
    }
    let err = load_variant(Network::LeNet, Some(Variant::Dense), LENET_SPENCNN_WEIGHTS).unwrap_err();
    assert!(err.to_string().contains("conv2"), "{err}");
    assert!(load_variant(Network::Vgg5, None, LENET_DENSE_WEIGHTS).is_err());
}

#[test]
fn bundled_models_classify_the_first_bundled_digits() {
    for variant in Variant::ALL {
        let model = spencnn::bundled::lenet(variant).unwrap();
        for i in 0..4 {
            let (image, label) = spencnn::bundled::digit(i).unwrap();
            let logits = spencnn::reference::forward(&model, &image).unwrap();
            assert_eq!(spencnn::inference::precision::argmax(&logits), usize::from(label), "{variant} digit {i}");
        }
    }
}
