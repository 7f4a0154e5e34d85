//! The command line under careless and hostile input: every numeric flag out of range, selections
//! that run past a file, empty, endless and foreign files. Each case runs the binary under a
//! watchdog and is sorted into one outcome: a clean error (non-zero exit with the expected
//! message), a panic or abort, a hang (no exit within the watchdog), or a silent wrong result
//! (exit 0 on an input that must be refused). The test prints the counts per category as the
//! rows of the robustness table in `docs/SECURITY.md`
//! (`cargo test -p spencnn-cli --test hostile_flags -- --nocapture`) and fails on any outcome
//! but a clean error. Every case is refused before any key is made, so none allocates more than
//! a file-size cap (256 MiB) or takes long.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// A run that has not exited by then counts as a hang (the slowest case plans LeNet, seconds).
const WATCHDOG: Duration = Duration::from_secs(300);

fn asset(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets").join(name).display().to_string()
}

/// How one run ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Outcome {
    CleanError,
    /// Non-zero exit without the expected message (counted apart: an error, but not a clear one).
    UnclearError,
    Panic,
    Hang,
    SilentWrong,
}

struct Run {
    outcome: Outcome,
    /// Exit status 0.
    success: bool,
    stderr: String,
}

fn run(args: &[String], expected: &str) -> Run {
    let mut child = Command::new(env!("CARGO_BIN_EXE_spencnn"))
        .args(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut err_pipe = child.stderr.take().unwrap();
    let mut out_pipe = child.stdout.take().unwrap();
    let err_reader = std::thread::spawn(move || {
        let mut text = String::new();
        let _ = err_pipe.read_to_string(&mut text);
        text
    });
    let out_reader = std::thread::spawn(move || std::io::copy(&mut out_pipe, &mut std::io::sink()));
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > WATCHDOG {
            child.kill().unwrap();
            child.wait().unwrap();
            break None;
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let stderr = err_reader.join().unwrap();
    let _ = out_reader.join().unwrap();
    let outcome = match status {
        None => Outcome::Hang,
        Some(s) if s.success() => Outcome::SilentWrong,
        // Killed by a signal (SIGABRT of a failed allocation, SIGSEGV) or Rust's panic exit code.
        Some(s) if s.code().is_none() || s.code() == Some(101) || stderr.contains("panicked") => Outcome::Panic,
        Some(_) if stderr.contains(expected) => Outcome::CleanError,
        Some(_) => Outcome::UnclearError,
    };
    Run { outcome, success: status.is_some_and(|s| s.success()), stderr }
}

/// A scratch directory with an empty `.png`, garbage bytes and a truncated idx file.
fn scratch() -> PathBuf {
    let dir = std::env::temp_dir().join(format!("spencnn-hostile-flags-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("empty.png"), b"").unwrap();
    std::fs::write(
        dir.join("garbage.bin"),
        (0..4096u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 24) as u8).collect::<Vec<_>>(),
    )
    .unwrap();
    let idx = std::fs::read(asset("mnist-test-20-images-idx3-ubyte")).unwrap();
    std::fs::write(dir.join("truncated-idx"), &idx[..idx.len() / 2]).unwrap();
    dir
}

fn args(text: &str) -> Vec<String> {
    text.split_whitespace().map(str::to_string).collect()
}

/// `(category, command line, expected message)`; `{dir}`, `{idx}`, `{labels}`, `{png}`,
/// `{weights}` and `{assets}` are replaced by paths.
const CASES: &[(&str, &str, &str)] = &[
    // Out of range when parsed: refused before anything is planned.
    ("numeric flags", "infer --count 1000000000000", "outside 1..=100000"),
    ("numeric flags", "infer --count 1000000", "outside 1..=100000"),
    ("numeric flags", "infer --count 0", "outside 1..=100000"),
    ("numeric flags", "infer --count -1", "unexpected argument"),
    ("numeric flags", "infer --index 1 --count 18446744073709551615", "outside 1..=100000"),
    ("numeric flags", "infer --index 18446744073709551616", "invalid value"),
    ("numeric flags", "infer --threads 10000", "per available core"),
    ("numeric flags", "infer --threads 0", "outside 1..="),
    ("numeric flags", "infer --threads 65536", "per available core"),
    ("numeric flags", "infer --layers 0", "outside 1..=100000"),
    ("numeric flags", "infer --repeat 0", "outside 1..=1000"),
    ("numeric flags", "infer --repeat 1000000", "outside 1..=1000"),
    ("numeric flags", "infer --precision-bits NaN", "is not a number of bits"),
    ("numeric flags", "infer --precision-bits=-5", "is not a number of bits"),
    ("numeric flags", "infer --precision-bits inf", "is not a number of bits"),
    ("numeric flags", "infer --precision-bits 1e400", "is not a number of bits"),
    ("numeric flags", "infer --max-memory-gib 0", "must be positive"),
    ("numeric flags", "infer --max-memory-gib NaN", "is not a memory size"),
    ("numeric flags", "infer --max-memory-gib=-1", "is not a memory size"),
    ("numeric flags", "infer --log-n 30", "12..=16"),
    ("numeric flags", "infer --log-n 4", "12..=16"),
    ("numeric flags", "infer --min-log-scale 0", "16..=60"),
    ("numeric flags", "infer --prune 1", "would remove every sub-block"),
    ("numeric flags", "infer --prune NaN", "is not a pruning ratio"),
    ("numeric flags", "infer --flood-bits 61", "0..=60"),
    ("numeric flags", "eval --weights {weights} --data {dir} --limit 0", "outside 1..=100000"),
    ("numeric flags", "eval --weights {weights} --data {dir} --encrypted 100000000", "outside 1..=100000"),
    ("numeric flags", "train --variant dense --data {dir} --out {dir}/w --lr NaN", "is not a learning rate"),
    ("numeric flags", "train --variant dense --data {dir} --out {dir}/w --lr 0", "must be positive"),
    ("numeric flags", "train --variant dense --data {dir} --out {dir}/w --batch-size 0", "outside 1..=65536"),
    ("numeric flags", "train --variant dense --data {dir} --out {dir}/w --act-a inf", "is not a coefficient"),
    ("numeric flags", "train --variant dense --data {dir} --out {dir}/w --epochs 1000000", "outside 0..=1000"),
    ("numeric flags", "plan --log-n 99", "12..=16"),
    ("numeric flags", "plan --prune=-0.5", "is not a pruning ratio"),
    ("numeric flags", "bench --repeat 0", "outside 1..=1000"),
    ("numeric flags", "bench --max-memory-gib inf", "is not a memory size"),
    ("numeric flags", "bench --max-memory-gib 0", "must be positive"),
    ("numeric flags", "plan --max-memory-gib 0", "must be positive"),
    ("numeric flags", "plan --max-memory-gib=-2", "is not a memory size"),
    ("numeric flags", "plan --max-memory-gib NaN", "is not a memory size"),
    ("numeric flags", "plan --max-memory-gib 1e9", "is not a memory size"),
    ("numeric flags", "demo --digit 20", "the bundled digits are 0 to 19"),
    // Files and selections: refused after reading the file, before any key is made.
    ("files and selections", "infer --image {dir}/empty.png", "PNG"),
    ("files and selections", "infer --image /dev/zero", "holds more than"),
    ("files and selections", "infer --weights /dev/zero", "holds more than"),
    ("files and selections", "eval --weights /dev/zero --data {dir}", "holds more than"),
    (
        "files and selections",
        "train --variant dense --data {assets} --out {dir}/w --validation 5 --resume /dev/zero",
        "holds more than",
    ),
    ("files and selections", "infer --image {dir}/garbage.bin", "cannot use"),
    ("files and selections", "infer --image {dir}/truncated-idx", "cannot use"),
    ("files and selections", "infer --weights {dir}/garbage.bin", "weights"),
    ("files and selections", "infer --image {dir}/missing.png", "cannot read"),
    ("files and selections", "infer --image {idx} --index 19 --count 2", "holds 20"),
    ("files and selections", "infer --image {idx} --index 20", "holds 20"),
    ("files and selections", "infer --image {idx} --index 18446744073709551615", "beyond any file"),
    ("files and selections", "infer --image {idx} --labels {idx}", "is not an idx label file"),
    ("files and selections", "infer --image {png} --count 2", "is a PNG"),
    ("files and selections", "infer --image {png} --index 3", "is a PNG"),
    ("files and selections", "infer --labels {labels}", "select images of an idx file"),
    ("files and selections", "infer --index 5", "select images of an idx file"),
    ("files and selections", "infer --model lenet --layers 1000 --precision-bits 0", "layers (1..="),
    ("files and selections", "infer --model lenet --max-memory-gib 0.0001 --precision-bits 0", "cannot be met"),
];

#[test]
fn hostile_command_lines_end_in_clean_errors() {
    let dir = scratch();
    let fill = |text: &str| {
        text.replace("{dir}", &dir.display().to_string())
            .replace("{idx}", &asset("mnist-test-20-images-idx3-ubyte"))
            .replace("{labels}", &asset("mnist-test-20-labels-idx1-ubyte"))
            .replace("{png}", &asset("digit-7.png"))
            .replace("{weights}", &asset("lenet-dense.safetensors"))
            .replace("{assets}", &asset(""))
    };
    let mut rows: Vec<(&str, [usize; 5])> = Vec::new();
    let mut failures = Vec::new();
    for &(category, line, expected) in CASES {
        let line = fill(line);
        let run = run(&args(&line), expected);
        if rows.last().is_none_or(|(c, _)| *c != category) {
            rows.push((category, [0; 5]));
        }
        let counts = &mut rows.last_mut().unwrap().1;
        let column = match run.outcome {
            Outcome::CleanError => 0,
            Outcome::UnclearError => 1,
            Outcome::Panic => 2,
            Outcome::Hang => 3,
            Outcome::SilentWrong => 4,
        };
        counts[column] += 1;
        if run.outcome != Outcome::CleanError {
            failures.push(format!("spencnn {line}: {:?} (expected `{expected}`)\n{}", run.outcome, run.stderr));
        }
    }
    std::fs::remove_dir_all(&dir).unwrap();
    println!("| category | inputs | clean errors | unclear errors | panics/aborts | hangs | silent wrong results |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    for (category, c) in &rows {
        let inputs: usize = c.iter().sum();
        println!("| CLI: {category} | {inputs} | {} | {} | {} | {} | {} |", c[0], c[1], c[2], c[3], c[4]);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// The memory limit defaults to the machine's available memory and is reported; a prefix of
/// one layer runs end to end (keys of one layer only).
#[test]
fn the_default_memory_limit_is_the_available_memory() {
    let line = args("infer --model lenet --layers 1 --precision-bits 0 --threads 1");
    let run = run(&line, "");
    assert!(run.success, "a valid command succeeds:\n{}", run.stderr);
    let source = if Path::new("/proc/meminfo").exists() { "(the available memory)" } else { "fixed default" };
    assert!(run.stderr.contains(source), "{}", run.stderr);
}
