//! Subcommand dispatch; one file per subcommand.

mod plan_cmd;
mod table;

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
        Command::Plan(args) => plan_cmd::run(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            std::process::ExitCode::FAILURE
        }
    }
}
