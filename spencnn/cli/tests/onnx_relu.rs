//! The command line with ReLU models: refused by default with the opt-in named; `--relu approx`
//! with a given or calibrated interval; bad and contradictory values refused before anything
//! is planned; an image leaving its interval reported with the measured peak.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn fixture(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/fixtures/onnx").join(name).display().to_string()
}

fn spencnn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spencnn")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

/// Runs a command that must succeed; returns standard output and standard error.
fn success(args: &[&str]) -> (String, String) {
    let out = spencnn(args);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{args:?} failed:\n{stdout}\n{stderr}");
    (stdout, stderr)
}

/// Runs a command that must fail with a message (exit code 1 or clap's 2), after any warnings;
/// returns standard error.
fn failure(args: &[&str]) -> String {
    let out = spencnn(args);
    let stderr = text(&out.stderr);
    assert!(matches!(out.status.code(), Some(1 | 2)), "{args:?} must fail with a message:\n{stderr}");
    assert!(stderr.starts_with("error: ") || stderr.contains("\nerror: "), "{stderr}");
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr
}

/// An idx3 file of `count` images of `side × side` pixels.
fn idx_images(test: &str, count: u32, side: u32) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spencnn-cli-relu-{}-{test}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut bytes = Vec::new();
    for word in [0x0803u32, count, side, side] {
        bytes.extend_from_slice(&word.to_be_bytes());
    }
    for k in 0..count {
        bytes.extend((0..side * side).map(|i| ((i * 37 + k * 101) % 256) as u8));
    }
    let path = dir.join("images.idx");
    std::fs::write(&path, bytes).unwrap();
    path
}

#[test]
fn relu_is_refused_without_the_opt_in_and_planned_with_it() {
    let model = fixture("relu_cnn.onnx");
    let err = failure(&["plan", "--model", &model]);
    assert!(err.contains("act1 (Relu)") && err.contains("--relu approx"), "{err}");
    let (out, _) = success(&["inspect", "--model", &model, "--relu", "approx", "--relu-interval=-4,4", "--json"]);
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    // Two ReLUs of about 10 levels each, plus the linear layers.
    let depth = report["depth"].as_u64().unwrap();
    assert!(depth >= 20, "{report}");
    // Less precision, fewer levels.
    let (out, _) = success(&[
        "inspect",
        "--model",
        &model,
        "--relu",
        "approx",
        "--relu-interval=-4,4",
        "--relu-bits",
        "4",
        "--relu-epsilon",
        "0.125",
        "--json",
    ]);
    let cheaper: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(cheaper["depth"].as_u64().unwrap() < depth, "{cheaper}");
    // Too deep for the 128-bit bound of the ring degree asked for: a typed error saying why.
    let err = failure(&["inspect", "--model", &model, "--relu", "approx", "--relu-interval=-4,4", "--log-n", "13"]);
    assert!(err.contains(&format!("no parameters for depth {depth} at N = 2^13")), "{err}");
}

#[test]
fn bad_and_contradictory_relu_flags_are_refused() {
    let model = fixture("relu_mlp.onnx");
    for (flags, expected) in [
        (vec!["--relu", "approx", "--relu-interval", "4,-4"], "empty"),
        (vec!["--relu", "approx", "--relu-interval", "four"], "interval A,B"),
        (vec!["--relu", "approx", "--relu-interval=-1,inf"], "finite"),
        (vec!["--relu", "approx", "--relu-interval=-1,1", "--relu-bits", "0"], "outside"),
        (vec!["--relu", "approx", "--relu-interval=-1,1", "--relu-epsilon", "0.9"], "outside"),
        (vec!["--relu", "approx", "--relu-calibrate", "x.idx", "--relu-margin", "0.5"], "outside"),
        (vec!["--relu", "sometimes"], "invalid value"),
        (vec!["--relu", "approx"], "--relu-interval A,B or --relu-calibrate"),
        (vec!["--relu-interval=-1,1"], "add --relu approx"),
        (vec!["--relu", "approx", "--relu-interval=-1,1", "--relu-calibrate", "x.idx"], "give one"),
        (vec!["--relu", "approx", "--relu-calibrate", "/nonexistent/images.idx"], "calibration images"),
    ] {
        let mut args = vec!["inspect", "--model", &model];
        args.extend(flags.iter().copied());
        let err = failure(&args);
        assert!(err.contains(expected), "{flags:?}: {err}");
    }
    let err = failure(&["plan", "--model", "lenet", "--relu", "approx", "--relu-interval=-1,1"]);
    assert!(err.contains("apply to ONNX models"), "{err}");
}

