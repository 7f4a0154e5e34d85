//! The `spencnn` command line: planning now; inference, benchmarks, training and the demo join
//! as subcommands.

mod cli;

fn main() -> std::process::ExitCode {
    cli::run()
}
