//! `spencnn infer`: encrypt an image, evaluate the network on ciphertexts, decrypt the class.

use std::path::PathBuf;
use std::time::Instant;

use anyhow::{Context as _, bail};
use clap::Args;
use spencnn::Tensor3;
use spencnn::backend::run_simulated;
use spencnn::import::onnx::InputTransform;
use spencnn::inference::precision::argmax;
use spencnn::inference::{
    Agreement, Client, EncodingPolicy, KeyGenCost, KeyGenLimit, KeyStorage, LayerRun, MemoryOptions, ModelInterface,
    ParamOptions, Server, fit_memory, plan_for_ckks_with,
};
use spencnn::model::Model;
use spencnn::model::zoo::Variant;
use spencnn::plan::{ConvMethod, PlaintextTiming, PlanConfig, predict_latency};
use spencnn::prune::PruneSpec;
use spencnn::variant::{Weights, build_variant};
use spencnn_ckks::{NoiseFlooding, PublicDecoding};

use crate::bounds;
use crate::image_source::{ImageSelection, ImageSource};
use crate::infer_report::{ImageResult, InferReport, LayerRow, render};
use crate::model_arg::{ModelArg, import, imported_log_n};
use crate::options::{ThreadsArg, UnitArg, VariantArg, WeightsFile, emit, emit_json};
use crate::progress;
use crate::relu_args::ReluArgs;
use crate::transport::{MessageSizes, Transport};

/// Bytes per GiB.
const GIB: f64 = (1u64 << 30) as f64;

/// Largest model interface the client accepts (the zoo's are a few KiB).
const MAX_INTERFACE_BYTES: usize = 16 << 20;

/// When the weights are encoded (see [`EncodingPolicy`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum EncodingArg {
    Auto,
    Preencoded,
    PerLayer,
    OnDemand,
}

