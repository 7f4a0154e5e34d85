//! The ONNX fixtures of `tests/fixtures/onnx/` (made by `tools/onnx_fixtures.py`): every
//! supported pattern imports, matches onnxruntime's output and simulates exactly; every refusal
//! names its node, operator and error kind.

mod common;

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value as Json;
use spencnn::Tensor3;
use spencnn::backend::run_simulated;
use spencnn::import::onnx::{ImportedModel, OnnxError, OnnxLimits, read_onnx};
use spencnn::model::Layer;
use spencnn::plan::{PlanConfig, plan};
use spencnn::reference;

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx").join(name)
}

fn json(name: &str) -> BTreeMap<String, Json> {
    serde_json::from_str(&std::fs::read_to_string(fixture(name)).unwrap()).unwrap()
}

fn floats(v: &Json) -> Vec<f64> {
    v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect()
}

/// Imports `name`, compares the f64 reference with onnxruntime and the simulator with the
/// reference; returns the import.
fn check(name: &str, log_n: u32) -> ImportedModel {
    let refs = json("references.json");
    let r = &refs[name];
    let imported = read_onnx(&fixture(name), &OnnxLimits::default()).unwrap_or_else(|e| panic!("{name}: {e}"));
    let shape: Vec<usize> = r["input_shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let input = floats(&r["input"]);
    let image = Tensor3 { channels: shape[0], height: shape[1], width: shape[2], data: input };
    let prepared = imported.prepare_input(&image);
    let ours = reference::forward(&imported.model, &prepared).unwrap();
    let mut expected = floats(&r["output"]);
    if imported.notices.iter().any(|n| n.contains("Softmax")) {
        // onnxruntime's output went through the final softmax we drop: compare probabilities.
        let max = ours.iter().cloned().fold(f64::MIN, f64::max);
        let sum: f64 = ours.iter().map(|v| (v - max).exp()).sum();
        let probs: Vec<f64> = ours.iter().map(|v| (v - max).exp() / sum).collect();
        assert_eq!(probs.len(), expected.len(), "{name}");
        for (p, e) in probs.iter().zip(&expected) {
            assert!((p - e).abs() < 1e-5, "{name}: probability {p} vs onnxruntime {e}");
        }
        expected = ours.clone();
    }
    assert_eq!(ours.len(), expected.len(), "{name}");
    let scale = expected.iter().fold(1.0f64, |m, v| m.max(v.abs()));
    for (o, e) in ours.iter().zip(&expected) {
        assert!((o - e).abs() <= 2e-5 * scale, "{name}: reference {o} vs onnxruntime {e}");
    }
    let schedule = plan(&imported.model, &PlanConfig::new(log_n)).unwrap_or_else(|e| panic!("{name}: {e}"));
    let (simulated, _) = run_simulated(&schedule, &prepared).unwrap();
    for (s, o) in simulated.iter().zip(&ours) {
        assert!((s - o).abs() <= 1e-9 * o.abs().max(1.0), "{name}: simulated {s} vs reference {o}");
    }
    imported
}

fn kinds(imported: &ImportedModel) -> Vec<&'static str> {
    imported.model.nodes.iter().map(|n| n.layer.kind()).collect()
}

#[test]
fn convolution_variants() {
    let m = check("conv_variants.onnx", 12);
    assert_eq!(kinds(&m), ["conv", "act", "conv", "act", "gap", "flatten", "fc"]);
    let Layer::Conv2d(conv1) = &m.model.nodes[0].layer else { panic!() };
    assert_eq!((conv1.stride, conv1.pads), (2, Some([0, 1, 1, 0])));
    let Layer::Conv2d(conv2) = &m.model.nodes[2].layer else { panic!() };
    assert_eq!((conv2.groups, conv2.padding, conv2.bias.is_none()), (2, 1, true));
    let Layer::Activation(act2) = &m.model.nodes[3].layer else { panic!() };
    assert_eq!(act2.channels, 1, "scalar coefficients stay shared");
    assert!(m.initializer_names.contains(&("conv1.weight".into(), "conv1.weight".into())));
}

