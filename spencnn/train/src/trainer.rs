//! The training loop: phase 1 trains the network (batch norms inserted before the
//! activations), then the planner's sub-block masks are computed on the exported (folded)
//! weights and phase 2 fine-tunes with the masks fixed. Seeded: the same configuration and data
//! give the same weights whatever the thread count.

use std::time::Instant;

use rand_chacha::ChaCha8Rng;
use rand_core::{RngCore, SeedableRng};
use serde::Serialize;

use super::TrainError;
use super::data::Dataset;
use super::eval::evaluate;
use super::layers::softmax_cross_entropy;
use super::net::{NetOptions, TrainNet};
use super::optim::{Adam, LrSchedule, clip_grad_norm, reset_moments};
use spencnn::model::Model;
use spencnn::plan::PlanConfig;
use spencnn::prune::{LayerPruning, PruneSpec, PruneUnit, prune_masks};

/// Training settings (defaults: the recipe of
/// [`docs/training.md`](https://github.com/spencnn/spencnn/blob/main/docs/training.md)).
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Epochs of phase 1.
    pub epochs: usize,
    /// Epochs of masked fine-tuning (phase 2; run only when pruning).
    pub finetune_epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Peak learning rate of phase 1.
    pub lr: f32,
    /// Peak learning rate of phase 2.
    pub finetune_lr: f32,
    /// Linear warm-up steps at the start of each phase.
    pub warmup_steps: usize,
    /// Decoupled weight decay of convolution and dense weights.
    pub weight_decay: f32,
    /// Global gradient-norm bound.
    pub clip_norm: f32,
    /// Initial quadratic coefficient of the activations.
    pub act_a: f32,
    /// Insert batch norms before the activations (folded on export).
    pub batch_norm: bool,
    /// Random translation of training images by up to this many pixels (0 = none).
    pub shift: usize,
    /// Sub-block pruning ratio of the non-stem convolutions (0 = no pruning, no phase 2).
    pub prune_ratio: f64,
    /// The pruning unit (whole rotations' worth of sub-blocks, or single sub-blocks).
    pub prune_unit: PruneUnit,
    /// The planner configuration the sub-blocks are defined for (ring degree, polyphase).
    pub plan: PlanConfig,
    /// Seed of initialisation, shuffling and augmentation.
    pub seed: u64,
}

impl Default for TrainConfig {
    fn default() -> Self {
        Self {
            epochs: 6,
            finetune_epochs: 3,
            batch_size: 64,
            lr: 2e-3,
            finetune_lr: 5e-4,
            warmup_steps: 200,
            weight_decay: 1e-4,
            clip_norm: 5.0,
            act_a: 0.1,
            batch_norm: true,
            shift: 1,
            prune_ratio: 0.0,
            prune_unit: PruneUnit::default(),
            plan: PlanConfig::new(14),
            seed: 1,
        }
    }
}

/// Training or masked fine-tuning.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub enum Phase {
    /// Phase 1.
    Train,
    /// Phase 2, masks fixed.
    FineTune,
}

/// One finished epoch.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct EpochLog {
    /// Phase.
    pub phase: Phase,
    /// Epoch within the phase (1-based).
    pub epoch: usize,
    /// Mean training loss.
    pub loss: f64,
    /// Training accuracy (on augmented images, batch-norm in training mode).
    pub train_accuracy: f64,
    /// Accuracy on the validation images.
    pub validation_accuracy: f64,
    /// Wall-clock seconds of the epoch (validation included).
    pub seconds: f64,
}

/// What a training run did.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TrainReport {
    /// Every epoch.
    pub epochs: Vec<EpochLog>,
    /// Sub-blocks per pruned convolution (empty without pruning).
    pub pruning: Vec<LayerPruning>,
    /// Validation accuracy right after pruning, before fine-tuning.
    pub accuracy_after_pruning: Option<f64>,
    /// Total wall-clock seconds.
    pub seconds: f64,
}

/// A trained network.
#[derive(Clone, Debug)]
pub struct Trained {
    /// The exported model (batch norms folded, pruned weights exactly zero).
    pub model: Model,
    /// The trainable network at the end of training.
    pub net: TrainNet,
    /// The log.
    pub report: TrainReport,
}

