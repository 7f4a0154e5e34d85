//! `Relu` in imported ONNX models: refused by default, approximated by a composite polynomial
//! on opt-in. The fixtures (`relu_*.onnx`, made by `tools/onnx_fixtures.py` with onnxruntime's
//! outputs for eight images each) check the importer against onnxruntime with exact ReLUs, the
//! approximation's error against onnxruntime, the simulator against the reference evaluating
//! the same polynomial, encrypted inference against both, calibration and interval violations.

use std::collections::BTreeMap;
use std::path::PathBuf;

use serde_json::Value as Json;
use spencnn::Tensor3;
use spencnn::backend::{BackendError, ExecError, run_simulated};
use spencnn::import::onnx::{
    ImportOptions, ImportedModel, OnnxError, OnnxLimits, RELU_CALIBRATION_MARGIN, calibrate_relu, read_onnx,
    read_onnx_with,
};
use spencnn::inference::{Agreement, Client, EncodingPolicy, ParamOptions, Server, plan_for_ckks};
use spencnn::model::{Layer, ReluApprox, ReluPrecision};
use spencnn::plan::{PlanConfig, PlanError, ScaleModel, plan};
use spencnn::reference::{self, ReluMode, relu_input_peaks};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/onnx").join(name)
}

/// The eight images of a fixture and onnxruntime's outputs for them.
fn references(name: &str) -> (Vec<Tensor3>, Vec<Vec<f64>>) {
    let all: BTreeMap<String, Json> =
        serde_json::from_str(&std::fs::read_to_string(fixture("relu_references.json")).unwrap()).unwrap();
    let r = &all[name];
    let floats = |v: &Json| -> Vec<f64> { v.as_array().unwrap().iter().map(|x| x.as_f64().unwrap()).collect() };
    let shape: Vec<usize> = r["input_shape"].as_array().unwrap().iter().map(|v| v.as_u64().unwrap() as usize).collect();
    let images = r["inputs"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| Tensor3 { channels: shape[0], height: shape[1], width: shape[2], data: floats(v) })
        .collect();
    let outputs = r["outputs"].as_array().unwrap().iter().map(floats).collect();
    (images, outputs)
}

fn approx(radius: f64, epsilon: f64, bits: f64) -> ImportOptions {
    ImportOptions { relu: Some(ReluApprox::new(radius, ReluPrecision { epsilon, bits }).unwrap()) }
}

fn import(name: &str, options: &ImportOptions) -> ImportedModel {
    read_onnx_with(&fixture(name), &OnnxLimits::default(), options).unwrap_or_else(|e| panic!("{name}: {e}"))
}

