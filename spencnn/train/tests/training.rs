//! Training end to end on the bundled digits (seconds): the loss decreases, pruning follows
//! the planner's sub-blocks, runs are reproducible across thread counts, and the exported
//! model gives the same logits in the trainer, the f64 reference and the slot simulator.

use std::path::Path;

use spencnn::model::zoo::{Network, Variant};
use spencnn::model::{load_safetensors, save_safetensors};
use spencnn::plan::{PlanConfig, plan};
use spencnn::prune::model_sub_blocks;
use spencnn_train::eval::plain_agreement;
use spencnn_train::{
    Dataset, Pretrained, TrainConfig, Trained, finetune, load_checkpoint, net_options, pretrain, save_checkpoint, train,
};

fn digits() -> Dataset {
    let assets = Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets");
    Dataset::from_idx_files(
        &assets.join("mnist-test-20-images-idx3-ubyte"),
        &assets.join("mnist-test-20-labels-idx1-ubyte"),
    )
    .expect("bundled digits")
}

fn tiny_config(prune_ratio: f64) -> TrainConfig {
    TrainConfig {
        epochs: 12,
        finetune_epochs: 3,
        batch_size: 10,
        lr: 3e-3,
        finetune_lr: 1e-3,
        warmup_steps: 4,
        prune_ratio,
        plan: PlanConfig::new(14),
        seed: 5,
        ..TrainConfig::default()
    }
}

fn run(variant: Variant, config: &TrainConfig, threads: usize) -> Trained {
    let data = digits();
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    pool.install(|| train(&Network::LeNet.build(variant), &data, &data, config, &mut ()).expect("training"))
}

#[test]
fn loss_decreases_and_pruning_uses_the_planner_sub_blocks() {
    let config = tiny_config(0.5);
    let trained = run(Variant::SpEncnn, &config, 2);
    let epochs = &trained.report.epochs;
    assert_eq!(epochs.len(), 15);
    assert!(epochs[11].loss < 0.5 * epochs[0].loss, "loss {} -> {}", epochs[0].loss, epochs[11].loss);
    assert!(epochs.iter().all(|e| e.loss.is_finite()));

    // The exported conv2 has exactly the kept sub-blocks non-zero, half of them.
    let model = &trained.model;
    let maps = model_sub_blocks(model, &config.plan).unwrap();
    let (node, map) = maps.iter().find(|(n, _)| model.nodes[*n].name == "conv2").unwrap();
    let spencnn::model::Layer::Conv2d(conv) = &model.nodes[*node].layer else { panic!() };
    let kept = map.kept_from_weights(&conv.weight).iter().filter(|&&k| k).count();
    let reported = trained.report.pruning.iter().find(|p| p.name == "conv2").unwrap();
    assert_eq!(kept, reported.kept);
    assert_eq!(reported.blocks - reported.kept, (reported.blocks as f64 * 0.5).round() as usize);

    // Fewer plaintext multiplies than the unpruned grouped network.
    let mut unpruned = Network::LeNet.build(Variant::SpEncnn);
    spencnn::model::randomize(&mut unpruned, 1);
    let (pruned_plan, full_plan) = (plan(model, &config.plan).unwrap(), plan(&unpruned, &config.plan).unwrap());
    assert!(pruned_plan.totals().pmults < full_plan.totals().pmults);
}

#[test]
fn runs_are_reproducible_across_thread_counts() {
    let mut config = tiny_config(0.0);
    config.epochs = 2;
    let one = run(Variant::Dense, &config, 1);
    let two = run(Variant::Dense, &config, 2);
    assert_eq!(one.model, two.model);
    config.seed += 1;
    assert_ne!(run(Variant::Dense, &config, 2).model, one.model);
}

#[test]
fn exported_weights_agree_with_the_reference_and_the_simulator() {
    let trained = run(Variant::SpEncnn, &tiny_config(0.5), 2);
    // Through the safetensors file, as `plan`/`eval`/`infer` load it.
    let bytes = save_safetensors(&trained.model).unwrap();
    let mut model = Network::LeNet.build(Variant::SpEncnn);
    load_safetensors(&mut model, &bytes).unwrap();
    assert_eq!(model, trained.model);
    let schedule = plan(&model, &PlanConfig::new(14)).unwrap();
    let agreement = plain_agreement(&model, &schedule, &digits(), 4).unwrap();
    assert_eq!(agreement.images, 4);
    assert!(agreement.max_diff_reference < 1e-3, "{agreement:?}");
    assert!(agreement.max_diff_simulator < 1e-8, "{agreement:?}");
    assert_eq!(agreement.argmax_agree, 4, "{agreement:?}");
}

#[test]
fn fine_tuning_a_saved_phase_one_checkpoint_equals_the_full_run() {
    let mut config = tiny_config(0.5);
    config.epochs = 3;
    config.finetune_epochs = 2;
    let full = run(Variant::SpEncnn, &config, 2);
    let template = Network::LeNet.build(Variant::SpEncnn);
    let data = digits();
    let pretrained = pretrain(&template, &data, &data, &config, &mut ()).unwrap();
    let bytes = save_checkpoint(&pretrained.net, &template).unwrap();
    let net = load_checkpoint(&template, &net_options(&config), &bytes).unwrap();
    let resumed = Pretrained { net, epochs: Vec::new(), seconds: 0.0 };
    let tuned = finetune(&template, resumed, &data, &data, &config, &mut ()).unwrap();
    assert_eq!(tuned.model, full.model);
    assert_eq!(tuned.report.pruning, full.report.pruning);
    assert_eq!(tuned.report.epochs.len(), 2, "only phase 2 ran");
}