/// Receives progress (the CLI draws a progress bar).
pub trait Observer {
    /// An epoch of `batches` steps starts.
    fn epoch_start(&mut self, _phase: Phase, _epoch: usize, _epochs: usize, _batches: usize) {}
    /// A step finished with running mean loss and accuracy of the epoch so far.
    fn batch_done(&mut self, _loss: f64, _accuracy: f64) {}
    /// An epoch finished.
    fn epoch_done(&mut self, _log: &EpochLog) {}
    /// The masks were computed.
    fn pruned(&mut self, _layers: &[LayerPruning], _validation_accuracy: f64) {}
}

/// An observer that ignores everything.
impl Observer for () {}

struct Phases<'a> {
    net: TrainNet,
    data: &'a Dataset,
    validation: &'a Dataset,
    config: &'a TrainConfig,
    observer: &'a mut dyn Observer,
    log: Vec<EpochLog>,
}

impl Phases<'_> {
    fn run(&mut self, phase: Phase, epochs: usize, peak: f32) -> Result<(), TrainError> {
        let steps = self.data.len() / self.config.batch_size;
        let schedule = LrSchedule { peak, warmup: self.config.warmup_steps, total: epochs * steps, floor: 0.01 };
        let mut adam = Adam::new(self.config.weight_decay);
        reset_moments(&mut self.net.params_mut());
        let phase_seed = self.config.seed ^ if phase == Phase::Train { 0 } else { 0x9e37_79b9 };
        let mut rng = ChaCha8Rng::seed_from_u64(phase_seed);
        for epoch in 1..=epochs {
            let start = Instant::now();
            let mut order: Vec<usize> = (0..self.data.len()).collect();
            for i in (1..order.len()).rev() {
                order.swap(i, (rng.next_u64() % (i as u64 + 1)) as usize);
            }
            self.observer.epoch_start(phase, epoch, epochs, steps);
            let (mut loss_sum, mut correct) = (0.0, 0);
            for step in 0..steps {
                let indices = &order[step * self.config.batch_size..(step + 1) * self.config.batch_size];
                let (batch, labels) = self.data.batch(indices, Some((&mut rng, self.config.shift)));
                let (logits, inputs) = self.net.forward_train(&batch);
                let out = softmax_cross_entropy(&logits, &labels);
                if !out.loss.is_finite() {
                    return Err(TrainError::Diverged { phase, epoch, step, loss: out.loss });
                }
                self.net.backward(&inputs, out.grad);
                let mut params = self.net.params_mut();
                clip_grad_norm(&mut params, self.config.clip_norm);
                adam.step(&mut params, schedule.at((epoch - 1) * steps + step));
                loss_sum += out.loss;
                correct += out.correct;
                let seen = (step + 1) as f64;
                self.observer.batch_done(loss_sum / seen, correct as f64 / (seen * self.config.batch_size as f64));
            }
            let validation = evaluate(&self.net, self.validation);
            let log = EpochLog {
                phase,
                epoch,
                loss: loss_sum / steps as f64,
                train_accuracy: correct as f64 / (steps * self.config.batch_size) as f64,
                validation_accuracy: validation.accuracy(),
                seconds: start.elapsed().as_secs_f64(),
            };
            self.observer.epoch_done(&log);
            self.log.push(log);
        }
        Ok(())
    }
}

/// A network after phase 1, before pruning: what a checkpoint holds
/// ([`crate::checkpoint`]), and what [`finetune`] starts from.
#[derive(Clone, Debug)]
pub struct Pretrained {
    /// The trainable network.
    pub net: TrainNet,
    /// The epochs of phase 1 (empty when read from a checkpoint).
    pub epochs: Vec<EpochLog>,
    /// Wall-clock seconds of phase 1.
    pub seconds: f64,
}

