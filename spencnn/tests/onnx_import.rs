//! ONNX export and import without Python: zoo networks round-trip to the same model, schedule
//! and bit-identical encrypted outputs; malformed, hostile and oversized files give typed errors.

mod common;

use onnx_protobuf::tensor_proto::DataType;
use onnx_protobuf::{Message, ModelProto, TensorProto};
use spencnn::import::onnx::{OnnxError, OnnxLimits, export_onnx, import_onnx, read_onnx};
use spencnn::inference::{Client, EncodingPolicy, Server, plan_for_ckks};
use spencnn::model::zoo::{Network, Variant};
use spencnn::model::{Model, randomize};
use spencnn::plan::{PlanConfig, plan};
use spencnn::prune::PruneSpec;

use common::{LOG_N, small_cnn, test_options};

/// Asserts two models are equal, naming the first differing node instead of printing weights.
fn assert_same_model(a: &Model, b: &Model, context: &str) {
    assert_eq!((&a.name, a.input_shape, a.nodes.len()), (&b.name, b.input_shape, b.nodes.len()), "{context}");
    for (x, y) in a.nodes.iter().zip(&b.nodes) {
        let describe = |n: &spencnn::model::Node| {
            format!("{} {} <- {} {:?}", n.name, n.layer.kind(), n.input, n.layer).chars().take(300).collect::<String>()
        };
        assert!(x == y, "{context}: node differs:\n  {}\n  {}", describe(x), describe(y));
    }
}

fn import(bytes: &[u8]) -> Result<Model, OnnxError> {
    import_onnx(bytes, &OnnxLimits::default()).map(|m| m.model)
}

#[test]
fn every_zoo_network_round_trips_to_the_same_model_and_schedule() {
    for net in Network::ALL {
        for variant in [Variant::Dense, Variant::SpEncnn] {
            let mut model = net.build(variant);
            randomize(&mut model, 5);
            let bytes = export_onnx(&model).unwrap();
            let imported = import_onnx(&bytes, &OnnxLimits::default()).unwrap();
            assert_same_model(&imported.model, &model, &format!("{net} {variant:?}"));
            assert!(imported.input_transform.is_none() && imported.notices.is_empty());
            if net != Network::ResNet20 || variant == Variant::SpEncnn {
                let config = PlanConfig::new(net.default_log_n());
                let (a, b) = (plan(&model, &config).unwrap(), plan(&imported.model, &config).unwrap());
                assert_eq!(serde_json::to_string(&a).unwrap(), serde_json::to_string(&b).unwrap());
                assert_eq!(a.stages, b.stages);
            }
        }
    }
}

#[test]
fn float32_weights_are_exported_as_float32_and_named_like_safetensors() {
    let bytes = std::fs::read(concat!(env!("CARGO_MANIFEST_DIR"), "/assets/lenet-spencnn.safetensors")).unwrap();
    let mut model = Network::LeNet.build(Variant::SpEncnn);
    spencnn::model::load_safetensors(&mut model, &bytes).unwrap();
    round_to_f32(&mut model);
    let onnx = export_onnx(&model).unwrap();
    let proto = ModelProto::parse_from_bytes(&onnx).unwrap();
    let graph = proto.graph.as_ref().unwrap();
    assert!(graph.initializer.iter().all(|t| t.data_type == DataType::FLOAT as i32));
    let names: Vec<String> = spencnn::model::tensor_names(&model).into_iter().map(|(n, _)| n).collect();
    let inits: Vec<&str> = graph.initializer.iter().map(|t| t.name.as_str()).collect();
    assert_eq!(names, inits);
    let imported = import_onnx(&onnx, &OnnxLimits::default()).unwrap();
    assert_same_model(&imported.model, &model, "lenet");
    let sourced: Vec<&str> = imported.initializer_names.iter().map(|(t, _)| t.as_str()).collect();
    assert_eq!(sourced.len(), names.len() - 9, "activation coefficients are recognised, not copied");
}

#[test]
fn an_imported_export_gives_bit_identical_encrypted_outputs() {
    let mut zoo = small_cnn();
    randomize(&mut zoo, 11);
    let imported = import(&export_onnx(&zoo).unwrap()).unwrap();
    let image = common::image(zoo.input_shape, 2);
    let run = |model: &Model| {
        let (schedule, _, params) = plan_for_ckks(model, LOG_N, &test_options()).unwrap();
        let mut server = Server::new(schedule, params, EncodingPolicy::Preencoded).unwrap();
        let mut client = Client::from_seed(server.interface().clone(), [9; 32]).unwrap();
        server.set_keys(client.evaluation_keys().unwrap()).unwrap();
        server.setup().unwrap();
        let (answer, _) = server.infer(&client.encrypt(&image).unwrap(), |_| {}).unwrap();
        let logits = client.decrypt(&answer).unwrap();
        (answer, logits)
    };
    let ((a, logits_a), (b, logits_b)) = (run(&zoo), run(&imported));
    assert_eq!(a.ciphertexts.len(), b.ciphertexts.len());
    for (x, y) in a.ciphertexts.iter().zip(&b.ciphertexts) {
        assert_eq!(x.polys(), y.polys());
        assert_eq!(x.scale(), y.scale());
    }
    assert_eq!(logits_a, logits_b);
}

