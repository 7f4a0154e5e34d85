//! `spencnn eval`: accuracy of a weights file on the MNIST test set, checked against the f64
//! reference and the planner's simulator, with the value ranges CKKS must hold.

use std::fmt::Write as _;
use std::path::PathBuf;

use anyhow::Context as _;
use clap::Args;
use serde::Serialize;
use spencnn::backend::run_simulated;
use spencnn::inference::Agreement;
use spencnn::inference::precision::argmax;
use spencnn::model::Model;
use spencnn::model::zoo::Variant;
use spencnn::plan::{PlanConfig, plan};
use spencnn_train::eval::{PlainAgreement, ValueRange, inference_net, plain_agreement, value_ranges};
use spencnn_train::{Dataset, Evaluation, Split, evaluate};

use super::eval_onnx::{self, ImportedEval};
use crate::bounds;
use crate::model_arg::ModelArg;
use crate::options::{ThreadsArg, VariantArg, WeightsFile, emit, emit_json, load_mnist};
use crate::relu_args::ReluArgs;
use crate::session::{Session, encrypted_session};

/// Arguments of `spencnn eval`.
#[derive(Debug, Args)]
pub(crate) struct EvalArgs {
    /// Network (MNIST-shaped: lenet), or the path of an ONNX file (its own weights; a 1- or
    /// 3-channel input of at least 28x28 gets the digit centred and repeated over the channels).
    #[arg(long, default_value = "lenet")]
    model: ModelArg,
    /// Weights file (safetensors) of a zoo network.
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Variant of the weights [default: the variant the file fits].
    #[arg(long, value_enum)]
    variant: Option<VariantArg>,
    /// Directory with the MNIST test idx files (t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte,
    /// gzipped or not; Fashion-MNIST's have the same names), or spencnn/assets for the 20
    /// bundled test digits.
    #[arg(long)]
    data: PathBuf,
    /// Evaluate the first N test images only [default: all].
    #[arg(long, value_parser = bounds::image_count)]
    limit: Option<usize>,
    /// Test images compared across trainer, f64 reference and simulator.
    #[arg(long, default_value_t = 20, value_parser = bounds::count_in::<0, 100_000>)]
    check: usize,
    /// log2 N of the plan [default: the network's documented degree].
    #[arg(long, value_parser = clap::value_parser!(u32).range(12..=16))]
    log_n: Option<u32>,
    /// Also classify the first N test images encrypted (CKKS) and report accuracy, agreement
    /// with the plaintext classes and the median latency.
    #[arg(long, value_parser = bounds::image_count)]
    encrypted: Option<usize>,
    #[command(flatten)]
    threads: ThreadsArg,
    #[command(flatten)]
    relu: ReluArgs,
    /// Print JSON instead of text.
    #[arg(long)]
    json: bool,
}

#[derive(Debug, Serialize)]
struct EvalReport {
    model: String,
    variant: Variant,
    log_n: u32,
    plaintext: Evaluation,
    agreement: PlainAgreement,
    rotations: usize,
    pmults: usize,
    value_ranges: Vec<ValueRange>,
    encrypted: Option<EncryptedEval>,
}

/// Encrypted classification of the first test images.
#[derive(Debug, Serialize)]
struct EncryptedEval {
    parameters: String,
    images: usize,
    correct: usize,
    /// Images whose encrypted class equals the plaintext (trainer) class.
    same_as_plaintext: usize,
    /// Smallest precision of the encrypted logits against the simulator's (bits).
    worst_precision_bits: f64,
    median_seconds: f64,
}

/// Encrypts, classifies and decrypts the first `count` images of `test` one by one.
fn encrypted_eval(model: &Model, log_n: u32, test: &Dataset, count: usize) -> anyhow::Result<EncryptedEval> {
    let count = count.min(test.len());
    let Session { server, mut client, choice, .. } = encrypted_session(model, log_n)?;
    let plain = inference_net(model)?;
    let bar = indicatif::ProgressBar::new(count as u64);
    let mut eval = EncryptedEval {
        parameters: choice.to_string(),
        images: count,
        correct: 0,
        same_as_plaintext: 0,
        worst_precision_bits: f64::INFINITY,
        median_seconds: 0.0,
    };
    let mut seconds = Vec::with_capacity(count);
    for i in 0..count {
        let image = test.tensor(i);
        let encrypted = client.encrypt(&image)?;
        let start = std::time::Instant::now();
        let (answer, _) = server.infer(&encrypted, |_| {})?;
        seconds.push(start.elapsed().as_secs_f64());
        let logits = client.decrypt(&answer)?;
        let (simulated, _) = run_simulated(server.schedule(), &image).context("the slot simulator failed")?;
        let agreement = Agreement::of(&logits, &simulated);
        eval.worst_precision_bits = eval.worst_precision_bits.min(agreement.precision_bits);
        let (batch, labels) = test.batch(&[i], None);
        let plain_logits: Vec<f64> = plain.forward_eval(&batch).data.iter().map(|&v| v as f64).collect();
        eval.correct += usize::from(agreement.argmax == labels[0] as usize);
        eval.same_as_plaintext += usize::from(agreement.argmax == argmax(&plain_logits));
        bar.inc(1);
    }
    bar.finish_and_clear();
    seconds.sort_by(f64::total_cmp);
    eval.median_seconds = seconds.get(count / 2).copied().unwrap_or(0.0);
    Ok(eval)
}

