//! `spencnn train`: trains a zoo network on MNIST (dense or SpENCNN), prunes sub-blocks with
//! the planner's masks, fine-tunes, and writes the weights as safetensors.

use std::fmt::Write as _;
use std::path::PathBuf;

use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use spencnn::model::save_safetensors;
use spencnn::model::zoo::{Network, Variant};
use spencnn::plan::{PlanConfig, plan};
use spencnn::prune::LayerPruning;
use spencnn::train::eval::{PlainAgreement, ValueRange, inference_net, plain_agreement, value_ranges};
use spencnn::train::{
    Dataset, EpochLog, Evaluation, Observer, Phase, Split, TrainConfig, TrainReport, evaluate, train,
};

use super::emit;
use super::plan_cmd::VariantArg;

/// Arguments of `spencnn train`.
#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    /// Network (MNIST-shaped: lenet).
    #[arg(long, default_value = "lenet")]
    model: Network,
    /// Dense baseline or SpENCNN (grouped convolutions, pruned).
    #[arg(long, value_enum)]
    variant: VariantArg,
    /// Directory with the MNIST idx files (gzipped or not).
    #[arg(long)]
    data: PathBuf,
    /// Output weights file (safetensors).
    #[arg(long)]
    out: PathBuf,
    /// Also write the training report (JSON).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Sub-block pruning ratio (default: 0 for dense, the network's documented ratio for SpENCNN).
    #[arg(long)]
    prune: Option<f64>,
    /// Epochs before pruning.
    #[arg(long)]
    epochs: Option<usize>,
    /// Epochs of masked fine-tuning.
    #[arg(long)]
    finetune_epochs: Option<usize>,
    /// Images per step.
    #[arg(long)]
    batch_size: Option<usize>,
    /// Peak learning rate before pruning.
    #[arg(long)]
    lr: Option<f32>,
    /// Peak learning rate of the fine-tuning.
    #[arg(long)]
    finetune_lr: Option<f32>,
    /// Initial quadratic coefficient of the activations.
    #[arg(long)]
    act_a: Option<f32>,
    /// Random translation of training images, in pixels.
    #[arg(long)]
    shift: Option<usize>,
    /// Train without batch norms before the activations.
    #[arg(long)]
    no_batch_norm: bool,
    /// Training images held out (from the end of the training set) for per-epoch validation.
    #[arg(long, default_value_t = 5000)]
    validation: usize,
    /// Train on the first N training images only (development runs).
    #[arg(long)]
    subset: Option<usize>,
    /// log2 N the sub-blocks are defined for (default: the network's documented degree).
    #[arg(long)]
    log_n: Option<u32>,
    /// Sub-blocks of the stride-grid layouts (plans made with `plan --no-polyphase`).
    #[arg(long)]
    no_polyphase: bool,
    /// Seed of initialisation, shuffling and augmentation.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Worker threads.
    #[arg(long, default_value_t = 2)]
    threads: usize,
    /// Test images compared across trainer, f64 reference and simulator after training.
    #[arg(long, default_value_t = 5)]
    check: usize,
}