/// Arguments of `spencnn infer`.
#[derive(Debug, Args)]
pub(crate) struct InferArgs {
    /// Network: lenet, vgg5, hefnet, resnet20, or the path of an ONNX file (its weights; the
    /// client applies its input preprocessing before encryption).
    #[arg(long, default_value = "lenet")]
    model: ModelArg,
    /// Dense baseline, SpENCNN (grouped, sub-block pruned) or hear (the dense network lowered
    /// as the paper's HEAR baseline) [default: the variant the --weights file fits; spencnn
    /// for random weights].
    #[arg(long, value_enum)]
    variant: Option<VariantArg>,
    /// Weights (safetensors). Without it the weights are seeded random values (--seed): the
    /// operation counts and latency are real, the class is meaningless.
    #[arg(long)]
    weights: Option<PathBuf>,
    /// Seed of the random weights (and of the random images).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Sub-block pruning ratio of the SpENCNN variant, in [0, 1) (default: the network's
    /// documented ratio for random weights; none for a weights file, which carries its own
    /// zeros).
    #[arg(long, value_parser = bounds::prune_ratio)]
    prune: Option<f64>,
    /// Pruning unit (with a pruning ratio): whole rotations' worth of sub-blocks, or single
    /// sub-blocks by magnitude.
    #[arg(long, value_enum, default_value_t)]
    unit: UnitArg,
    /// Image: a PNG of the model's size, or an idx image file (gzipped or not) with --index.
    /// Without it, seeded random images.
    #[arg(long)]
    image: Option<PathBuf>,
    /// Index of the first image in an idx file (index + count must lie inside the file).
    #[arg(long, default_value_t = 0)]
    index: usize,
    /// Number of images to classify (1 to 100000; keys and weights are set up once, each image
    /// is read or made when its turn comes).
    #[arg(long, default_value_t = 1, value_parser = bounds::image_count)]
    count: usize,
    /// idx label file, to report accuracy.
    #[arg(long)]
    labels: Option<PathBuf>,
    /// Runs per image, 1 to 1000 (the median online latency is reported).
    #[arg(long, default_value_t = 1, value_parser = bounds::repeat)]
    repeat: usize,
    #[command(flatten)]
    threads: ThreadsArg,
    #[command(flatten)]
    relu: ReluArgs,
    /// log2 of the ring degree, 12 to 16 (default: the network's documented degree; for an ONNX
    /// file the smallest that fits).
    #[arg(long, value_parser = clap::value_parser!(u32).range(12..=16))]
    log_n: Option<u32>,
    /// Smallest acceptable scale in bits for the parameter search (16 to 60).
    #[arg(long, default_value_t = ParamOptions::default().min_log_scale, value_parser = clap::value_parser!(u32).range(16..=60))]
    min_log_scale: u32,
    /// Logit precision (bits, 0 to 52) the parameters should reach, as predicted by a noise
    /// probe on the slot simulator; the cheapest parameters that reach it are chosen (0 = simply
    /// the cheapest).
    #[arg(long, default_value_t = 16.0, value_parser = bounds::precision_bits)]
    precision_bits: f64,
    /// When the weight plaintexts are encoded: once at setup (preencoded), per layer or per
    /// instruction during inference; auto = as the memory budget (--max-memory-gib) chooses.
    #[arg(long, value_enum, default_value = "auto")]
    encoding: EncodingArg,
    /// Memory budget in GiB [default: the machine's available memory]: the deployment is
    /// planned to fit it (compact keys, plaintexts encoded during inference, fewer rotation
    /// keys, whichever costs least), or refused before any key is made, with the smallest
    /// budget that would work (8 GiB where the available memory cannot be read).
    #[arg(long, value_parser = bounds::memory_gib)]
    max_memory_gib: Option<f64>,
    /// Keep a Galois key for every rotation step of the schedule (never compose steps from
    /// other keys to save memory).
    #[arg(long)]
    all_rotation_keys: bool,
    /// Longest acceptable key generation in seconds on --threads (estimated with a cost
    /// calibrated on this machine): rotation keys are dropped until it fits.
    #[arg(long)]
    max_keygen_seconds: Option<f64>,
    /// Skip the comparison with the slot simulator and the f64 reference.
    #[arg(long)]
    no_check: bool,
    /// Evaluate only the first K layers (latency of a prefix, no logits, no check): for
    /// networks whose keys do not fit in memory whole. At least 1, at most the network's layers.
    #[arg(long, value_parser = bounds::count_in::<1, 100_000>)]
    layers: Option<usize>,
    /// Decrypt the logits with noise flooding: uniform noise in [-2^B, 2^B) added to every
    /// decrypted coefficient (0 to 60). For deployments that reveal results to the server:
    /// plain CKKS decryptions leak the key (IND-CPA-D). Costs about B + log2(sqrt(N/6)) - log2(scale)
    /// bits of each logit's precision (docs/SECURITY.md).
    #[arg(long, value_parser = clap::value_parser!(u32).range(0..=60))]
    flood_bits: Option<u32>,
    /// Also write every message that crosses the client/server boundary to this directory
    /// (interface.bin, keys.bin, image-I.bin, logits-I.bin).
    #[arg(long)]
    save_messages: Option<PathBuf>,
    /// How the server holds the evaluation keys: expanded (fastest), or compact (the uniform
    /// half of each key kept as its seed: half the key memory, slower rotations) [default: as
    /// the memory budget chooses; expanded when it fits].
    #[arg(long, value_enum)]
    key_storage: Option<KeyStorageArg>,
    /// Print JSON instead of tables (no progress bar).
    #[arg(long)]
    json: bool,
}

/// How the server holds the evaluation keys (see [`KeyStorage`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub(crate) enum KeyStorageArg {
    Expanded,
    Compact,
}

/// The memory limit in GiB and where it comes from: the flag, else the machine's available
/// memory ([`crate::memory::default_limit_gib`]). A flag above the available memory is kept,
/// with a warning.
fn memory_limit(flag: Option<f64>) -> (f64, &'static str) {
    let Some(gib) = flag else { return crate::memory::default_limit_gib() };
    if let Some(available) = crate::memory::available_bytes().map(|b| b as f64 / f64::from(1u32 << 30))
        && gib > available
    {
        eprintln!("warning: --max-memory-gib {gib} is more than the {available:.1} GiB this machine has available");
    }
    (gib, "--max-memory-gib")
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values.get(values.len() / 2).copied().unwrap_or(0.0)
}

pub(crate) fn run(args: &InferArgs) -> anyhow::Result<()> {
    let threads = args.threads.count();
    let report = args.threads.install(|| infer(args, threads))?;
    if args.json {
        return emit_json(&report);
    }
    emit(&render(&report))
}

