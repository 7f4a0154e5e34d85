//! `spencnn demo`: the README's main job. Encrypts one of the bundled MNIST test digits,
//! classifies it on ciphertexts with the bundled, trained SpENCNN LeNet, decrypts the class, and
//! compares the dense and SpENCNN schedules. Everything it needs is compiled into the binary
//! ([`spencnn::bundled`]): no download, no data directory.

use std::fmt::Write as _;
use std::time::Instant;

use anyhow::Context as _;
use clap::Args;
use spencnn::backend::run_simulated;
use spencnn::bundled;
use spencnn::inference::Agreement;
use spencnn::inference::precision::argmax;
use spencnn::model::zoo::{Network, Variant};
use spencnn::plan::{PlanConfig, plan};

use crate::options::{ThreadsArg, emit};
use crate::session::{Session, encrypted_session};

/// Arguments of `spencnn demo`.
#[derive(Debug, Args)]
pub(crate) struct DemoArgs {
    /// Which bundled test digit to classify (0 to 19).
    #[arg(long, default_value_t = 0)]
    digit: usize,
    #[command(flatten)]
    threads: ThreadsArg,
}

pub(crate) fn run(args: &DemoArgs) -> anyhow::Result<()> {
    args.threads.install(|| demo(args))
}

fn demo(args: &DemoArgs) -> anyhow::Result<()> {
    let log_n = Network::LeNet.default_log_n();
    let model = bundled::lenet(Variant::SpEncnn).context("bundled SpENCNN weights")?;
    let dense = bundled::lenet(Variant::Dense).context("bundled dense weights")?;
    let (image, label) = bundled::digit(args.digit)
        .with_context(|| format!("--digit {}: the bundled digits are 0 to {}", args.digit, bundled::DIGITS - 1))?;

    let mut out = String::new();
    let _ = writeln!(out, "SpENCNN LeNet (trained on MNIST, conv2 in 4 groups, 50 % of its sub-blocks pruned)");
    let Session { server, mut client, choice, keygen_seconds: keygen, setup_seconds: setup } =
        encrypted_session(&model, log_n)?;
    let _ = writeln!(out, "CKKS parameters: {choice}");
    let start = Instant::now();
    let encrypted = client.encrypt(&image)?;
    let encrypt = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let (answer, _) = server.infer(&encrypted, |_| {})?;
    let online = start.elapsed().as_secs_f64();
    let start = Instant::now();
    let logits = client.decrypt(&answer)?;
    let decrypt = start.elapsed().as_secs_f64();

    let class = argmax(&logits);
    let _ = writeln!(out, "\nbundled test digit {}: encrypted, classified on ciphertexts, decrypted", args.digit);
    let _ = writeln!(out, "  class {class} (true label {label})");
    let _ = writeln!(
        out,
        "  latency: encrypted inference {online:.3} s on {} thread(s); encrypt {encrypt:.3} s, decrypt {decrypt:.3} s \
         (one-time: keys {keygen:.2} s, weight encoding {setup:.2} s)",
        args.threads.count()
    );
    let (simulated, _) = run_simulated(server.schedule(), &image).context("the slot simulator failed")?;
    let agreement = Agreement::of(&logits, &simulated);
    let _ = writeln!(
        out,
        "  encrypted vs plaintext-simulated logits: max error {:.1e} ({:.1} bits), same class: {}",
        agreement.max_abs_error,
        agreement.precision_bits,
        agreement.same_class()
    );

    let config = PlanConfig::new(log_n);
    let cost = config.cost;
    let _ = writeln!(out, "\noperation counts at N = 2^{log_n} (trained weights, planned the same way):");
    let _ = writeln!(out, "  {:8} {:>9} {:>11} {:>10}", "variant", "rotations", "plain mults", "model (s)");
    let mut rows = Vec::new();
    for (variant, m) in [(Variant::Dense, &dense), (Variant::SpEncnn, &model)] {
        let s = plan(m, &config)?;
        let (totals, estimate) = (s.totals(), cost.program_cost(&s.instrs));
        let _ =
            writeln!(out, "  {:8} {:>9} {:>11} {:>10.3}", variant.name(), totals.rotations, totals.pmults, estimate);
        rows.push((totals.rotations as f64, totals.pmults as f64, estimate));
    }
    let _ = writeln!(
        out,
        "  dense / SpENCNN: rotations {:.2}x, plaintext multiplies {:.2}x, predicted latency {:.2}x \
         (measured latencies: `spencnn bench`, docs/training.md)",
        rows[0].0 / rows[1].0,
        rows[0].1 / rows[1].1,
        rows[0].2 / rows[1].2
    );
    emit(&out)
}