pub(crate) fn run(args: &EvalArgs) -> anyhow::Result<()> {
    let network = match &args.model {
        ModelArg::Zoo(network) => *network,
        ModelArg::Onnx(path) => {
            if args.weights.is_some() || args.variant.is_some() {
                anyhow::bail!("--weights and --variant apply to zoo networks: an ONNX file carries its own weights");
            }
            return eval_onnx::run(&ImportedEval {
                path,
                data: &args.data,
                limit: args.limit,
                check: args.check,
                log_n: args.log_n,
                encrypted: args.encrypted,
                threads: args.threads,
                json: args.json,
                relu: &args.relu,
            });
        }
    };
    args.relu.only_for_onnx()?;
    let Some(weights) = &args.weights else {
        anyhow::bail!("--weights FILE.safetensors is required for the zoo network {network}");
    };
    let (variant, model) = WeightsFile::read(weights)?.load(network, args.variant.map(Variant::from))?;
    let log_n = args.log_n.unwrap_or(network.default_log_n());
    args.threads.install(|| {
        let mut test = load_mnist(&args.data, Split::Test)?;
        if let Some(limit) = args.limit {
            test = test.slice(0, limit);
        }
        let schedule = plan(&model, &PlanConfig::new(log_n))?;
        let totals = schedule.totals();
        let report = EvalReport {
            model: network.to_string(),
            variant,
            log_n,
            plaintext: evaluate(&inference_net(&model)?, &test),
            agreement: plain_agreement(&model, &schedule, &test, args.check)?,
            rotations: totals.rotations,
            pmults: totals.pmults,
            value_ranges: value_ranges(&model, &test)?,
            encrypted: args.encrypted.map(|n| encrypted_eval(&model, log_n, &test, n)).transpose()?,
        };
        if args.json {
            return emit_json(&report);
        }
        let mut out = String::new();
        let p = &report.plaintext;
        let _ = writeln!(out, "{} {} ({})", report.model, report.variant, weights.display());
        let _ = writeln!(
            out,
            "plaintext accuracy: {:.2}% ({} of {} test images), mean loss {:.4}",
            100.0 * p.accuracy(),
            p.correct,
            p.images,
            p.loss
        );
        let a = &report.agreement;
        let _ = writeln!(
            out,
            "first {} images: max |trainer - f64 reference| {:.2e}, max |simulator - reference| {:.2e}, argmax agree {}/{}, reference correct {}/{}",
            a.images, a.max_diff_reference, a.max_diff_simulator, a.argmax_agree, a.images, a.correct, a.images
        );
        let _ = writeln!(
            out,
            "plan at N = 2^{log_n}: {} rotations, {} plaintext multiplies (see `spencnn plan`)",
            report.rotations, report.pmults
        );
        let _ = writeln!(out, "value ranges on these images (max |value|; squared operand of activations):");
        for r in &report.value_ranges {
            let square = r.squared_operand.map(|u| format!(", |u| <= {u:.3}")).unwrap_or_default();
            let _ = writeln!(out, "  {:8} {:10.3}{square}", r.node, r.max_abs);
        }
        if let Some(e) = &report.encrypted {
            let _ = writeln!(
                out,
                "encrypted ({}): {} of {} correct ({:.2}%), class equal to the plaintext class on {}/{}, \
                 worst precision vs simulator {:.1} bits, median latency {:.3} s",
                e.parameters,
                e.correct,
                e.images,
                100.0 * e.correct as f64 / e.images.max(1) as f64,
                e.same_as_plaintext,
                e.images,
                e.worst_precision_bits,
                e.median_seconds
            );
        }
        emit(&out)
    })
}