#[test]
fn calibration_reports_each_relu_and_sets_its_interval() {
    let images = idx_images("calibrate", 5, 8);
    let images = images.to_str().unwrap();
    let model = fixture("relu_cnn.onnx");
    // plan prints the calibration to standard error (quiet with --json).
    let args = ["plan", "--model", &model, "--relu", "approx", "--relu-calibrate", images, "--json"];
    let (_, quiet) = success(&args);
    assert!(!quiet.contains("largest |input|"), "{quiet}");
    let (_, notes) = success(&args[..args.len() - 1]);
    for relu in ["act1", "act2"] {
        assert!(notes.contains(&format!("ReLU {relu}: largest |input|")), "{notes}");
    }
    assert!(notes.contains("over 5 calibration images"), "{notes}");
    // At most --relu-calibrate-count images: the first two.
    let (_, notes) = success(&[
        "plan",
        "--model",
        &model,
        "--relu",
        "approx",
        "--relu-calibrate",
        images,
        "--relu-calibrate-count",
        "2",
    ]);
    assert!(notes.contains("over 2 calibration images"), "{notes}");
    // A file that is not an image file is refused before anything is planned.
    let err = failure(&["inspect", "--model", &model, "--relu", "approx", "--relu-calibrate", &model]);
    assert!(err.contains("calibration images"), "{err}");
}

#[test]
fn an_image_outside_the_interval_is_reported_with_its_peak() {
    let images = idx_images("outside", 1, 4);
    let images = images.to_str().unwrap();
    let model = fixture("relu_mlp.onnx");
    // A far too narrow interval: encrypted inference runs (no check, no precision probe), and
    // the plaintext pass warns with the measured peak.
    let base = [
        "infer",
        "--model",
        &model,
        "--relu",
        "approx",
        "--relu-interval=-0.01,0.01",
        "--relu-bits",
        "4",
        "--relu-epsilon",
        "0.125",
        "--image",
        images,
        "--precision-bits",
        "0",
        "--json",
    ];
    let mut unchecked = base.to_vec();
    unchecked.push("--no-check");
    let (_, stderr) = success(&unchecked);
    assert!(stderr.contains("warning: image 0: ReLU relu receives |x| up to"), "{stderr}");
    assert!(stderr.contains("outside its interval [-0.0100, 0.0100]"), "{stderr}");
    // With the check, the slot simulator refuses the out-of-interval input: a typed error.
    let err = failure(&base);
    assert!(err.contains("times its interval radius"), "{err}");
}

#[test]
fn eval_reports_the_exact_relu_network_and_the_intervals() {
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
    let images = assets.join("mnist-test-20-images-idx3-ubyte").display().to_string();
    let data = assets.display().to_string();
    let model = fixture("relu_digits.onnx");
    let calibrated =
        ["eval", "--model", &model, "--data", &data, "--relu", "approx", "--relu-calibrate", &images, "--check", "2"];
    let (out, _) = success(&[&calibrated[..], &["--json"]].concat());
    let report: serde_json::Value = serde_json::from_str(&out).unwrap();
    let relu = &report["relu"];
    assert_eq!(report["images"], 20, "{report}");
    // Calibrated on the same 20 digits with a margin: every input inside its interval, and the
    // approximated network classifies like the exact one.
    assert_eq!(relu["images_outside"], 0, "{relu}");
    assert!(relu["worst_peak_ratio"].as_f64().unwrap() <= 1.0, "{relu}");
    let deviation = &relu["approximation_vs_exact"];
    assert_eq!(deviation["images"], 20, "{relu}");
    assert!(deviation["max_relative_error"].as_f64().unwrap() < 0.05, "{relu}");
    assert!(deviation["argmax_agree"].as_u64().unwrap() >= 19, "{relu}");
    assert_eq!(report["simulator_vs_reference"]["argmax_agree"], 2, "{report}");
    // An interval far too narrow: reported, and the simulator check refuses it.
    let narrow = ["eval", "--model", &model, "--data", &data, "--relu", "approx", "--relu-interval=-0.01,0.01"];
    let err = failure(&[&narrow[..], &["--check", "1"]].concat());
    assert!(err.contains("warning: on 20 of 20 images a ReLU input leaves its interval"), "{err}");
}