/// The model to run, wherever it comes from.
struct Subject {
    model: Model,
    name: String,
    variant: String,
    weights: String,
    random_weights: bool,
    /// Client-side preprocessing of an imported model.
    transform: Option<InputTransform>,
    /// Ring degree, lowering method and cost model (at the run's thread count) it is planned
    /// with.
    config: PlanConfig,
}

impl Subject {
    /// What the client encrypts for `image`.
    fn prepare(&self, image: &Tensor3) -> Tensor3 {
        self.transform.as_ref().map_or_else(|| image.clone(), |t| t.apply(image))
    }
}

fn subject(args: &InferArgs, options: &ParamOptions) -> anyhow::Result<Subject> {
    let network = match &args.model {
        ModelArg::Zoo(network) => *network,
        ModelArg::Onnx(path) => {
            if args.variant.is_some() || args.weights.is_some() || args.prune.is_some() {
                bail!("--variant, --weights and --prune apply to zoo networks: an ONNX file carries its own weights");
            }
            let imported = import(path, args.json, &args.relu)?;
            let log_n = imported_log_n(&imported.model, args.log_n, options)?;
            let mut config = PlanConfig::new(log_n);
            config.cost = config.cost.with_threads(options.threads);
            return Ok(Subject {
                name: path.display().to_string(),
                variant: "imported".into(),
                weights: path.display().to_string(),
                random_weights: false,
                transform: imported.input_transform,
                model: imported.model,
                config,
            });
        }
    };
    args.relu.only_for_onnx()?;
    let log_n = args.log_n.unwrap_or(network.default_log_n());
    let file = args.weights.as_deref().map(WeightsFile::read).transpose()?;
    let variant = match &file {
        Some(file) => file.load(network, args.variant.map(Variant::from))?.0,
        None => args.variant.map_or(Variant::SpEncnn, Variant::from),
    };
    let method = args.variant.map_or(ConvMethod::DoubleHoisted, VariantArg::method);
    let label = args.variant.filter(|v| *v == VariantArg::Hear).map_or(variant.name(), VariantArg::name);
    let (weights, weights_label) = match &file {
        Some(file) => (Weights::File(&file.bytes), file.path.display().to_string()),
        None => (Weights::Random(args.seed), format!("RANDOM (seed {})", args.seed)),
    };
    if file.is_none() {
        eprintln!(
            "warning: no --weights given: {network} {variant} runs with RANDOM weights (seed {}); the counts \
             and latency are real, the class is meaningless",
            args.seed
        );
    }
    let prune = match variant {
        Variant::SpEncnn if args.prune.is_none() && file.is_none() => Some(network.default_prune_ratio()),
        _ => args.prune,
    }
    .map(|ratio| PruneSpec { ratio, unit: args.unit.into() });
    let mut config = PlanConfig::new(log_n);
    config.method = method;
    config.cost = config.cost.with_threads(options.threads);
    let built = build_variant(network, variant, &config, weights, prune)
        .with_context(|| format!("cannot build the {label} {network}"))?;
    Ok(Subject {
        model: built.model,
        name: network.to_string(),
        variant: label.to_string(),
        weights: weights_label,
        random_weights: file.is_none(),
        transform: None,
        config,
    })
}

