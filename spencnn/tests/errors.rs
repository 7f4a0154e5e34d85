//! Untrusted input and misuse give typed errors, never panics.

mod common;

use spencnn::backend::{Backend, BackendError, SlotSimulator};
use spencnn::layout::LayoutError;
use spencnn::model::zoo::{Network, Variant};
use spencnn::model::{Conv2d, Layer, Linear, ModelError, load_safetensors, randomize, save_safetensors};
use spencnn::plan::{PlanConfig, PlanError, ScaleModel, plan};
use spencnn::prune::PruneSpec;
use spencnn::variant::{BuildError, Weights, build_variant};

#[test]
fn truncated_and_garbage_weight_files_are_malformed() {
    let mut model = Network::LeNet.build(Variant::SpEncnn);
    randomize(&mut model, 3);
    let bytes = save_safetensors(&model).unwrap();
    for cut in [0, 7, 8, 100, bytes.len() / 2, bytes.len() - 1] {
        let err = load_safetensors(&mut model.clone(), &bytes[..cut]).unwrap_err();
        assert!(matches!(err, ModelError::Malformed { .. }), "cut {cut}: {err}");
    }
    // A header claiming an absurd length must not allocate it.
    let mut huge = u64::MAX.to_le_bytes().to_vec();
    huge.extend_from_slice(b"{}");
    assert!(matches!(load_safetensors(&mut model, &huge), Err(ModelError::Malformed { .. })));
}

#[test]
fn weights_of_another_network_are_rejected_with_the_tensor_name() {
    let mut vgg = Network::Vgg5.build(Variant::Dense);
    randomize(&mut vgg, 3);
    let bytes = save_safetensors(&vgg).unwrap();
    let err =
        build_variant(Network::LeNet, Variant::Dense, &PlanConfig::new(14), Weights::File(&bytes), None).unwrap_err();
    match err {
        BuildError::Model(ModelError::TensorShape { name, expected, found }) => {
            assert_eq!(name, "conv1.weight");
            assert_eq!(expected, vec![64, 1, 5, 5]);
            assert_eq!(found, vec![64, 3, 3, 3]);
        }
        other => panic!("unexpected {other}"),
    }
}

#[test]
fn invalid_models_are_typed_errors() {
    let mut model = Network::LeNet.build(Variant::Dense);
    if let Layer::Linear(fc) = &mut model.nodes.last_mut().unwrap().layer {
        *fc = Linear { in_features: 31, out_features: 10, weight: vec![0.0; 310], bias: None };
    }
    assert!(matches!(model.shapes(), Err(ModelError::InputShape { .. })));

    let mut model = Network::LeNet.build(Variant::Dense);
    model.nodes[3].layer = Layer::Conv2d(Conv2d::new(64, 30, 5, 1, 0, 4));
    assert!(matches!(model.shapes(), Err(ModelError::InvalidLayer { .. })));

    let mut model = Network::LeNet.build(Variant::Dense);
    model.nodes[2].input = 7;
    assert!(matches!(model.shapes(), Err(ModelError::BadReference { value: 7, .. })));
}

#[test]
fn planning_errors_are_typed() {
    let model = Network::LeNet.build(Variant::Dense);
    // 32x32 blocks do not fit 256 slots (16x16 polyphase blocks would).
    let mut plain = PlanConfig::new(9);
    plain.polyphase = false;
    let err = plan(&model, &plain).map(|_| ()).unwrap_err();
    assert!(matches!(err, PlanError::Layout { source: LayoutError::BlockTooLarge { .. }, .. }), "{err}");
    assert!(matches!(plan(&model, &PlanConfig::new(40)), Err(PlanError::RingDegree { log_n: 40 })));
    let mut model = model;
    randomize(&mut model, 2);
    let mut config = PlanConfig::new(14);
    config.scale_model = Some(ScaleModel::uniform(30, 3));
    assert!(matches!(plan(&model, &config), Err(PlanError::NotEnoughLevels { needed: 7, available: 3 })));
    let err = build_variant(
        Network::LeNet,
        Variant::SpEncnn,
        &PlanConfig::new(14),
        Weights::Random(1),
        Some(PruneSpec::new(1.5)),
    );
    assert!(matches!(err, Err(BuildError::Ratio { .. })));
}

#[test]
fn the_simulator_enforces_ckks_semantics() {
    let chain = ScaleModel::uniform(30, 3);
    let keys = [1usize].into_iter().collect();
    let sim = SlotSimulator::new(8, chain.clone(), Some(keys));
    let x = sim.encrypt(&[1.0; 8], 2, chain.scale).unwrap();
    let y = sim.encrypt(&[1.0; 8], 1, chain.scale).unwrap();
    assert!(matches!(sim.add(&x, &y), Err(BackendError::LevelMismatch { .. })));
    let sq = sim.square(&x).unwrap();
    let dropped = sim.drop_levels(&x, 0).unwrap();
    assert!(matches!(sim.add(&sq, &dropped), Err(BackendError::ScaleMismatch { .. })));
    assert!(matches!(sim.rotate_sum(&[(&x, 2)]), Err(BackendError::MissingRotationKey { step: 2 })));
    assert!(sim.rotate_sum(&[(&x, 1)]).is_ok());
    let pt = sim.encode(&[2.0; 8], 1, chain.scale, false).unwrap();
    assert!(matches!(sim.mul_plain(&x, &pt), Err(BackendError::LevelMismatch { .. })));
    let ext_pt = sim.encode(&[2.0; 8], 2, chain.scale, true).unwrap();
    assert!(matches!(sim.mul_plain(&x, &ext_pt), Err(BackendError::WrongBasis { .. })));
    let bottom = sim.drop_levels(&x, 2).unwrap();
    assert!(matches!(sim.rescale(&bottom), Err(BackendError::NoLevelLeft { .. })));
    assert!(matches!(sim.encode(&[1.0; 4], 1, 1.0, false), Err(BackendError::SlotCount { .. })));
    // A value too large for its modulus is an overflow (Q_0 = 2^50 here, scale 2^30).
    assert!(matches!(sim.encrypt(&[1e6; 8], 0, chain.scale), Err(BackendError::Overflow { .. })));
    assert!(sim.encrypt(&[1e4; 8], 0, chain.scale).is_ok());
    // Rescale divides the scale by the level's prime.
    let r = sim.rescale(&sq).unwrap();
    assert_eq!((r.level, r.scale), (1, chain.scale * chain.scale / chain.prime(2)));
}