/// Rounds every parameter to the nearest float32 (as trained weights are).
fn round_to_f32(model: &mut Model) {
    use spencnn::model::Layer;
    let round = |v: &mut Vec<f64>| v.iter_mut().for_each(|x| *x = *x as f32 as f64);
    for node in &mut model.nodes {
        match &mut node.layer {
            Layer::Conv2d(c) => {
                round(&mut c.weight);
                c.bias.iter_mut().for_each(round);
            }
            Layer::Linear(fc) => {
                round(&mut fc.weight);
                fc.bias.iter_mut().for_each(round);
            }
            Layer::Activation(a) => [&mut a.a, &mut a.b, &mut a.c].into_iter().for_each(round),
            Layer::BatchNorm(bn) => {
                [&mut bn.gamma, &mut bn.beta, &mut bn.mean, &mut bn.var].into_iter().for_each(round)
            }
            _ => {}
        }
    }
}

/// LeNet with float32 weights, exported (a float32 graph).
fn lenet_bytes() -> Vec<u8> {
    let mut model = Network::LeNet.build(Variant::Dense);
    randomize(&mut model, 1);
    round_to_f32(&mut model);
    export_onnx(&model).unwrap()
}

#[test]
fn malformed_bytes_give_typed_errors() {
    assert!(matches!(import(b"definitely not protobuf"), Err(OnnxError::Malformed { .. })));
    assert!(matches!(import(&[]), Err(OnnxError::Graph { .. })), "an empty message has no graph");
    let bytes = lenet_bytes();
    // Every truncation is refused with a typed error (most are malformed protobuf).
    for len in (0..bytes.len()).step_by(97) {
        assert!(import(&bytes[..len]).is_err(), "prefix {len}");
    }
    // Random corruptions never panic.
    let mut state = 0x2545_f491_4f6c_dd1du64;
    for _ in 0..300 {
        let mut corrupt = bytes.clone();
        for _ in 0..4 {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            let i = (state as usize) % corrupt.len();
            corrupt[i] ^= (state >> 32) as u8 | 1;
        }
        let _ = import(&corrupt);
    }
}

#[test]
fn hostile_nesting_does_not_exhaust_the_stack() {
    // One million nested unknown groups (2 bytes each), then as many nested messages.
    let depth = 1 << 20;
    let mut groups = vec![0x0b; depth];
    groups.extend(std::iter::repeat_n(0x0c, depth));
    assert!(import(&groups).is_err());
    // 600 nested messages: graph { node { attribute { g: graph { ... } } } }.
    fn wrap(field: u8, inner: Vec<u8>) -> Vec<u8> {
        let mut out = vec![(field << 3) | 2];
        let mut len = inner.len();
        while len >= 0x80 {
            out.push((len as u8 & 0x7f) | 0x80);
            len >>= 7;
        }
        out.push(len as u8);
        out.extend(inner);
        out
    }
    let mut graph = Vec::new();
    for _ in 0..200 {
        graph = wrap(1, wrap(5, wrap(6, graph)));
    }
    let nested = wrap(7, graph);
    assert!(matches!(import(&nested), Err(OnnxError::Malformed { .. })));
}

