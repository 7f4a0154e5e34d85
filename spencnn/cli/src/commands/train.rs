//! `spencnn train`: trains a zoo network on MNIST (dense or SpENCNN), prunes sub-blocks with
//! the planner's masks, fine-tunes, and writes the weights as safetensors.

use std::fmt::Write as _;
use std::path::{Path, PathBuf};

use anyhow::Context as _;
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde::Serialize;
use spencnn::files::{MAX_WEIGHTS_FILE_BYTES, read_capped};
use spencnn::model::save_safetensors;
use spencnn::model::zoo::{Network, Variant};
use spencnn::plan::{PlanConfig, plan};
use spencnn::prune::LayerPruning;
use spencnn_train::eval::{PlainAgreement, ValueRange, inference_net, plain_agreement, value_ranges};
use spencnn_train::{
    EpochLog, Evaluation, Observer, Phase, Pretrained, Split, TrainConfig, TrainReport, evaluate, finetune,
    load_checkpoint, net_options, pretrain, save_checkpoint,
};

use crate::bounds;
use crate::options::{ThreadsArg, UnitArg, VariantArg, emit, load_mnist};

/// The recipe's defaults, shown by `--help`.
fn recipe() -> TrainConfig {
    TrainConfig::default()
}

/// Arguments of `spencnn train`.
#[derive(Debug, Args)]
pub(crate) struct TrainArgs {
    /// Network (MNIST-shaped: lenet).
    #[arg(long, default_value = "lenet")]
    model: Network,
    /// Dense baseline or SpENCNN (grouped convolutions, pruned).
    #[arg(long, value_enum)]
    variant: VariantArg,
    /// Directory with the MNIST idx files (train-images-idx3-ubyte, train-labels-idx1-ubyte,
    /// t10k-images-idx3-ubyte, t10k-labels-idx1-ubyte, gzipped or not; Fashion-MNIST's files
    /// have the same names), or spencnn/assets for a smoke run on the 20 bundled test digits.
    #[arg(long)]
    data: PathBuf,
    /// Output weights file (safetensors).
    #[arg(long)]
    out: PathBuf,
    /// Also write the training report (JSON).
    #[arg(long)]
    report: Option<PathBuf>,
    /// Sub-block pruning ratio [default: 0 for dense, the network's documented ratio for
    /// spencnn (0.5 for lenet)].
    #[arg(long, value_parser = bounds::prune_ratio)]
    prune: Option<f64>,
    /// Pruning unit: whole rotations' worth of sub-blocks (ranked by importance per unit of
    /// estimated cost saved), or single sub-blocks by magnitude.
    #[arg(long, value_enum, default_value_t)]
    unit: UnitArg,
    /// Epochs before pruning.
    #[arg(long, default_value_t = recipe().epochs, value_parser = bounds::count_in::<0, 1000>)]
    epochs: usize,
    /// Epochs of masked fine-tuning (only when pruning).
    #[arg(long, default_value_t = recipe().finetune_epochs, value_parser = bounds::count_in::<0, 1000>)]
    finetune_epochs: usize,
    /// Images per step.
    #[arg(long, default_value_t = recipe().batch_size, value_parser = bounds::count_in::<1, 65536>)]
    batch_size: usize,
    /// Peak learning rate before pruning.
    #[arg(long, default_value_t = recipe().lr, value_parser = bounds::learning_rate)]
    lr: f32,
    /// Peak learning rate of the fine-tuning.
    #[arg(long, default_value_t = recipe().finetune_lr, value_parser = bounds::learning_rate)]
    finetune_lr: f32,
    /// Initial quadratic coefficient of the activations.
    #[arg(long, default_value_t = recipe().act_a, value_parser = bounds::coefficient)]
    act_a: f32,
    /// Random translation of training images, in pixels.
    #[arg(long, default_value_t = recipe().shift, value_parser = bounds::count_in::<0, 8>)]
    shift: usize,
    /// Train without batch norms before the activations.
    #[arg(long)]
    no_batch_norm: bool,
    /// Training images held out (from the end of the training set) for per-epoch validation
    /// (at most half of the set).
    #[arg(long, default_value_t = 5000, value_parser = bounds::count_in::<0, 1_000_000>)]
    validation: usize,
    /// Train on the first N training images only (development runs) [default: all].
    #[arg(long, value_parser = bounds::count_in::<1, 1_000_000>)]
    subset: Option<usize>,
    /// log2 N the sub-blocks are defined for [default: the network's documented degree].
    #[arg(long, value_parser = clap::value_parser!(u32).range(12..=16))]
    log_n: Option<u32>,
    /// Sub-blocks of the stride-grid layouts (plans made with `plan --no-polyphase`).
    #[arg(long)]
    no_polyphase: bool,
    /// Seed of initialisation, shuffling and augmentation.
    #[arg(long, default_value_t = recipe().seed)]
    seed: u64,
    #[command(flatten)]
    threads: ThreadsArg,
    /// Write the training state after phase 1 to this file (a checkpoint: fine-tune it again
    /// later with --resume, e.g. at other pruning ratios or units).
    #[arg(long)]
    save_checkpoint: Option<PathBuf>,
    /// Start from a phase-1 checkpoint written by --save-checkpoint (same network, variant and
    /// batch-norm setting) instead of training phase 1: only pruning and fine-tuning run, and
    /// the weights equal those of a full run with the same settings.
    #[arg(long, conflicts_with = "save_checkpoint")]
    resume: Option<PathBuf>,
    /// Test images compared across trainer, f64 reference and simulator after training.
    #[arg(long, default_value_t = 5, value_parser = bounds::count_in::<0, 100_000>)]
    check: usize,
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
            let units = l
                .rotation_units
                .as_ref()
                .map_or(String::new(), |(split, n)| format!(" ({n} whole rotations' worth removed, split {split})"));
            eprintln!("pruned {}: kept {} of {} sub-blocks{units}", l.name, l.kept, l.blocks);
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

fn write(path: &Path, bytes: &[u8]) -> anyhow::Result<()> {
    std::fs::write(path, bytes).with_context(|| format!("cannot write {}", path.display()))
}

pub(crate) fn run(args: &TrainArgs) -> anyhow::Result<()> {
    let variant = Variant::from(args.variant);
    let log_n = args.log_n.unwrap_or(args.model.default_log_n());
    let mut plan_config = PlanConfig::new(log_n);
    plan_config.polyphase = !args.no_polyphase;
    let config = TrainConfig {
        epochs: args.epochs,
        finetune_epochs: args.finetune_epochs,
        batch_size: args.batch_size,
        lr: args.lr,
        finetune_lr: args.finetune_lr,
        act_a: args.act_a,
        shift: args.shift,
        batch_norm: !args.no_batch_norm,
        prune_ratio: args.prune.unwrap_or(match variant {
            Variant::Dense => 0.0,
            Variant::SpEncnn => args.model.default_prune_ratio(),
        }),
        prune_unit: args.unit.into(),
        plan: plan_config.clone(),
        seed: args.seed,
        ..recipe()
    };
    args.threads.install(|| {
        let mut all = load_mnist(&args.data, Split::Train)?;
        let test = load_mnist(&args.data, Split::Test)?;
        let held_out = args.validation.min(all.len() / 2);
        let validation = all.slice(all.len() - held_out, all.len());
        all = all.slice(0, args.subset.unwrap_or(usize::MAX).min(all.len() - held_out));
        eprintln!(
            "training {} {variant} on {} images (validation {}), threads {}: {config:?}",
            args.model,
            all.len(),
            validation.len(),
            args.threads.count()
        );
        let template = args.model.build(variant);
        let mut bars = Bars { bar: None };
        let pretrained = match &args.resume {
            Some(path) => {
                // A checkpoint holds the weights and running statistics: the weights cap fits it.
                let bytes = read_capped(path, MAX_WEIGHTS_FILE_BYTES).context("cannot read the checkpoint")?;
                let net = load_checkpoint(&template, &net_options(&config), &bytes)
                    .with_context(|| format!("cannot resume from {}", path.display()))?;
                eprintln!("resuming from the phase-1 checkpoint {} (phase 1 skipped)", path.display());
                Pretrained { net, epochs: Vec::new(), seconds: 0.0 }
            }
            None => pretrain(&template, &all, &validation, &config, &mut bars)?,
        };
        if let Some(path) = &args.save_checkpoint {
            write(path, &save_checkpoint(&pretrained.net, &template)?)?;
            eprintln!("wrote the phase-1 checkpoint {}", path.display());
        }
        let trained = finetune(&template, pretrained, &all, &validation, &config, &mut bars)?;
        write(&args.out, &save_safetensors(&trained.model).context("cannot export the weights")?)?;
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
            write(path, (serde_json::to_string_pretty(&summary).context("cannot render the report")? + "\n").as_bytes())?;
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
        emit(&out)
    })
}
