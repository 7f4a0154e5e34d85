//! `spencnn eval --model FILE.onnx`: accuracy of an imported model on the MNIST test set by the
//! f64 reference, the planner's simulator against the reference, and optionally the encrypted
//! logits against the reference.

use std::fmt::Write as _;
use std::path::Path;
use std::time::Instant;

use anyhow::{Context as _, bail};
use rayon::prelude::*;
use serde::Serialize;
use spencnn::Tensor3;
use spencnn::backend::run_simulated;
use spencnn::import::onnx::ImportedModel;
use spencnn::inference::ParamOptions;
use spencnn::inference::precision::argmax;
use spencnn::plan::{PlanConfig, plan};
use spencnn::reference;
use spencnn_train::{Dataset, Split};

use crate::model_arg::{import, imported_log_n};
use crate::options::{ThreadsArg, emit, emit_json, load_mnist};
use crate::relu_args::ReluArgs;
use crate::session::{Session, encrypted_session};

/// What `eval` needs of its arguments for an imported model.
pub(crate) struct ImportedEval<'a> {
    pub path: &'a Path,
    pub data: &'a Path,
    pub limit: Option<usize>,
    pub check: usize,
    pub log_n: Option<u32>,
    pub encrypted: Option<usize>,
    pub threads: ThreadsArg,
    pub json: bool,
    pub relu: &'a ReluArgs,
}

/// Largest differences of logits against the reference's, over several images.
#[derive(Debug, Default, Serialize)]
struct Deviation {
    images: usize,
    max_abs_error: f64,
    /// Largest error relative to the image's largest |reference logit|.
    max_relative_error: f64,
    argmax_agree: usize,
}

impl Deviation {
    fn add(&mut self, logits: &[f64], reference: &[f64]) {
        let error = logits.iter().zip(reference).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs())).max(f64::MIN_POSITIVE);
        self.images += 1;
        self.max_abs_error = self.max_abs_error.max(error);
        self.max_relative_error = self.max_relative_error.max(error / scale);
        self.argmax_agree += usize::from(argmax(logits) == argmax(reference));
    }
}

#[derive(Debug, Serialize)]
struct EncryptedRun {
    parameters: String,
    correct: usize,
    vs_reference: Deviation,
    median_seconds: f64,
    keygen_seconds: f64,
}

#[derive(Debug, Serialize)]
struct ImportedEvalReport {
    model: String,
    notices: Vec<String>,
    log_n: u32,
    images: usize,
    /// Correct classes of the f64 reference.
    correct: usize,
    /// The slot simulator of the schedule against the reference, first `check` images.
    simulator_vs_reference: Deviation,
    encrypted: Option<EncryptedRun>,
    /// For models with ReLU approximations: the exact network against the approximated one.
    relu: Option<ReluEvaluation>,
}

/// The ReLU approximation against exact ReLUs over the test images.
#[derive(Debug, Serialize)]
struct ReluEvaluation {
    /// Correct classes of the exact-ReLU network (what onnxruntime computes).
    exact_correct: usize,
    /// The approximated reference against the exact one.
    approximation_vs_exact: Deviation,
    /// Images on which some ReLU input left its interval (their results are unreliable).
    images_outside: usize,
    /// The largest `|input| / R` over all images and ReLUs.
    worst_peak_ratio: f64,
}

fn relu_evaluation(
    imported: &ImportedModel,
    test: &Dataset,
    references: &[Vec<f64>],
) -> anyhow::Result<Option<ReluEvaluation>> {
    use spencnn::reference::{ReluMode, relu_input_peaks};
    if !imported.model.nodes.iter().any(|n| matches!(n.layer, spencnn::model::Layer::Relu(_))) {
        return Ok(None);
    }
    let per_image = (0..references.len())
        .into_par_iter()
        .map(|i| {
            let input = model_input(imported, test, i);
            let exact = reference::forward_with(&imported.model, &input, ReluMode::Exact)?;
            let peaks = relu_input_peaks(&imported.model, &input, ReluMode::Approximate)?;
            Ok((exact, peaks))
        })
        .collect::<Result<Vec<_>, spencnn::model::ModelError>>()?;
    let mut evaluation = ReluEvaluation {
        exact_correct: 0,
        approximation_vs_exact: Deviation::default(),
        images_outside: 0,
        worst_peak_ratio: 0.0,
    };
    for (i, (exact, peaks)) in per_image.iter().enumerate() {
        evaluation.exact_correct += usize::from(argmax(exact) == test.labels[i] as usize);
        evaluation.approximation_vs_exact.add(&references[i], exact);
        evaluation.images_outside += usize::from(peaks.iter().any(|p| p.outside()));
        for p in peaks {
            evaluation.worst_peak_ratio = evaluation.worst_peak_ratio.max(p.peak / p.radius);
        }
    }
    Ok(Some(evaluation))
}

/// Test digit `i` as the model's input: a grey 28×28 digit zero-padded to the centre of a larger
/// input and repeated over its channels, then the client-side preprocessing.
fn model_input(imported: &ImportedModel, test: &Dataset, i: usize) -> Tensor3 {
    let digit = test.tensor(i);
    let [c, h, w] = imported.model.input_shape;
    let (top, left) = ((h - digit.height) / 2, (w - digit.width) / 2);
    let placed = Tensor3::from_fn(c, h, w, |_, y, x| {
        let (dy, dx) = (y.wrapping_sub(top), x.wrapping_sub(left));
        if dy < digit.height && dx < digit.width { digit.get(0, dy, dx) } else { 0.0 }
    });
    imported.prepare_input(&placed)
}

