//! The `spencnn` command line: plan a network (a zoo network or an imported ONNX model) for
//! CKKS, inspect it, classify an image encrypted, compare the dense and SpENCNN variants,
//! train, evaluate, prune and export. One file per subcommand in
//! `commands/`; what several share (model and thread options, reports) beside it.

mod bounds;
mod commands;
mod image_source;
mod infer_report;
mod memory;
mod model_arg;
mod options;
mod progress;
mod relu_args;
mod session;
mod summary;
mod table;
mod transport;

use clap::{Parser, Subcommand};

/// Encrypted CNN inference with HE-group convolution and sub-block pruning (SpENCNN).
#[derive(Debug, Parser)]
#[command(name = "spencnn", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
    /// Cost profile the planner prices with: a file written by `spencnn calibrate`, or
    /// `committed` for the profile shipped with the library [default: the measured profile
    /// if `spencnn calibrate` wrote one (see its --output), else the committed one].
    #[arg(long, global = true)]
    cost_profile: Option<std::path::PathBuf>,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Lower a network to an HE schedule and print its operation counts.
    Plan(commands::plan::PlanArgs),
    /// Encrypt an image, classify it on ciphertexts, decrypt the class (per-layer table).
    Infer(commands::infer::InferArgs),
    /// Encrypted latency and peak memory of HEAR, dense and SpENCNN (or of an ONNX model), and
    /// the speedups.
    Bench(commands::bench::BenchArgs),
    /// Classify a bundled MNIST digit encrypted with the bundled, trained SpENCNN LeNet.
    Demo(commands::demo::DemoArgs),
    /// Train a network on MNIST (dense or SpENCNN: grouped, pruned, fine-tuned) and export it.
    Train(commands::train::TrainArgs),
    /// Accuracy of a weights file or an ONNX model on the MNIST test set (f64 reference,
    /// simulator, optionally encrypted).
    Eval(commands::eval::EvalArgs),
    /// Time the HE primitives the planner counts on this machine and write its cost profile.
    Calibrate(commands::calibrate::CalibrateArgs),
    /// Layers, packing, depth, HE operation counts, keys and parameters of a model, before any
    /// key is generated.
    Inspect(commands::inspect::InspectArgs),
    /// Planner-aligned sub-block pruning masks of an ONNX model (and a pruned copy).
    Prune(commands::prune::PruneArgs),
    /// Write a zoo network with its weights as ONNX.
    Export(commands::export::ExportArgs),
}

/// Installs the cost profile the planner prices with (see [`Cli::cost_profile`]).
fn install_cost_profile(choice: Option<&std::path::Path>) -> anyhow::Result<()> {
    use anyhow::Context as _;
    use spencnn::plan::CostProfile;
    let profile = match choice {
        Some(path) if path.as_os_str() == "committed" => CostProfile::committed(),
        Some(path) => CostProfile::read(path).context("cannot use --cost-profile")?,
        None => CostProfile::measured_or_committed()
            .context("cannot use the measured cost profile (recalibrate, or pass --cost-profile committed)")?,
    };
    CostProfile::install(profile);
    if let Some(path) = choice {
        let _ = options::COST_PROFILE_ARG.set(path.to_path_buf());
    }
    Ok(())
}

/// Parses the command line and runs the subcommand; an error is printed with its causes.
fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    if let Err(error) = install_cost_profile(cli.cost_profile.as_deref()) {
        eprint!("{}", render_error(&error));
        return std::process::ExitCode::FAILURE;
    }
    let result = match cli.command {
        Command::Plan(args) => commands::plan::run(&args),
        Command::Infer(args) => commands::infer::run(&args),
        Command::Bench(args) => commands::bench::run(&args),
        Command::Demo(args) => commands::demo::run(&args),
        Command::Train(args) => commands::train::run(&args),
        Command::Eval(args) => commands::eval::run(&args),
        Command::Calibrate(args) => commands::calibrate::run(&args),
        Command::Inspect(args) => commands::inspect::run(&args),
        Command::Prune(args) => commands::prune::run(&args),
        Command::Export(args) => commands::export::run(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprint!("{}", render_error(&error));
            std::process::ExitCode::FAILURE
        }
    }
}

/// `error: ...` and one `caused by: ...` line per cause. A cause whose text its parent's
/// message already includes (errors that print their source) is not repeated.
fn render_error(error: &anyhow::Error) -> String {
    let mut out = format!("error: {error}\n");
    let mut shown = error.to_string();
    for cause in error.chain().skip(1) {
        let text = cause.to_string();
        if !shown.contains(&text) {
            out += &format!("  caused by: {text}\n");
        }
        shown = text;
    }
    out
}

#[cfg(test)]
mod tests {
    use anyhow::Context as _;

    #[derive(Debug, thiserror::Error)]
    #[error("instruction 3: {source}")]
    struct Repeats {
        source: std::io::Error,
    }

    #[test]
    fn causes_are_listed_once() {
        let io = || std::io::Error::other("disk on fire");
        let chained: anyhow::Result<()> = Err(io()).context("cannot write out.bin");
        assert_eq!(
            super::render_error(&chained.unwrap_err()),
            "error: cannot write out.bin\n  caused by: disk on fire\n"
        );
        let repeating: anyhow::Result<()> = Err(Repeats { source: io() }).context("the run failed");
        assert_eq!(
            super::render_error(&repeating.unwrap_err()),
            "error: the run failed\n  caused by: instruction 3: disk on fire\n"
        );
    }
}
