//! The README's "Using it" commands and the user-facing fixes: the bundled PNG classifies,
//! random weights are announced, a weights file's variant is detected, `eval`/`train` take the
//! bundled digits and name the files they looked for, errors print their causes, `--help`
//! shows defaults.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn assets() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets")
}

fn spencnn(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_spencnn")).args(args).output().unwrap()
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn asset(name: &str) -> String {
    assets().join(name).display().to_string()
}

#[test]
fn infer_classifies_the_bundled_png_with_the_bundled_weights() {
    let weights = asset("lenet-spencnn.safetensors");
    let out = spencnn(&["infer", "--model", "lenet", "--weights", &weights, "--image", &asset("digit-7.png")]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stdout.contains("lenet spencnn on"), "the variant is detected from the file: {stdout}");
    assert!(stdout.contains("image 0: class 7"), "{stdout}");
    assert!(stdout.contains(&format!("weights: {weights}")), "{stdout}");
    assert!(!stderr.contains("RANDOM"), "{stderr}");
}

#[test]
fn infer_without_weights_says_they_are_random_on_stderr_and_in_the_report() {
    let out = spencnn(&["infer", "--model", "lenet", "--variant", "dense", "--no-check", "--json"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("warning: no --weights given") && stderr.contains("RANDOM weights"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["random_weights"], true);
    assert_eq!(report["weights"], "RANDOM (seed 1)");
    assert_eq!(report["variant"], "dense", "the JSON spells the variant as the flag does");
}

#[test]
fn a_weights_file_of_the_other_variant_is_refused_with_its_cause() {
    let weights = asset("lenet-dense.safetensors");
    let out = spencnn(&["infer", "--variant", "spencnn", "--weights", &weights]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("does not hold lenet weights of the spencnn variant"), "{stderr}");
    assert!(stderr.contains("caused by: tensor conv2.weight has shape"), "{stderr}");
}

#[test]
fn eval_runs_on_the_bundled_digits_and_names_missing_files() {
    let weights = asset("lenet-dense.safetensors");
    let out = spencnn(&["eval", "--weights", &weights, "--data", &asset(""), "--json"]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("using the 20 bundled test digits"), "{stderr}");
    let report: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    assert_eq!(report["variant"], "dense");
    assert_eq!(report["plaintext"]["images"], 20);
    assert!(report["plaintext"]["correct"].as_u64().unwrap() >= 19, "{report}");

    let empty = std::env::temp_dir().join(format!("spencnn-cli-empty-{}", std::process::id()));
    std::fs::create_dir_all(&empty).unwrap();
    let out = spencnn(&["eval", "--weights", &weights, "--data", &empty.display().to_string()]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    for expected in [
        "t10k-images-idx3-ubyte, t10k-images-idx3-ubyte.gz, mnist-test-20-images-idx3-ubyte",
        "MNIST database",
        "--data spencnn/assets",
    ] {
        assert!(stderr.contains(expected), "{expected:?} missing from {stderr}");
    }
    std::fs::remove_dir_all(&empty).unwrap();
}

#[test]
fn train_runs_on_the_bundled_digits() {
    let out_file = std::env::temp_dir().join(format!("spencnn-cli-train-{}.safetensors", std::process::id()));
    let out = spencnn(&[
        "train",
        "--variant",
        "dense",
        "--data",
        &asset(""),
        "--out",
        &out_file.display().to_string(),
        "--epochs",
        "1",
        "--batch-size",
        "5",
        "--check",
        "1",
        "--threads",
        "1",
    ]);
    let (stdout, stderr) = (text(&out.stdout), text(&out.stderr));
    assert!(out.status.success(), "{stdout}\n{stderr}");
    assert!(stderr.contains("no MNIST train files"), "{stderr}");
    assert!(stdout.contains("test accuracy"), "{stdout}");
    let trained = std::fs::read(&out_file).unwrap();
    let mut model = spencnn::model::zoo::Network::LeNet.build(spencnn::model::zoo::Variant::Dense);
    spencnn::model::load_safetensors(&mut model, &trained).unwrap();
    std::fs::remove_file(&out_file).unwrap();
}

#[test]
fn help_shows_the_defaults_and_one_threads_default() {
    let train = text(&spencnn(&["train", "--help"]).stdout);
    for expected in ["[default: 6]", "[default: 64]", "[default: 0.002]", "[default: all cores]"] {
        assert!(train.contains(expected), "{expected:?} missing from train --help:\n{train}");
    }
    for command in ["infer", "bench", "demo", "eval"] {
        let help = text(&spencnn(&[command, "--help"]).stdout);
        assert!(help.contains("[default: all cores]"), "{command} --help:\n{help}");
        assert!(!help.contains("SpEncnn"), "{command} --help:\n{help}");
    }
}

#[test]
fn plan_prints_the_three_variants_by_their_names() {
    let out = spencnn(&["plan", "--model", "lenet", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let names: Vec<&str> =
        report["variants"].as_array().unwrap().iter().map(|v| v["variant"].as_str().unwrap()).collect();
    assert_eq!(names, ["hear", "dense", "spencnn"]);
    let out = spencnn(&["plan", "--ir"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("choose it with --variant"), "{}", text(&out.stderr));
}

#[test]
fn a_memory_budget_is_planned_for_or_refused_before_any_key_is_made() {
    let out = spencnn(&["plan", "--model", "lenet", "--variant", "spencnn", "--max-memory-gib", "0.5"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("memory (budget 512 MiB)") && stdout.contains("trade-off: "), "{stdout}");
    assert!(stdout.contains("compact keys") && stdout.contains("online latency"), "{stdout}");
    let out = spencnn(&["infer", "--model", "lenet", "--max-memory-gib", "0.2", "--no-check"]);
    let stderr = text(&out.stderr);
    assert!(!out.status.success());
    assert!(stderr.contains("the memory budget of 205 MiB cannot be met"), "{stderr}");
    assert!(stderr.contains("give at least that") && !stderr.contains("key generation:"), "{stderr}");
    let out = spencnn(&["infer", "--model", "lenet", "--max-memory-gib=0"]);
    assert!(text(&out.stderr).contains("the memory limit must be positive"), "{}", text(&out.stderr));
    // plan: 0 is refused too (it is not "unconstrained"); `none` asks for no limit.
    let out = spencnn(&["plan", "--model", "lenet", "--max-memory-gib", "0"]);
    assert!(!out.status.success());
    assert!(text(&out.stderr).contains("`none` for no limit"), "{}", text(&out.stderr));
    let out = spencnn(&["plan", "--model", "lenet", "--variant", "spencnn", "--max-memory-gib", "none"]);
    let stdout = text(&out.stdout);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(stdout.contains("memory (unconstrained)") && stdout.contains("trade-off: none needed"), "{stdout}");
}

/// A budget below LeNet's unconstrained deployment (about 1.4 GiB estimated): the planner trades
/// memory for latency, and the process's measured peak stays within the budget and the estimate.
#[test]
fn a_tight_budget_holds_for_the_measured_peak() {
    let budget = 0.75;
    let gib = budget.to_string();
    let out =
        spencnn(&["infer", "--model", "lenet", "--threads", "2", "--max-memory-gib", &gib, "--no-check", "--json"]);
    assert!(out.status.success(), "{}", text(&out.stderr));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let tradeoff = report["memory_tradeoff"].as_str().unwrap();
    assert!(!tradeoff.contains("none needed"), "{tradeoff}");
    let (peak, estimate) =
        (report["peak_rss_bytes"].as_f64().unwrap(), report["estimated_peak_bytes"].as_f64().unwrap());
    let budget_bytes = budget * f64::from(1u32 << 30);
    eprintln!("peak {peak} estimate {estimate} budget {budget_bytes}: {tradeoff}");
    assert!(estimate <= budget_bytes && peak <= estimate, "peak {peak}, estimate {estimate}: {tradeoff}");
}