fn check_config(template: &Model, data: &Dataset, config: &TrainConfig) -> Result<(), TrainError> {
    let config_error = |reason: &str| Err(TrainError::Config { reason: reason.to_string() });
    if config.batch_size == 0 || data.len() < config.batch_size {
        return config_error("the batch size must be positive and at most the number of training images");
    }
    if !(0.0..1.0).contains(&config.prune_ratio) {
        return config_error("the pruning ratio must be in [0, 1)");
    }
    if [data.rows, data.cols] != template.input_shape[1..] || template.input_shape[0] != 1 {
        return config_error("the images do not match the model's input shape");
    }
    Ok(())
}

/// The network options of `config`.
pub fn net_options(config: &TrainConfig) -> NetOptions {
    NetOptions { batch_norm: config.batch_norm, act_a: config.act_a }
}

/// Phase 1: trains `template` (its architecture; its weights are replaced by a seeded
/// initialisation) on `data` for `config.epochs`, reporting accuracy on `validation` after
/// each epoch.
///
/// # Errors
/// As [`train`].
pub fn pretrain(
    template: &Model,
    data: &Dataset,
    validation: &Dataset,
    config: &TrainConfig,
    observer: &mut dyn Observer,
) -> Result<Pretrained, TrainError> {
    check_config(template, data, config)?;
    let start = Instant::now();
    let mut net = TrainNet::from_model(template, &net_options(config))?;
    net.init(config.seed, config.act_a);
    let mut phases = Phases { net, data, validation, config, observer, log: Vec::new() };
    phases.run(Phase::Train, config.epochs, config.lr)?;
    Ok(Pretrained { net: phases.net, epochs: phases.log, seconds: start.elapsed().as_secs_f64() })
}

/// Phase 2: with a pruning ratio, prunes the sub-blocks of the planner's layouts for
/// `config.plan` on the exported (folded) weights of `pretrained` and fine-tunes with the
/// masks fixed for `config.finetune_epochs`; without one, exports `pretrained` as is.
///
/// # Errors
/// As [`train`].
pub fn finetune(
    template: &Model,
    pretrained: Pretrained,
    data: &Dataset,
    validation: &Dataset,
    config: &TrainConfig,
    observer: &mut dyn Observer,
) -> Result<Trained, TrainError> {
    check_config(template, data, config)?;
    let start = Instant::now();
    let mut phases = Phases { net: pretrained.net, data, validation, config, observer, log: pretrained.epochs };
    let (mut pruning, mut accuracy_after_pruning) = (Vec::new(), None);
    if config.prune_ratio > 0.0 {
        let folded = phases.net.to_model(template);
        let spec = PruneSpec { ratio: config.prune_ratio, unit: config.prune_unit };
        for layer in prune_masks(&folded, &config.plan, spec)? {
            if let Some(conv) = phases.net.conv_mut(layer.node) {
                conv.weight.set_mask(layer.mask);
            }
            pruning.push(layer.pruning);
        }
        let accuracy = evaluate(&phases.net, validation).accuracy();
        phases.observer.pruned(&pruning, accuracy);
        accuracy_after_pruning = Some(accuracy);
        phases.run(Phase::FineTune, config.finetune_epochs, config.finetune_lr)?;
    }
    let model = phases.net.to_model(template);
    let seconds = pretrained.seconds + start.elapsed().as_secs_f64();
    let report = TrainReport { epochs: phases.log, pruning, accuracy_after_pruning, seconds };
    Ok(Trained { model, net: phases.net, report })
}

/// Trains `template` (its architecture; its weights are replaced by a seeded initialisation) on
/// `data`, reporting accuracy on `validation` after each epoch; with a pruning ratio, prunes the
/// sub-blocks of the planner's layouts for `config.plan` and fine-tunes with the masks fixed:
/// [`pretrain`] then [`finetune`].
///
/// # Errors
/// [`TrainError::Config`] (empty data, zero batch, ratio outside `[0, 1)`),
/// [`TrainError::Unsupported`] (non-sequential model), [`TrainError::Plan`],
/// [`TrainError::Diverged`].
pub fn train(
    template: &Model,
    data: &Dataset,
    validation: &Dataset,
    config: &TrainConfig,
    observer: &mut dyn Observer,
) -> Result<Trained, TrainError> {
    let pretrained = pretrain(template, data, validation, config, observer)?;
    finetune(template, pretrained, data, validation, config, observer)
}