#[test]
fn dense_variants_and_symbolic_reshape() {
    let m = check("dense_variants.onnx", 12);
    assert_eq!(kinds(&m), ["conv", "act", "avgpool", "flatten", "fc", "act", "fc"]);
    let Layer::Linear(fc1) = &m.model.nodes[4].layer else { panic!() };
    assert!(fc1.bias.is_some(), "MatMul + Add becomes one dense layer with a bias");
    assert!(m.notices.iter().any(|n| n.contains("final Softmax")));
}

#[test]
fn pooling_variants() {
    let m = check("pools.onnx", 12);
    assert_eq!(kinds(&m), ["conv", "act", "avgpool", "act", "avgpool", "avgpool", "gap", "fc"]);
    let pools: Vec<_> = m
        .model
        .nodes
        .iter()
        .filter_map(|n| if let Layer::AvgPool(p) = &n.layer { Some(p.clone()) } else { None })
        .collect();
    assert_eq!(pools.len(), 3);
    assert!(!pools[0].count_include_pad && pools[1].count_include_pad);
    assert_eq!((pools[2].kernel, pools[2].stride, pools[2].pads), (2, 1, [0; 4]));
}

#[test]
fn batch_norms_and_residual_blocks() {
    let m = check("residual.onnx", 12);
    assert_eq!(m.model.nodes.iter().filter(|n| matches!(n.layer, Layer::Add { .. })).count(), 2);
    assert_eq!(m.model.nodes.iter().filter(|n| matches!(n.layer, Layer::BatchNorm(_))).count(), 4);
}

#[test]
fn preprocessing_and_constant_folding() {
    let m = check("preprocess_folding.onnx", 12);
    let t = m.input_transform.as_ref().expect("the normalisation is client-side");
    assert!((t.scale[0] - 1.0 / 0.247f32 as f64).abs() < 1e-12 && t.scale.len() == 3);
    assert_eq!(kinds(&m), ["conv", "act", "gap", "flatten", "fc"]);
    assert!(m.notices.iter().any(|n| n.contains("Dropout")) && m.notices.iter().any(|n| n.contains("preprocessing")));
    // The folded weight W * mask has no initializer of its own.
    assert!(!m.initializer_names.iter().any(|(t, _)| t == "conv.weight"));
}

#[test]
fn torch_exports() {
    let lenet = check("torch_legacy_lenet.onnx", 13);
    assert_eq!(lenet.model.input_shape, [1, 28, 28]);
    let acts: Vec<usize> = lenet
        .model
        .nodes
        .iter()
        .filter_map(|n| if let Layer::Activation(a) = &n.layer { Some(a.channels) } else { None })
        .collect();
    assert_eq!(acts, [1, 1, 1], "[1]-shaped coefficients are shared by all channels");
    let block = check("torch_dynamo_block.onnx", 12);
    assert!(block.model.nodes.iter().any(|n| matches!(n.layer, Layer::Add { .. })));
}

#[test]
fn every_refusal_names_node_operator_and_kind() {
    for (file, expected) in json("refusals.json") {
        let err = read_onnx(&fixture(&file), &OnnxLimits::default()).err().unwrap_or_else(|| panic!("{file} imported"));
        let (node, op) = (expected["node"].as_str().unwrap(), expected["op_type"].as_str().unwrap());
        let kind = expected["error"].as_str().unwrap();
        let got = match &err {
            OnnxError::UnsupportedOp { node, op_type, hint } => {
                assert!(!hint.is_empty());
                ("UnsupportedOp", node.as_str(), op_type.as_str())
            }
            OnnxError::UnsupportedAttribute { node, op_type, hint, .. } => {
                assert!(!hint.is_empty());
                ("UnsupportedAttribute", node.as_str(), op_type.as_str())
            }
            OnnxError::UnsupportedPattern { node, op_type, .. } => {
                ("UnsupportedPattern", node.as_str(), op_type.as_str())
            }
            OnnxError::BadTensor { name, .. } => ("BadTensor", name.as_str(), ""),
            other => panic!("{file}: unexpected {other}"),
        };
        assert_eq!(got, (kind, node, op), "{file}: {err}");
        eprintln!("{file}: {err}");
    }
}