fn infer(args: &InferArgs, threads: usize) -> anyhow::Result<InferReport> {
    let options = ParamOptions {
        min_log_scale: args.min_log_scale,
        target_precision_bits: (args.precision_bits > 0.0).then_some(args.precision_bits),
        threads,
        ..ParamOptions::default()
    };
    let subject = subject(args, &options)?;
    let log_n = subject.config.log_n;
    // The image selection is read and validated before any key is generated; the images
    // themselves are made one at a time.
    let selection = ImageSelection {
        image: args.image.as_deref(),
        labels: args.labels.as_deref(),
        index: args.index,
        count: args.count,
        seed: args.seed,
    };
    let inputs = ImageSource::open(&selection, subject.model.input_shape)?;
    let (schedule, choice, params) =
        plan_for_ckks_with(&subject.model, &subject.config, &options).context("cannot choose CKKS parameters")?;
    let schedule = match args.layers {
        Some(k) if k > schedule.layers.len() => {
            bail!(
                "--layers {k}: the {} {} has {} layers (1..={2})",
                subject.variant,
                subject.name,
                schedule.layers.len()
            )
        }
        Some(k) => spencnn::inference::prefix::prefix(&schedule, k),
        None => schedule,
    };
    let (budget_gib, limit_source) = memory_limit(args.max_memory_gib);
    let options = MemoryOptions {
        budget_bytes: Some((budget_gib * GIB) as usize),
        key_storage: args.key_storage.map(|k| match k {
            KeyStorageArg::Expanded => KeyStorage::Expanded,
            KeyStorageArg::Compact => KeyStorage::Compact,
        }),
        encoding: match args.encoding {
            EncodingArg::Preencoded => Some(EncodingPolicy::Preencoded),
            EncodingArg::PerLayer => Some(EncodingPolicy::PerLayer),
            EncodingArg::OnDemand => Some(EncodingPolicy::OnDemand),
            EncodingArg::Auto => None,
        },
        reduce_keys: !args.all_rotation_keys,
        threads,
        keygen_limit: match args.max_keygen_seconds {
            Some(seconds) if seconds.is_finite() && seconds > 0.0 => Some(KeyGenLimit::calibrated(&params, seconds)?),
            Some(seconds) => bail!("--max-keygen-seconds must be a positive number of seconds, not {seconds}"),
            None => None,
        },
    };
    // Refused here, before any key exists, when nothing fits.
    let (schedule, memory) = fit_memory(&schedule, &params, &choice.cost_model(threads), &options)?;
    let (policy, key_storage) = (memory.encoding, memory.key_storage());
    let timing = match policy {
        EncodingPolicy::Preencoded => PlaintextTiming::Preencoded,
        EncodingPolicy::PerLayer => PlaintextTiming::PerLayer,
        _ => PlaintextTiming::OnDemand,
    };
    let predicted = predict_latency(&schedule, &choice.cost_model(threads), timing);
    if !args.json {
        eprintln!("{} {}: {choice}", subject.name, subject.variant);
        eprintln!("memory budget: {budget_gib:.2} GiB ({limit_source})");
        eprintln!("{memory}");
    }
    let mut server = Server::new(schedule, params, policy)?;
    server.set_key_storage(key_storage);
    // Everything between client and server travels as bytes.
    let transport = Transport::new(args.save_messages.as_deref())?;
    let mut sizes = MessageSizes::default();
    let interface_bytes = server.interface().to_bytes()?;
    sizes.interface = interface_bytes.len() as u64;
    let interface =
        ModelInterface::from_bytes(transport.send("interface.bin", &interface_bytes)?, MAX_INTERFACE_BYTES)?;

    // Client: checks the interface against its policy, then makes the keys (the secret key
    // never leaves `client`) and streams them to the server.
    let mut client = Client::new(interface)?;
    if let Some(bits) = args.flood_bits {
        let flooding = NoiseFlooding::Uniform { log2_bound: bits };
        client = client.with_output_flooding(PublicDecoding { flooding, precision_bits: None })?;
    }
    if !args.json {
        // Calibrating takes about three top-level keys' time: only for a reader.
        let cost = KeyGenCost::calibrate(client.context())?;
        let keys = client.evaluation_keys_estimate(Some(&cost), threads)?;
        eprintln!(
            "key generation: {} Galois keys ({:.2} GiB expanded, {:.2} GiB compact), about {:.0} s on {threads} threads",
            keys.keys,
            keys.expanded_bytes as f64 / GIB,
            keys.compact_bytes as f64 / GIB,
            keys.seconds.unwrap_or(0.0)
        );
    }
    let start = Instant::now();
    let keys_bar = progress::keys_bar(client.galois_key_set()?.len(), args.json);
    sizes.keys = transport.send_keys(&mut client, &mut server, |p| progress::keys_done(&keys_bar, &p))?;
    keys_bar.finish_and_clear();
    let keygen_seconds = start.elapsed().as_secs_f64();
    let setup = server.setup()?;

    let mut results = Vec::new();
    let mut layers: Vec<LayerRun> = Vec::new();
    let (mut encrypt_seconds, mut decrypt_seconds, mut online) = (0.0, 0.0, Vec::new());
    let bar = progress::layers_bar(server.schedule().layers.len(), args.json);
    for k in 0..inputs.len() {
        let (index, raw_image, label) = inputs.get(k)?;
        let image = &subject.prepare(&raw_image);
        crate::relu_args::warn_outside_intervals(&subject.model, image, index)?;
        let start = Instant::now();
        let image_bytes = client.encrypt(image)?.to_bytes(client.context())?;
        encrypt_seconds = start.elapsed().as_secs_f64();
        sizes.image = image_bytes.len() as u64;
        let image_bytes = transport.send(&format!("image-{index}.bin"), &image_bytes)?;
        let mut runs = Vec::new();
        for _ in 0..args.repeat {
            bar.reset(&format!("image {index}"));
            // Online: from the image bytes the server receives to the answer bytes it sends.
            let start = Instant::now();
            let received = server.receive_image(image_bytes)?;
            let (answer, layer_runs) = server.infer(&received, |l| bar.layer_done(&l.name))?;
            let answer_bytes = answer.to_bytes(server.context())?;
            runs.push(start.elapsed().as_secs_f64());
            sizes.logits = answer_bytes.len() as u64;
            let start = Instant::now();
            let answer = client.receive_logits(transport.send(&format!("logits-{index}.bin"), &answer_bytes)?)?;
            let logits = client.decrypt(&answer)?;
            decrypt_seconds = start.elapsed().as_secs_f64();
            layers = layer_runs;
            if runs.len() == args.repeat {
                let check = !args.no_check && args.layers.is_none();
                let vs_simulator = if check {
                    let simulated = run_simulated(server.schedule(), image).context("the slot simulator failed")?;
                    Some(Agreement::of(&logits, &simulated.0).into())
                } else {
                    None
                };
                let vs_reference = if check {
                    let reference = spencnn::reference::forward(&subject.model, image)?;
                    Some(Agreement::of(&logits, &reference).into())
                } else {
                    None
                };
                results.push(ImageResult {
                    index,
                    class: argmax(&logits),
                    label,
                    online_seconds: median(&mut runs.clone()),
                    logits,
                    vs_simulator,
                    vs_reference,
                });
            }
        }
        online.extend(runs);
    }
    bar.finish();
    let agree = |f: fn(&ImageResult) -> Option<bool>| {
        let checked: Vec<bool> = results.iter().filter_map(f).collect();
        (!checked.is_empty()).then(|| (checked.iter().filter(|&&b| b).count(), checked.len()))
    };
    let schedule = server.schedule();
    Ok(InferReport {
        model: subject.name.clone(),
        variant: subject.variant.clone(),
        weights: subject.weights.clone(),
        random_weights: subject.random_weights,
        threads,
        params: choice.to_string(),
        log_n,
        log_scale: choice.log_scale,
        dnum: choice.dnum,
        special_primes: choice.p_bits.len(),
        predicted_precision_bits: choice.predicted_precision_bits,
        depth: schedule.depth(),
        rotation_keys: schedule.rotation_steps().len(),
        totals: schedule.totals(),
        encoding: format!("{policy:?}"),
        prefix_layers: args.layers,
        flood_bits: args.flood_bits,
        keygen_seconds,
        key_bytes: server.key_bytes(),
        messages: sizes,
        setup_seconds: setup.seconds,
        plaintext_bytes: setup.bytes,
        encrypt_seconds,
        decrypt_seconds,
        median_online_seconds: median(&mut online),
        predicted_online_seconds: predicted.seconds,
        layers: layers
            .iter()
            .map(|l| LayerRow {
                predicted_seconds: predicted.layers.iter().find(|p| p.name == l.name).map_or(0.0, |p| p.seconds),
                name: l.name.clone(),
                kind: l.kind.clone(),
                seconds: l.seconds,
                rotations: l.counts.rotations,
                pmults: l.counts.pmults,
                level: l.level_out,
            })
            .collect(),
        argmax_agreement: agree(|r| r.vs_simulator.as_ref().map(|a| a.same_class)),
        accuracy: agree(|r| r.label.map(|l| usize::from(l) == r.class)),
        min_precision_bits: results
            .iter()
            .filter_map(|r| r.vs_simulator.as_ref().map(|a| a.precision_bits.unwrap_or(f64::INFINITY)))
            .reduce(f64::min),
        images: results,
        peak_rss_bytes: crate::memory::peak_rss_bytes(),
        estimated_peak_bytes: Some(memory.footprint.peak),
        memory_tradeoff: Some(memory.to_string()),
    })
}
