//! `spencnn calibrate`: times the primitives the planner's cost model counts on this machine
//! (per level, per thread count) and writes the cost profile the planner loads.

use std::fmt::Write;
use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::Args;
use spencnn::backend::calibrate::{CalibrationOptions, calibrate};
use spencnn::plan::CostProfile;
use spencnn_ckks::Parameters;

use crate::options::emit;

/// Arguments of `spencnn calibrate`.
#[derive(Debug, Args)]
pub(crate) struct CalibrateArgs {
    /// Ring degrees (log2 N) to calibrate, comma separated: 14 and 15 use the chain of the
    /// CIFAR networks (53 + 9x33 bits, P = 2x42, dnum 5), 16 and 17 ResNet-20's (54 + 39x34,
    /// P = 6x60, dnum 4).
    #[arg(long, value_delimiter = ',', default_values_t = [14, 16])]
    log_n: Vec<u32>,
    /// Thread counts, comma separated (one profile entry each; times are throughputs).
    #[arg(long, value_delimiter = ',', default_values_t = [1, 2])]
    threads: Vec<usize>,
    /// Levels timed per ring degree (evenly spread up to the top level).
    #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u16).range(1..=64))]
    levels: u16,
    /// Timed repetitions per measurement (the median is kept).
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u16).range(1..=100))]
    repeat: u16,
    /// MiB of distinct plaintexts (and at least of Galois keys) streamed per measurement.
    #[arg(long, default_value_t = 128, value_parser = clap::value_parser!(u16).range(1..=4096))]
    stream_mib: u16,
    /// Where to write the profile [default: where the planner looks for a measured profile:
    /// $SPENCNN_COST_PROFILE, else $XDG_CONFIG_HOME/spencnn/cost-profile.json, else
    /// ~/.config/spencnn/cost-profile.json]. Entries of other ring degrees and thread counts
    /// already in the file are kept.
    #[arg(long)]
    output: Option<PathBuf>,
}

/// The calibration parameter set of a ring degree.
fn parameters(log_n: u32) -> anyhow::Result<Parameters> {
    let (q0, depth, scale, p, dnum) = match log_n {
        14 | 15 => (53, 9, 33, vec![42, 42], 5),
        16 | 17 => (54, 39, 34, vec![60; 6], 4),
        _ => bail!("calibration covers log2 N = 14 to 17, not {log_n}"),
    };
    let mut q = vec![scale; depth + 1];
    q[0] = q0;
    Parameters::builder()
        .log_n(log_n)
        .q_bits(&q)
        .p_bits(&p)
        .log_scale(f64::from(scale))
        .dnum(dnum)
        .build()
        .with_context(|| format!("cannot build the calibration parameters of N = 2^{log_n}"))
}

fn machine() -> String {
    let cpu = std::fs::read_to_string("/proc/cpuinfo")
        .ok()
        .and_then(|s| {
            s.lines()
                .find(|l| l.starts_with("model name"))
                .map(|l| l.split(':').nth(1).unwrap_or("").trim().to_string())
        })
        .unwrap_or_else(|| "unknown CPU".into());
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    format!("{cpu}, {cores} cores")
}

pub(crate) fn run(args: &CalibrateArgs) -> anyhow::Result<()> {
    if args.threads.is_empty() || args.threads.contains(&0) {
        bail!("--threads takes thread counts of at least 1");
    }
    let path = match &args.output {
        Some(p) => p.clone(),
        None => CostProfile::measured_path().context("no HOME or XDG_CONFIG_HOME: give --output")?,
    };
    let mut profile = match CostProfile::read(&path) {
        Ok(existing) => existing,
        Err(_) => CostProfile::new(machine()),
    };
    profile.machine = machine();
    let mut report = String::new();
    for &log_n in &args.log_n {
        let params = parameters(log_n)?;
        let mut options = CalibrationOptions::new(params, usize::from(args.levels));
        options.threads = args.threads.clone();
        options.repeat = usize::from(args.repeat);
        options.stream_bytes = usize::from(args.stream_mib) << 20;
        let threads = &args.threads;
        let entries = calibrate(&options, |level| {
            eprintln!("calibrating N = 2^{log_n}, level {level}, {threads:?} thread(s) ...");
        })
        .with_context(|| format!("calibration at N = 2^{log_n} failed"))?;
        for entry in entries {
            let cores = entry.cores.map_or(String::new(), |c| format!(" (the calibration got {c:.2} cores)"));
            let _ = writeln!(
                report,
                "N = 2^{}, {} thread(s){cores}: seconds = intercept + per_unit * work",
                entry.log_n, entry.threads
            );
            // The fits the planner prices with (CPU-time fits over the cores when recorded).
            let fits = entry.fits();
            for p in &entry.primitives {
                let top = p.samples.last().map_or(0.0, |s| s.seconds);
                let fit = fits[p.primitive.index()];
                let _ = writeln!(
                    report,
                    "  {:<16} {:>10.3e} + {:>10.3e} * work   (top level: {:.3} ms measured)",
                    format!("{:?}", p.primitive),
                    fit.intercept,
                    fit.per_unit,
                    top * 1e3
                );
            }
            profile.insert(entry);
        }
    }
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::create_dir_all(dir).with_context(|| format!("cannot create {}", dir.display()))?;
    }
    std::fs::write(&path, profile.to_json() + "\n").with_context(|| format!("cannot write {}", path.display()))?;
    let _ = writeln!(report, "cost profile written to {}", path.display());
    emit(&report)
}