#[test]
fn sizes_are_capped_before_allocation() {
    let bytes = lenet_bytes();
    let small = OnnxLimits { max_file_bytes: 1000, ..OnnxLimits::default() };
    assert!(matches!(import_onnx(&bytes, &small), Err(OnnxError::FileTooLarge { limit: 1000, .. })));
    let dir = std::env::temp_dir().join(format!("spencnn-onnx-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join("lenet.onnx");
    std::fs::write(&path, &bytes).unwrap();
    assert!(matches!(read_onnx(&path, &small), Err(OnnxError::FileTooLarge { .. })));
    assert!(matches!(read_onnx(&dir.join("missing.onnx"), &small), Err(OnnxError::Io { .. })));
    std::fs::remove_dir_all(&dir).unwrap();

    // A tensor declaring 2^40 elements with no data: refused on its dimensions.
    let mut proto = ModelProto::parse_from_bytes(&bytes).unwrap();
    let huge = TensorProto {
        name: "huge".into(),
        dims: vec![1 << 20, 1 << 20],
        data_type: DataType::FLOAT as i32,
        ..TensorProto::default()
    };
    proto.graph.as_mut().unwrap().initializer.push(huge);
    let err = import(&proto.write_to_bytes().unwrap()).unwrap_err();
    assert!(
        matches!(err, OnnxError::TensorTooLarge { ref name, elements, .. } if name == "huge" && elements == 1 << 40),
        "{err}"
    );
    let few = OnnxLimits { max_nodes: 10, ..OnnxLimits::default() };
    assert!(matches!(import_onnx(&bytes, &few), Err(OnnxError::TooManyNodes { limit: 10, .. })));
}

/// Applies `edit` to the exported LeNet and imports the result.
fn edited(edit: impl FnOnce(&mut ModelProto)) -> OnnxError {
    let mut proto = ModelProto::parse_from_bytes(&lenet_bytes()).unwrap();
    edit(&mut proto);
    match import(&proto.write_to_bytes().unwrap()) {
        Ok(_) => panic!("the edited model imported"),
        Err(e) => e,
    }
}

#[test]
fn inconsistent_tensors_and_graphs_give_typed_errors() {
    fn weight(p: &mut ModelProto) -> &mut TensorProto {
        p.graph.as_mut().unwrap().initializer.iter_mut().find(|t| t.name == "conv1.weight").unwrap()
    }
    let err = edited(|p| weight(p).raw_data.truncate(10));
    assert!(matches!(err, OnnxError::BadTensor { ref name, .. } if name == "conv1.weight"), "{err}");
    let err = edited(|p| weight(p).dims[0] = -64);
    assert!(matches!(err, OnnxError::BadTensor { .. }), "{err}");
    let err = edited(|p| {
        let w = weight(p);
        w.raw_data[0..4].copy_from_slice(&f32::NAN.to_le_bytes());
    });
    assert!(matches!(err, OnnxError::BadTensor { .. }), "{err}");
    let err = edited(|p| weight(p).data_type = DataType::FLOAT16 as i32);
    assert!(matches!(err, OnnxError::BadTensor { .. }), "{err}");
    let err = edited(|p| {
        let w = weight(p);
        w.dims = vec![64, 1, 5, 4];
        w.raw_data.truncate(64 * 20 * 4);
    });
    assert!(matches!(err, OnnxError::UnsupportedPattern { ref node, .. } if node == "conv1"), "{err}");
    let err = edited(|p| p.graph.as_mut().unwrap().node.remove(0).name.clear());
    assert!(matches!(err, OnnxError::Graph { .. }), "a node reads a value never produced: {err}");
    let err = edited(|p| {
        let g = p.graph.as_mut().unwrap();
        let second = g.input[0].clone();
        g.input.push(second);
        g.input[1].name = "other".into();
    });
    assert!(matches!(err, OnnxError::Graph { .. }), "{err}");
    let err = edited(|p| {
        use onnx_protobuf::tensor_shape_proto::dimension::Value;
        let input = &mut p.graph.as_mut().unwrap().input[0];
        let onnx_protobuf::type_proto::Value::TensorType(t) = input.type_.as_mut().unwrap().value.as_mut().unwrap()
        else {
            panic!()
        };
        t.shape.as_mut().unwrap().dim[0].value = Some(Value::DimValue(2));
    });
    assert!(matches!(err, OnnxError::Input { .. }), "batch of two: {err}");
    let err = edited(|p| p.opset_import[0].version = 6);
    assert!(matches!(err, OnnxError::Graph { .. }), "opset 6: {err}");
    let err = edited(|p| p.graph.as_mut().unwrap().output.clear());
    assert!(matches!(err, OnnxError::Graph { .. }), "{err}");
    let err = edited(|p| p.graph.as_mut().unwrap().node[0].op_type = "Relu".into());
    assert!(
        matches!(err, OnnxError::UnsupportedOp { ref node, ref op_type, .. } if node == "conv1" && op_type == "Relu"),
        "{err}"
    );
}

#[test]
fn zero_sub_blocks_of_an_imported_model_are_skipped() {
    let config = PlanConfig::new(14);
    let mut dense = Network::LeNet.build(Variant::SpEncnn);
    randomize(&mut dense, 3);
    let mut pruned = dense.clone();
    spencnn::prune::prune_model(&mut pruned, &config, PruneSpec::new(0.5)).unwrap();
    let imported = import(&export_onnx(&pruned).unwrap()).unwrap();
    let pmults = |m: &Model| plan(m, &config).unwrap().totals().pmults;
    assert_eq!(pmults(&imported), pmults(&pruned));
    assert!(pmults(&imported) < pmults(&dense), "pruned sub-blocks cost nothing");
}

#[test]
fn masks_follow_the_onnx_initializers_and_prune_a_copy() {
    use spencnn::import::onnx::{masks_to_safetensors, pruned_onnx};
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/onnx/torch_legacy_lenet.onnx");
    let original = std::fs::read(path).unwrap();
    let limits = OnnxLimits::default();
    let imported = import_onnx(&original, &limits).unwrap();
    let config = PlanConfig::new(13);
    let masks = spencnn::prune::prune_masks(&imported.model, &config, PruneSpec::new(0.5)).unwrap();
    let named = imported.onnx_masks(&masks);
    let names: Vec<&str> = named.iter().map(|m| m.name.as_str()).collect();
    assert_eq!(names, ["conv1.weight", "conv2.weight"]);
    let file = masks_to_safetensors(&named).unwrap();
    let parsed = safetensors::SafeTensors::deserialize(&file).unwrap();
    assert_eq!(parsed.tensor("conv2.weight").unwrap().shape(), [5, 6, 5, 5]);
    let (copy, skipped) = pruned_onnx(&original, &limits, &named).unwrap();
    assert!(skipped.is_empty());
    let mut expected = imported.model.clone();
    spencnn::prune::prune_model(&mut expected, &config, PruneSpec::new(0.5)).unwrap();
    let reimported = import_onnx(&copy, &limits).unwrap();
    assert_same_model(&reimported.model, &expected, "pruned copy");
    let kept = named[1].keep.iter().filter(|&&k| k).count();
    assert!(kept < named[1].keep.len(), "conv2 lost weights");
}

/// Every operator of `docs/onnx.md`'s refusal table, inserted after the first convolution of
/// an exported LeNet, is refused by name with a hint: no refused operator slips through as a
/// generic graph error.
#[test]
fn every_refused_operator_is_named_with_what_to_use_instead() {
    const REFUSED: &[&str] = &[
        "Relu",
        "LeakyRelu",
        "PRelu",
        "Elu",
        "Selu",
        "Celu",
        "Gelu",
        "Sigmoid",
        "HardSigmoid",
        "Tanh",
        "Softplus",
        "Softsign",
        "HardSwish",
        "Mish",
        "Erf",
        "Clip",
        "Max",
        "Min",
        "Sign",
        "Round",
        "Sqrt",
        "Exp",
        "Log",
        "Abs",
        "Reciprocal",
        "MaxPool",
        "GlobalMaxPool",
        "LpPool",
        "GlobalLpPool",
        "MaxRoiPool",
        "MaxUnpool",
        "Softmax",
        "LogSoftmax",
        "LayerNormalization",
        "InstanceNormalization",
        "GroupNormalization",
        "LpNormalization",
        "LRN",
        "Pad",
        "ConvTranspose",
        "Resize",
        "Upsample",
        "DepthToSpace",
        "SpaceToDepth",
        "Transpose",
        "Split",
        "Tile",
        "Expand",
        "Where",
        "If",
        "Loop",
        "Scan",
        "NonMaxSuppression",
        "TopK",
    ];
    for &op in REFUSED {
        let err = edited(|p| {
            let graph = p.graph.as_mut().unwrap();
            let conv = graph.node.iter().position(|n| n.op_type == "Conv").unwrap();
            let conv_out = graph.node[conv].output[0].clone();
            for node in &mut graph.node {
                for input in node.input.iter_mut().filter(|i| **i == conv_out) {
                    *input = "refused_out".into();
                }
            }
            let mut refused = onnx_protobuf::NodeProto::new();
            refused.name = "refused".into();
            refused.op_type = op.into();
            refused.input = vec![conv_out];
            refused.output = vec!["refused_out".into()];
            graph.node.insert(conv + 1, refused);
        });
        match &err {
            OnnxError::UnsupportedOp { node, op_type, hint } => {
                assert_eq!((node.as_str(), op_type.as_str()), ("refused", op), "{err}");
                let generic = hint.contains("docs/onnx.md lists the supported ones");
                assert_eq!(generic, matches!(op, "NonMaxSuppression" | "TopK"), "{op}: {hint}");
            }
            other => panic!("{op}: {other}"),
        }
    }
    let err = edited(|p| p.graph.as_mut().unwrap().node[0].domain = "com.example".into());
    assert!(matches!(err, OnnxError::UnsupportedOp { ref op_type, .. } if op_type.starts_with("com.example")), "{err}");
}
