//! The command line with ONNX models: `--model FILE.onnx` of plan, infer, inspect, eval and
//! bench; `prune` (masks named like the initializers, a pruned copy that plans cheaper);
//! `export` (the export of a zoo network inspects like the network); refusals and malformed files
//! fail with the node, its operator and what to use instead, never a panic.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/onnx").join(name).display().to_string()
}

fn asset(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets").join(name).display().to_string()
}

fn spencnn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spencnn")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a command that must succeed; returns its standard output.
fn success(args: &[&str]) -> String {
    let out = spencnn(args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{args:?} failed:\n{stdout}\n{stderr}");
    stdout
}

/// Runs a command that must fail with a message; returns standard error.
fn failure(args: &[&str]) -> String {
    let out = spencnn(args);
    let stderr = text(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{args:?} must fail with a message, not a crash:\n{stderr}");
    assert!(stderr.starts_with("error: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

fn json(args: &[&str]) -> serde_json::Value {
    serde_json::from_str(&success(args)).unwrap()
}

/// A fresh directory for a test's outputs.
fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spencnn-cli-onnx-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The header of a safetensors file: `{name: {dtype, shape, data_offsets}, __metadata__}`, and
/// the data.
fn safetensors(bytes: &[u8]) -> (serde_json::Value, &[u8]) {
    let len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
    (serde_json::from_slice(&bytes[8..8 + len]).unwrap(), &bytes[8 + len..])
}

#[test]
fn plan_accepts_an_onnx_file_and_prints_its_layers() {
    let stdout = success(&["plan", "--model", &fixture("residual.onnx")]);
    assert!(stdout.contains("residual.onnx at N = 2^"), "{stdout}");
    for layer in ["conv0", "shortcut", "add", "fc", "total"] {
        assert!(stdout.contains(layer), "{layer} missing:\n{stdout}");
    }
    let report = json(&["plan", "--model", &fixture("residual.onnx"), "--json"]);
    let pmults = report["totals"]["pmults"].as_u64().unwrap();
    let pruned = json(&["plan", "--model", &fixture("residual.onnx"), "--json", "--prune", "0.5"]);
    assert!(pruned["totals"]["pmults"].as_u64().unwrap() < pmults, "pruning removes plaintext multiplies");
    // The memory-latency trade-off of the imported model: none without a limit, a cheaper
    // deployment within a tighter budget.
    let free = json(&["plan", "--model", &fixture("residual.onnx"), "--json", "--max-memory-gib", "none"]);
    let peak = free["memory"]["plan"]["footprint"]["peak"].as_u64().unwrap();
    assert_eq!(free["memory"]["plan"]["encoding"], "Preencoded", "{free}");
    let budget = (peak as f64 * 0.7 / f64::from(1u32 << 30)).to_string();
    let tight = json(&["plan", "--model", &fixture("residual.onnx"), "--json", "--max-memory-gib", &budget]);
    let plan = &tight["memory"]["plan"];
    assert!(plan["footprint"]["peak"].as_u64().unwrap() <= plan["budget_bytes"].as_u64().unwrap(), "{plan}");
    assert!(plan["estimated_cost"].as_f64().unwrap() >= plan["unconstrained_cost"].as_f64().unwrap(), "{plan}");
    let stdout = success(&["plan", "--model", &fixture("residual.onnx"), "--max-memory-gib", &budget]);
    assert!(stdout.contains("residual.onnx for CKKS: N = 2^") && stdout.contains("trade-off: "), "{stdout}");
}

#[test]
fn inspect_reports_layers_packing_keys_and_tensors_before_any_key() {
    let report = json(&["inspect", "--model", &fixture("conv_variants.onnx"), "--json"]);
    assert_eq!(report["input_shape"], serde_json::json!([3, 12, 12]));
    let layers = report["layers"].as_array().unwrap();
    assert!(layers.iter().any(|l| l["groups"].as_u64().is_some_and(|g| g > 1)), "a grouped convolution");
    assert!(layers.iter().all(|l| l["packing"]["ciphertexts"].as_u64().unwrap() >= 1));
    assert!(report["rotation_keys"].as_u64().unwrap() > 0 && report["key_bytes"].as_u64().unwrap() > 0);
    assert!(report["depth"].as_u64().unwrap() > 0);
    assert!(report["params"]["log_n"].as_u64().unwrap() >= 13);
    assert!(!report["tensors"].as_array().unwrap().is_empty());
    let stdout = success(&["inspect", "--model", &fixture("preprocess_folding.onnx")]);
    assert!(stdout.contains("client-side preprocessing"), "{stdout}");
    assert!(stdout.contains("evaluation keys:") && stdout.contains("parameters: N = 2^"), "{stdout}");
    let zoo = success(&["inspect", "--model", "lenet"]);
    assert!(zoo.contains("conv1.weight [64, 1, 5, 5]"), "{zoo}");
}

#[test]
fn inspect_prints_the_memory_latency_trade_off_within_a_budget() {
    let model = fixture("residual.onnx");
    let plain = json(&["inspect", "--model", &model, "--json"]);
    assert!(plain.get("memory").is_none(), "no budget, no deployment: {plain}");
    let free = json(&["inspect", "--model", &model, "--json", "--max-memory-gib", "none"]);
    let peak = free["memory"]["plan"]["footprint"]["peak"].as_u64().unwrap();
    assert_eq!(free["memory"]["plan"]["encoding"], "Preencoded", "{free}");
    // The same deployment as `plan` chooses for the same budget.
    let budget = (peak as f64 * 0.7 / f64::from(1u32 << 30)).to_string();
    let tight = json(&["inspect", "--model", &model, "--json", "--max-memory-gib", &budget]);
    let planned = json(&["plan", "--model", &model, "--json", "--max-memory-gib", &budget]);
    let plan = &tight["memory"]["plan"];
    assert!(plan["footprint"]["peak"].as_u64().unwrap() <= plan["budget_bytes"].as_u64().unwrap(), "{plan}");
    assert!(plan["estimated_cost"].as_f64().unwrap() >= plan["unconstrained_cost"].as_f64().unwrap(), "{plan}");
    assert_eq!(plan["footprint"], planned["memory"]["plan"]["footprint"], "inspect and plan agree");
    let stdout = success(&["inspect", "--model", "lenet", "--max-memory-gib", "0.6"]);
    assert!(
        stdout.contains("within the memory budget, for CKKS: N = 2^") && stdout.contains("trade-off: "),
        "{stdout}"
    );
}

#[test]
fn infer_classifies_a_digit_with_an_imported_model_like_the_reference() {
    let report =
        json(&["infer", "--model", &fixture("torch_legacy_lenet.onnx"), "--image", &asset("digit-7.png"), "--json"]);
    assert_eq!(report["variant"], "imported");
    assert_eq!(report["random_weights"], false);
    let image = &report["images"][0];
    let vs_reference = &image["vs_reference"];
    assert!(vs_reference["precision_bits"].as_f64().unwrap() > 10.0, "{image}");
    // The fixture's weights are untrained: the class is the reference's, not the digit's.
    assert_eq!(vs_reference["same_class"], true, "{image}");
}

#[test]
fn eval_of_an_imported_model_compares_simulator_and_encrypted_logits_with_the_reference() {
    let report = json(&[
        "eval",
        "--model",
        &fixture("torch_legacy_lenet.onnx"),
        "--data",
        &asset(""),
        "--check",
        "3",
        "--encrypted",
        "2",
        "--json",
    ]);
    assert_eq!(report["images"], 20, "the bundled digits");
    let sim = &report["simulator_vs_reference"];
    assert_eq!(sim["images"], 3);
    assert_eq!(sim["argmax_agree"], 3);
    assert!(sim["max_abs_error"].as_f64().unwrap() < 1e-9, "{sim}");
    let enc = &report["encrypted"]["vs_reference"];
    assert_eq!(enc["images"], 2);
    assert_eq!(enc["argmax_agree"], 2);
    assert!(enc["max_relative_error"].as_f64().unwrap() < 1e-3, "{enc}");
}

#[test]
fn prune_writes_initializer_named_masks_and_a_cheaper_pruned_copy() {
    let dir = scratch("prune");
    let (masks, pruned) = (dir.join("masks.safetensors"), dir.join("pruned.onnx"));
    let (masks_arg, pruned_arg) = (masks.display().to_string(), pruned.display().to_string());
    let model = fixture("residual.onnx");
    let args = ["prune", "--model", &model, "--ratio", "0.5", "--out", &masks_arg, "--onnx-out", &pruned_arg];
    let report: serde_json::Value = serde_json::from_str(&success(&[&args[..], &["--json"]].concat())).unwrap();
    let bytes = std::fs::read(&masks).unwrap();
    let (header, data) = safetensors(&bytes);
    let names = report["mask_nodes"].as_array().unwrap();
    assert!(!names.is_empty());
    for pair in names {
        let (name, node) = (pair[0].as_str().unwrap(), pair[1].as_str().unwrap());
        let entry = &header[name];
        assert_eq!(entry["dtype"], "F32", "{name}");
        assert_eq!(header["__metadata__"][name], node, "the metadata names the Conv node");
        let shape: Vec<u64> = entry["shape"].as_array().unwrap().iter().map(|d| d.as_u64().unwrap()).collect();
        assert_eq!(shape.len(), 4, "{name}: the shape of a convolution weight");
        let [start, end] = [0, 1].map(|i| entry["data_offsets"][i].as_u64().unwrap() as usize);
        assert_eq!((end - start) / 4, shape.iter().product::<u64>() as usize);
        for value in data[start..end].chunks(4).map(|b| f32::from_le_bytes(b.try_into().unwrap())) {
            assert!(value == 0.0 || value == 1.0, "{name}: {value}");
        }
    }
    let kept: u64 = report["layers"].as_array().unwrap().iter().map(|l| l["kept"].as_u64().unwrap()).sum();
    let blocks: u64 = report["layers"].as_array().unwrap().iter().map(|l| l["blocks"].as_u64().unwrap()).sum();
    assert!(kept < blocks, "{report}");
    let original = json(&["plan", "--model", &model, "--json"]);
    let copy = json(&["plan", "--model", &pruned_arg, "--json"]);
    let pmults = |r: &serde_json::Value| r["totals"]["pmults"].as_u64().unwrap();
    assert!(pmults(&copy) < pmults(&original), "the zeroed sub-blocks are skipped");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn an_exported_zoo_network_inspects_like_the_network() {
    let dir = scratch("export");
    let out = dir.join("lenet.onnx").display().to_string();
    let weights = asset("lenet-spencnn.safetensors");
    let stderr = text(&spencnn(&["export", "--model", "lenet", "--weights", &weights, "--out", &out]).stderr);
    assert!(stderr.contains("lenet spencnn"), "{stderr}");
    let zoo = json(&["inspect", "--model", "lenet", "--weights", &weights, "--json"]);
    let imported = json(&["inspect", "--model", &out, "--json"]);
    for key in ["depth", "totals", "rotation_keys", "key_bytes", "plaintext_bytes", "log_n", "params"] {
        assert_eq!(zoo[key], imported[key], "{key}");
    }
    assert_eq!(zoo["layers"].as_array().unwrap().len(), imported["layers"].as_array().unwrap().len());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn refusals_name_the_node_its_operator_and_what_to_use_instead() {
    let relu = failure(&["plan", "--model", &fixture("refuse_relu.onnx")]);
    assert!(relu.contains("relu") && relu.contains("Relu") && relu.contains("polynomial"), "{relu}");
    let maxpool = failure(&["infer", "--model", &fixture("refuse_maxpool.onnx")]);
    assert!(maxpool.contains("pool") && maxpool.contains("MaxPool") && maxpool.contains("AveragePool"), "{maxpool}");
    let dilation = failure(&["inspect", "--model", &fixture("refuse_dilation.onnx")]);
    assert!(dilation.contains("conv") && dilation.contains("Conv") && dilation.contains("dilation"), "{dilation}");
    let cubic = failure(&["prune", "--model", &fixture("refuse_cubic.onnx"), "--ratio", "0.5", "--out", "unused"]);
    assert!(cubic.contains("cube") && cubic.contains("Mul") && cubic.contains("degree"), "{cubic}");
}

#[test]
fn malformed_files_and_misused_flags_are_errors_not_crashes() {
    let dir = scratch("malformed");
    let garbage = dir.join("garbage.onnx");
    std::fs::write(&garbage, b"\x0a\xff\xff\xff\xff\x0fnot a model").unwrap();
    let garbage = garbage.display().to_string();
    for command in ["plan", "infer", "inspect", "eval"] {
        let mut args = vec![command, "--model", &garbage];
        if command == "eval" {
            args.extend(["--data", "unused"]);
        }
        let stderr = failure(&args);
        assert!(stderr.contains("cannot import") && stderr.contains("garbage.onnx"), "{command}: {stderr}");
    }
    let missing = failure(&["plan", "--model", "no-such-model.onnx"]);
    assert!(missing.contains("no-such-model.onnx"), "{missing}");
    let unknown = spencnn(&["plan", "--model", "lenet5"]);
    assert!(text(&unknown.stderr).contains("resnet20, or the path of an .onnx file"));
    let model = fixture("residual.onnx");
    let weights = failure(&["infer", "--model", &model, "--weights", "w.safetensors"]);
    assert!(weights.contains("an ONNX file carries its own weights"), "{weights}");
    let ratio = failure(&["prune", "--model", &model, "--ratio", "1.5", "--out", "unused"]);
    assert!(ratio.contains("outside [0, 1)"), "{ratio}");
    let zoo = failure(&["prune", "--model", "lenet", "--ratio", "0.5", "--out", "unused"]);
    assert!(zoo.contains("prune takes an ONNX file"), "{zoo}");
    let export = failure(&["export", "--model", &model, "--weights", "w", "--out", "unused"]);
    assert!(export.contains("already ONNX"), "{export}");
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn bench_runs_an_imported_model_side_by_side_with_a_zoo_network() {
    let dir = scratch("bench");
    let exported = dir.join("lenet.onnx").display().to_string();
    let weights = asset("lenet-spencnn.safetensors");
    success(&["export", "--model", "lenet", "--weights", &weights, "--out", &exported]);
    let report = json(&[
        "bench",
        "--model",
        &exported,
        "--against",
        "lenet",
        "--against-weights",
        &weights,
        "--repeat",
        "1",
        "--no-check",
        "--json",
    ]);
    let (imported, zoo) = (&report["imported"], &report["against"]);
    assert_eq!(imported["variant"], "imported");
    assert_eq!((zoo["model"].as_str(), zoo["variant"].as_str()), (Some("lenet"), Some("spencnn")));
    for key in ["totals", "rotation_keys", "params"] {
        assert_eq!(imported[key], zoo[key], "{key}: the export runs the zoo network's schedule");
    }
    assert!(report["latency_ratio"].as_f64().unwrap() > 0.0);
    std::fs::remove_dir_all(dir).unwrap();
}
