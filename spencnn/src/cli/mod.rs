//! Subcommand dispatch; one file per subcommand.

mod bench_cmd;
mod demo_cmd;
mod eval_cmd;
mod infer_cmd;
mod infer_report;
mod plan_cmd;
mod progress;
mod table;
mod train_cmd;
mod transport;

use clap::{Parser, Subcommand};

/// Encrypted CNN inference with HE-group convolution and sub-block pruning (SpENCNN).
#[derive(Debug, Parser)]
#[command(name = "spencnn", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lower a network to an HE schedule and print its operation counts.
    Plan(plan_cmd::PlanArgs),
    /// Encrypt an image, classify it on ciphertexts, decrypt the class (per-layer table).
    Infer(infer_cmd::InferArgs),
    /// Encrypted latency and peak memory of the dense and SpENCNN variants, and the speedup.
    Bench(bench_cmd::BenchArgs),
    /// Classify a bundled MNIST digit encrypted with the bundled, trained SpENCNN LeNet.
    Demo(demo_cmd::DemoArgs),
    /// Train a network on MNIST (dense or SpENCNN: grouped, pruned, fine-tuned) and export it.
    Train(train_cmd::TrainArgs),
    /// Accuracy of a weights file on the MNIST test set (trainer, f64 reference, simulator).
    Eval(eval_cmd::EvalArgs),
}

/// Writes `text` to standard output; a closed pipe (e.g. `| head`) is not an error.
pub(crate) fn emit(text: &str) -> std::io::Result<()> {
    use std::io::Write;
    let mut out = std::io::stdout().lock();
    match out.write_all(text.as_bytes()).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other,
    }
}

/// Parses the command line and runs the subcommand.
pub fn run() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Plan(args) => plan_cmd::run(&args).map_err(|e| e.to_string()),
        Command::Infer(args) => infer_cmd::run(&args).map_err(|e| e.to_string()),
        Command::Bench(args) => bench_cmd::run(&args).map_err(|e| e.to_string()),
        Command::Demo(args) => demo_cmd::run(&args).map_err(|e| e.to_string()),
        Command::Train(args) => train_cmd::run(&args).map_err(|e| e.to_string()),
        Command::Eval(args) => eval_cmd::run(&args).map_err(|e| e.to_string()),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
