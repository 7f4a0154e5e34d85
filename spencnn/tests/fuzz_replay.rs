//! Replays fuzz inputs on the stable toolchain, through the same entry points the cargo-fuzz
//! targets call: every committed regression input (`fuzz/regressions/<target>/`) always, and
//! the corpus and crash files of a local campaign (`fuzz/corpus/<target>/`,
//! `fuzz/artifacts/<target>/`, not committed) when they exist, so a campaign's findings can be
//! checked with `cargo test -p spencnn --test fuzz_replay -- --nocapture` without nightly.

use std::path::{Path, PathBuf};

use spencnn::inference::wire::fuzzing as wire;
use spencnn_ckks::serialization::fuzzing as ckks;

/// A fuzz target's entry point.
type EntryPoint = Box<dyn Fn(&[u8])>;

/// `(target name, entry point)` of all eleven cargo-fuzz targets.
fn targets() -> Vec<(&'static str, EntryPoint)> {
    let mut all: Vec<(&'static str, EntryPoint)> = Vec::new();
    for t in ckks::Target::ALL {
        all.push((t.name(), Box::new(move |b| t.run(b))));
    }
    for t in wire::Target::ALL {
        all.push((t.name(), Box::new(move |b| t.run(b))));
    }
    all
}

/// The regular files directly inside `dir` (none if it does not exist), sorted.
fn files(dir: &Path) -> Vec<PathBuf> {
    let Ok(entries) = std::fs::read_dir(dir) else { return Vec::new() };
    let mut files: Vec<PathBuf> = entries.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.is_file()).collect();
    files.sort();
    files
}

#[test]
fn every_regression_corpus_and_crash_file_runs_clean() {
    let fuzz = Path::new(env!("CARGO_MANIFEST_DIR")).join("../fuzz");
    let known: Vec<&str> = targets().iter().map(|(name, _)| *name).collect();
    // Every regression directory names a target (a typo would silently skip its inputs).
    for dir in std::fs::read_dir(fuzz.join("regressions")).unwrap() {
        let name = dir.unwrap().file_name().into_string().unwrap();
        assert!(known.contains(&name.as_str()), "fuzz/regressions/{name} is not a fuzz target");
    }
    let mut regressions = 0;
    for (name, run) in targets() {
        let mut counts = Vec::new();
        for kind in ["regressions", "corpus", "artifacts"] {
            let inputs = files(&fuzz.join(kind).join(name));
            for path in &inputs {
                let bytes = std::fs::read(path).unwrap();
                // A panic names the file (the harness prints it with the panic message).
                eprintln!("replaying {}", path.display());
                run(&bytes);
            }
            if kind == "regressions" {
                regressions += inputs.len();
            }
            counts.push(inputs.len());
        }
        println!("{name}: {} regression, {} corpus, {} crash inputs replayed", counts[0], counts[1], counts[2]);
    }
    assert!(regressions >= 3, "the committed regression inputs are found ({regressions})");
}