fn encrypted_run(
    imported: &ImportedModel,
    log_n: u32,
    test: &Dataset,
    references: &[Vec<f64>],
    count: usize,
) -> anyhow::Result<EncryptedRun> {
    let count = count.min(test.len());
    let Session { server, mut client, choice, keygen_seconds, .. } = encrypted_session(&imported.model, log_n)?;
    let bar = indicatif::ProgressBar::new(count as u64);
    let (mut seconds, mut vs_reference, mut correct) = (Vec::with_capacity(count), Deviation::default(), 0);
    for (i, reference) in references.iter().enumerate().take(count) {
        let encrypted = client.encrypt(&model_input(imported, test, i))?;
        let start = Instant::now();
        let (answer, _) = server.infer(&encrypted, |_| {})?;
        seconds.push(start.elapsed().as_secs_f64());
        let logits = client.decrypt(&answer)?;
        vs_reference.add(&logits, reference);
        correct += usize::from(argmax(&logits) == test.labels[i] as usize);
        bar.inc(1);
    }
    bar.finish_and_clear();
    seconds.sort_by(f64::total_cmp);
    Ok(EncryptedRun {
        parameters: choice.to_string(),
        correct,
        vs_reference,
        median_seconds: seconds.get(count / 2).copied().unwrap_or(0.0),
        keygen_seconds,
    })
}

/// Runs `eval` on an imported model.
pub(crate) fn run(args: &ImportedEval<'_>) -> anyhow::Result<()> {
    let imported = import(args.path, args.json, args.relu)?;
    let [c, h, w] = imported.model.input_shape;
    if !(c == 1 || c == 3) || h < 28 || w < 28 {
        bail!("eval classifies 28x28 MNIST digits; the model takes {c}x{h}x{w} (1 or 3 channels, at least 28x28)");
    }
    let log_n = imported_log_n(&imported.model, args.log_n, &ParamOptions::default())?;
    args.threads.install(|| {
        let mut test = load_mnist(args.data, Split::Test)?;
        if let Some(limit) = args.limit {
            test = test.slice(0, limit);
        }
        let references = (0..test.len())
            .into_par_iter()
            .map(|i| reference::forward(&imported.model, &model_input(&imported, &test, i)))
            .collect::<Result<Vec<_>, _>>()?;
        let correct = (0..test.len()).filter(|&i| argmax(&references[i]) == test.labels[i] as usize).count();
        let relu = relu_evaluation(&imported, &test, &references)?;
        if let Some(r) = relu.as_ref().filter(|r| r.images_outside > 0) {
            eprintln!(
                "warning: on {} of {} images a ReLU input leaves its interval (up to {:.3} times its radius): \
                 their encrypted results are unreliable; widen --relu-interval or calibrate on more images",
                r.images_outside,
                references.len(),
                r.worst_peak_ratio
            );
        }
        let schedule = plan(&imported.model, &PlanConfig::new(log_n)).context("cannot plan the model")?;
        let mut simulator_vs_reference = Deviation::default();
        for (i, reference) in references.iter().enumerate().take(args.check) {
            let (simulated, _) =
                run_simulated(&schedule, &model_input(&imported, &test, i)).context("the slot simulator failed")?;
            simulator_vs_reference.add(&simulated, reference);
        }
        let report = ImportedEvalReport {
            model: args.path.display().to_string(),
            notices: imported.notices.clone(),
            log_n,
            images: test.len(),
            correct,
            simulator_vs_reference,
            encrypted: args.encrypted.map(|n| encrypted_run(&imported, log_n, &test, &references, n)).transpose()?,
            relu,
        };
        if args.json { emit_json(&report) } else { emit(&render(&report)) }
    })
}

fn render(r: &ImportedEvalReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} at N = 2^{}", r.model, r.log_n);
    let _ = writeln!(
        out,
        "plaintext (f64 reference) accuracy: {:.2}% ({} of {} test images)",
        100.0 * r.correct as f64 / r.images.max(1) as f64,
        r.correct,
        r.images
    );
    let s = &r.simulator_vs_reference;
    let _ = writeln!(
        out,
        "first {} images: max |simulator - reference| {:.2e}, argmax agree {}/{}",
        s.images, s.max_abs_error, s.argmax_agree, s.images
    );
    if let Some(relu) = &r.relu {
        let d = &relu.approximation_vs_exact;
        let _ = writeln!(
            out,
            "exact ReLU accuracy: {:.2}%; approximated vs exact ReLU: max |difference| {:.2e} ({:.2e} of the largest \
             |logit|), argmax agree {}/{}; images with a ReLU input outside its interval: {} (largest |x|/R {:.3})",
            100.0 * relu.exact_correct as f64 / r.images.max(1) as f64,
            d.max_abs_error,
            d.max_relative_error,
            d.argmax_agree,
            d.images,
            relu.images_outside,
            relu.worst_peak_ratio
        );
    }
    if let Some(e) = &r.encrypted {
        let d = &e.vs_reference;
        let _ = writeln!(
            out,
            "encrypted ({}): {} of {} correct, class equal to the reference on {}/{}, \
             max |encrypted - reference| {:.2e} ({:.2e} of the largest |logit|), median latency {:.3} s, keys {:.1} s",
            e.parameters,
            e.correct,
            d.images,
            d.argmax_agree,
            d.images,
            d.max_abs_error,
            d.max_relative_error,
            e.median_seconds,
            e.keygen_seconds
        );
    }
    out
}