/// Errors of `train` and `eval`.
#[derive(Debug, thiserror::Error)]
pub(crate) enum TrainCmdError {
    #[error("cannot read {path}: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    #[error(transparent)]
    Train(#[from] spencnn::train::TrainError),
    #[error(transparent)]
    Model(#[from] spencnn::model::ModelError),
    #[error(transparent)]
    Plan(#[from] spencnn::plan::PlanError),
    #[error(transparent)]
    Infer(#[from] spencnn::inference::InferError),
    #[error("cannot write {path}: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    #[error("cannot start the thread pool: {0}")]
    Threads(#[from] rayon::ThreadPoolBuildError),
    #[error("cannot print JSON: {0}")]
    Json(#[from] serde_json::Error),
    #[error("cannot write the output: {0}")]
    Output(#[from] std::io::Error),
}

/// Draws one progress bar per epoch.
struct Bars {
    bar: Option<ProgressBar>,
}

impl Observer for Bars {
    fn epoch_start(&mut self, phase: Phase, epoch: usize, epochs: usize, batches: usize) {
        let bar = ProgressBar::new(batches as u64);
        let label = match phase {
            Phase::Train => "train",
            Phase::FineTune => "fine-tune",
        };
        let template = format!("{label} {epoch}/{epochs} [{{bar:30}}] {{pos}}/{{len}} {{msg}} ({{elapsed}}<{{eta}})");
        if let Ok(style) = ProgressStyle::with_template(&template) {
            bar.set_style(style.progress_chars("=> "));
        }
        self.bar = Some(bar);
    }

    fn batch_done(&mut self, loss: f64, accuracy: f64) {
        if let Some(bar) = &self.bar {
            bar.set_message(format!("loss {loss:.4} acc {:.2}%", 100.0 * accuracy));
            bar.inc(1);
        }
    }

    fn epoch_done(&mut self, log: &EpochLog) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
        eprintln!(
            "{:?} epoch {}: loss {:.4}, train acc {:.2}%, validation acc {:.2}% ({:.1} s)",
            log.phase,
            log.epoch,
            log.loss,
            100.0 * log.train_accuracy,
            100.0 * log.validation_accuracy,
            log.seconds
        );
    }

    fn pruned(&mut self, layers: &[LayerPruning], validation_accuracy: f64) {
        for l in layers {
            eprintln!("pruned {}: kept {} of {} sub-blocks", l.name, l.kept, l.blocks);
        }
        eprintln!("validation accuracy right after pruning: {:.2}%", 100.0 * validation_accuracy);
    }
}

#[derive(Debug, Serialize)]
struct Summary {
    model: String,
    variant: Variant,
    config: String,
    training: TrainReport,
    test: Evaluation,
    rotations: usize,
    pmults: usize,
    value_ranges: Vec<ValueRange>,
    agreement: PlainAgreement,
}

fn write(path: &PathBuf, bytes: &[u8]) -> Result<(), TrainCmdError> {
    std::fs::write(path, bytes).map_err(|source| TrainCmdError::Write { path: path.clone(), source })
}

pub(crate) fn run(args: &TrainArgs) -> Result<(), TrainCmdError> {
    let variant = Variant::from(args.variant);
    let log_n = args.log_n.unwrap_or(args.model.default_log_n());
    let mut plan_config = PlanConfig::new(log_n);
    plan_config.polyphase = !args.no_polyphase;
    let defaults = TrainConfig::default();
    let config = TrainConfig {
        epochs: args.epochs.unwrap_or(defaults.epochs),
        finetune_epochs: args.finetune_epochs.unwrap_or(defaults.finetune_epochs),
        batch_size: args.batch_size.unwrap_or(defaults.batch_size),
        lr: args.lr.unwrap_or(defaults.lr),
        finetune_lr: args.finetune_lr.unwrap_or(defaults.finetune_lr),
        act_a: args.act_a.unwrap_or(defaults.act_a),
        shift: args.shift.unwrap_or(defaults.shift),
        batch_norm: !args.no_batch_norm,
        prune_ratio: args.prune.unwrap_or(match variant {
            Variant::Dense => 0.0,
            Variant::SpEncnn => args.model.default_prune_ratio(),
        }),
        plan: plan_config.clone(),
        seed: args.seed,
        ..defaults
    };
    let pool = rayon::ThreadPoolBuilder::new().num_threads(args.threads.max(1)).build()?;
    pool.install(|| -> Result<(), TrainCmdError> {
        let mut all = Dataset::mnist(&args.data, Split::Train)?;
        let test = Dataset::mnist(&args.data, Split::Test)?;
        let held_out = args.validation.min(all.len() / 2);
        let validation = all.slice(all.len() - held_out, all.len());
        all = all.slice(0, args.subset.unwrap_or(usize::MAX).min(all.len() - held_out));
        eprintln!(
            "training {} {:?} on {} images (validation {}), threads {}: {config:?}",
            args.model,
            variant,
            all.len(),
            validation.len(),
            args.threads
        );
        let template = args.model.build(variant);
        let trained = train(&template, &all, &validation, &config, &mut Bars { bar: None })?;
        write(&args.out, &save_safetensors(&trained.model)?)?;
        let test_eval = evaluate(&inference_net(&trained.model)?, &test);
        let schedule = plan(&trained.model, &plan_config)?;
        let totals = schedule.totals();
        let summary = Summary {
            model: args.model.to_string(),
            variant,
            config: format!("{config:?}"),
            test: test_eval,
            rotations: totals.rotations,
            pmults: totals.pmults,
            value_ranges: value_ranges(&trained.model, &test)?,
            agreement: plain_agreement(&trained.model, &schedule, &test, args.check)?,
            training: trained.report,
        };
        if let Some(path) = &args.report {
            write(path, (serde_json::to_string_pretty(&summary)? + "\n").as_bytes())?;
        }
        let mut out = String::new();
        let _ = writeln!(out, "wrote {}", args.out.display());
        let _ = writeln!(
            out,
            "test accuracy {:.2}% ({} of {}), training {:.0} s",
            100.0 * summary.test.accuracy(),
            summary.test.correct,
            summary.test.images,
            summary.training.seconds
        );
        let _ = writeln!(out, "planned at N = 2^{log_n}: {} rotations, {} plaintext multiplies", totals.rotations, totals.pmults);
        let a = &summary.agreement;
        let _ = writeln!(
            out,
            "first {} test images: max |trainer - reference| {:.2e}, max |simulator - reference| {:.2e}, argmax agree {}/{}",
            a.images, a.max_diff_reference, a.max_diff_simulator, a.argmax_agree, a.images
        );
        let ranges: Vec<String> = summary.value_ranges.iter().map(|r| format!("{} {:.3}", r.node, r.max_abs)).collect();
        let _ = writeln!(out, "max |value| on the test set: {}", ranges.join(", "));
        Ok(emit(&out)?)
    })
}