fn max_abs_difference(a: &[f64], b: &[f64]) -> f64 {
    assert_eq!(a.len(), b.len());
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

#[test]
fn relu_is_refused_by_default_with_the_opt_in_named() {
    for name in ["relu_cnn.onnx", "relu_mlp.onnx"] {
        match read_onnx(&fixture(name), &OnnxLimits::default()) {
            Err(OnnxError::UnsupportedOp { op_type, hint, .. }) => {
                assert_eq!(op_type, "Relu");
                assert!(hint.contains("--relu approx") && hint.contains("ImportOptions::relu"), "{hint}");
            }
            other => panic!("{name}: {other:?}"),
        }
    }
}

#[test]
fn exact_reference_matches_onnxruntime_and_the_approximation_error_is_reported() {
    for (name, relus) in [("relu_cnn.onnx", 2), ("relu_mlp.onnx", 1), ("relu_digits.onnx", 1)] {
        let imported = import(name, &approx(4.0, 1.0 / 64.0, 8.0));
        let count = imported.model.nodes.iter().filter(|n| matches!(n.layer, Layer::Relu(_))).count();
        assert_eq!(count, relus, "{name}");
        let (images, expected) = references(name);
        let mut worst_approx: f64 = 0.0;
        for (image, onnxruntime) in images.iter().zip(&expected) {
            let input = imported.prepare_input(image);
            let exact = reference::forward_with(&imported.model, &input, ReluMode::Exact).unwrap();
            let scale = onnxruntime.iter().fold(1.0f64, |m, v| m.max(v.abs()));
            // The graph is imported exactly: only float32 rounding separates us from onnxruntime.
            assert!(max_abs_difference(&exact, onnxruntime) <= 2e-5 * scale, "{name}: {exact:?} vs {onnxruntime:?}");
            let approximate = reference::forward(&imported.model, &input).unwrap();
            worst_approx = worst_approx.max(max_abs_difference(&approximate, onnxruntime));
            assert!(Agreement::of(&approximate, onnxruntime).same_class(), "{name}");
        }
        // Each ReLU errs by at most ε·R = 1/16 inside the gap and R·2^-9 outside, damped or
        // spread by the layers after it; measured 2^-8.3 (CNN), 2^-8.5 (MLP) and 2^-9.7 (digits)
        // here.
        println!("{name}: approximation vs onnxruntime: worst {:.2e} ({:.1} bits)", worst_approx, -worst_approx.log2());
        assert!(worst_approx > 0.0 && worst_approx <= 1.0 / 128.0, "{name}: {worst_approx}");
    }
}

#[test]
fn simulator_evaluates_the_same_polynomial_as_the_reference() {
    for name in ["relu_cnn.onnx", "relu_mlp.onnx"] {
        let imported = import(name, &approx(4.0, 1.0 / 32.0, 6.0));
        let schedule = plan(&imported.model, &PlanConfig::new(10)).unwrap_or_else(|e| panic!("{name}: {e}"));
        let relu_depth = ReluApprox::new(4.0, ReluPrecision { epsilon: 1.0 / 32.0, bits: 6.0 }).unwrap().depth();
        let relus = imported.model.nodes.iter().filter(|n| matches!(n.layer, Layer::Relu(_))).count();
        assert!(schedule.depth() >= relus * relu_depth, "{name}: depth {}", schedule.depth());
        let (images, _) = references(name);
        for image in &images[..3] {
            let input = imported.prepare_input(image);
            let (simulated, _) = run_simulated(&schedule, &input).unwrap();
            let expected = reference::forward(&imported.model, &input).unwrap();
            assert!(max_abs_difference(&simulated, &expected) < 1e-9, "{name}: {simulated:?} vs {expected:?}");
        }
    }
}

#[test]
fn calibration_covers_the_images_it_saw_with_the_margin() {
    let mut imported = import("relu_cnn.onnx", &approx(1.0, 1.0 / 64.0, 8.0));
    let (images, _) = references("relu_cnn.onnx");
    let peaks = calibrate_relu(&mut imported, &images[..4], RELU_CALIBRATION_MARGIN).unwrap();
    assert_eq!(peaks.len(), 2);
    for p in &peaks {
        assert!(p.peak > 0.0 && (p.radius - RELU_CALIBRATION_MARGIN * p.peak).abs() < 1e-12, "{p:?}");
        let Layer::Relu(r) = &imported.model.nodes[p.node].layer else { panic!() };
        assert_eq!(r.radius, p.radius);
    }
    // The calibrated model's own inputs stay inside its intervals on every image.
    for image in &images {
        for p in relu_input_peaks(&imported.model, &imported.prepare_input(image), ReluMode::Approximate).unwrap() {
            assert!(!p.outside(), "{p:?}");
        }
    }
    let empty = calibrate_relu(&mut imported, &[], 1.5).unwrap_err();
    assert!(matches!(empty, OnnxError::Calibration { .. }), "{empty}");
    let margin = calibrate_relu(&mut imported, &images, 0.5).unwrap_err();
    assert!(matches!(margin, OnnxError::Calibration { .. }), "{margin}");
}

#[test]
fn inputs_outside_the_interval_are_reported_never_silently_wrong() {
    let imported = import("relu_cnn.onnx", &approx(0.05, 1.0 / 32.0, 6.0));
    let (images, _) = references("relu_cnn.onnx");
    let input = imported.prepare_input(&images[0]);
    let peaks = relu_input_peaks(&imported.model, &input, ReluMode::Exact).unwrap();
    assert!(peaks[0].outside() && peaks[0].peak > 0.05, "{peaks:?}");
    let schedule = plan(&imported.model, &PlanConfig::new(10)).unwrap();
    match run_simulated(&schedule, &input) {
        Err(ExecError::Backend { source: BackendError::OutsideInterval { peak }, .. }) => assert!(peak > 1.0),
        other => panic!("{other:?}"),
    }
}

#[test]
fn too_deep_for_the_chain_is_a_typed_error() {
    let imported = import("relu_cnn.onnx", &approx(4.0, 1.0 / 64.0, 8.0));
    let mut config = PlanConfig::new(10);
    config.scale_model = Some(ScaleModel::uniform(30, 8));
    match plan(&imported.model, &config) {
        Err(PlanError::NotEnoughLevels { needed, available: 8 }) => assert!(needed > 8),
        other => panic!("{other:?}"),
    }
    // At N = 2^13 the 128-bit bound (218 bits) holds far fewer levels than two ReLUs need.
    let options = ParamOptions { target_precision_bits: None, ..ParamOptions::default() };
    let err = plan_for_ckks(&imported.model, 13, &options).unwrap_err();
    assert!(err.to_string().contains("no parameters for depth"), "{err}");
}

#[test]
fn encrypted_relu_matches_the_simulator_and_onnxruntime() {
    for name in ["relu_mlp.onnx", "relu_cnn.onnx"] {
        encrypted_matches(name);
    }
}

/// Encrypted inference at `N = 2^10` (insecure, tests only) on two images of `name`.
fn encrypted_matches(name: &str) {
    let imported = import(name, &approx(4.0, 1.0 / 32.0, 6.0));
    let options = ParamOptions {
        min_log_scale: 36,
        target_precision_bits: None,
        budget_bits: Some(1400),
        insecure: true,
        threads: 1,
    };
    let (schedule, choice, params) = plan_for_ckks(&imported.model, 10, &options).unwrap();
    println!("{name}: depth {}, scale 2^{}", schedule.depth(), choice.log_scale);
    assert!(choice.insecure && params.is_insecure());
    let mut server = Server::new(schedule, params, EncodingPolicy::Preencoded).unwrap();
    let mut client = Client::from_seed(server.interface().clone(), [3; 32]).unwrap();
    server.set_keys(client.evaluation_keys().unwrap()).unwrap();
    server.setup().unwrap();
    let (images, expected) = references(name);
    for (image, onnxruntime) in images.iter().zip(&expected).take(2) {
        let input = imported.prepare_input(image);
        let (answer, _) = server.infer(&client.encrypt(&input).unwrap(), |_| {}).unwrap();
        let logits = client.decrypt(&answer).unwrap();
        let simulated = run_simulated(server.schedule(), &input).unwrap().0;
        let vs_sim = Agreement::of(&logits, &simulated);
        let vs_onnx = Agreement::of(&logits, onnxruntime);
        println!("{name}: encrypted vs simulator {vs_sim:?}; vs onnxruntime {vs_onnx:?}");
        assert!(vs_sim.precision_bits >= 12.0, "vs simulator: {vs_sim:?}");
        assert!(vs_onnx.precision_bits >= 4.0, "vs onnxruntime: {vs_onnx:?}");
        assert!(vs_sim.same_class() && vs_onnx.same_class());
    }
}
