//! Imports an ONNX model and measures it on MNIST digits: plaintext and encrypted logits
//! against an independent runtime's (onnxruntime, from `tools/onnx_table_models.py`), argmax
//! agreement, latency, keys and memory; optionally side by side with a zoo network in the same
//! process. The figures of `docs/onnx.md` come from this program.
//!
//! ```text
//! cargo run --release -p spencnn --example onnx_mnist -- --model M.onnx \
//!     --images t10k-images-idx3-ubyte.gz --labels t10k-labels-idx1-ubyte.gz \
//!     [--reference M.ort.json] [--plain 10000] [--encrypted 100] [--threads 2] \
//!     [--zoo lenet:spencnn:WEIGHTS.safetensors]
//! ```

use std::path::PathBuf;
use std::time::Instant;

use serde::Serialize;
use spencnn::Tensor3;
use spencnn::image::{IdxImages, maybe_gunzip, parse_idx_labels};
use spencnn::import::onnx::{OnnxLimits, read_onnx};
use spencnn::inference::{Client, EncodingPolicy, ParamOptions, Server, inspect, plan_for_ckks, smallest_log_n};
use spencnn::model::zoo::{Network, Variant};
use spencnn::model::{Model, load_safetensors};
use spencnn::reference;

type Error = Box<dyn std::error::Error>;

struct Args {
    model: PathBuf,
    images: PathBuf,
    labels: PathBuf,
    reference: Option<PathBuf>,
    plain: usize,
    encrypted: usize,
    threads: usize,
    zoo: Option<String>,
}

fn parse_args() -> Result<Args, Error> {
    let mut it = std::env::args().skip(1);
    let mut args = Args {
        model: PathBuf::new(),
        images: PathBuf::new(),
        labels: PathBuf::new(),
        reference: None,
        plain: 1000,
        encrypted: 20,
        threads: 2,
        zoo: None,
    };
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or_else(|| format!("{flag} needs a value"));
        match flag.as_str() {
            "--model" => args.model = value()?.into(),
            "--images" => args.images = value()?.into(),
            "--labels" => args.labels = value()?.into(),
            "--reference" => args.reference = Some(value()?.into()),
            "--plain" => args.plain = value()?.parse()?,
            "--encrypted" => args.encrypted = value()?.parse()?,
            "--threads" => args.threads = value()?.parse()?,
            "--zoo" => args.zoo = Some(value()?),
            other => return Err(format!("unknown flag {other}").into()),
        }
    }
    Ok(args)
}

/// Largest absolute error and largest error relative to the reference's largest |logit|.
#[derive(Debug, Default, Serialize)]
struct Errors {
    max_abs: f64,
    max_relative: f64,
    argmax_agree: usize,
    compared: usize,
}

impl Errors {
    fn add(&mut self, ours: &[f64], reference: &[f64]) {
        let err = ours.iter().zip(reference).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max);
        let scale = reference.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        self.max_abs = self.max_abs.max(err);
        self.max_relative = self.max_relative.max(err / scale.max(1e-300));
        self.argmax_agree += usize::from(argmax(ours) == argmax(reference));
        self.compared += 1;
    }
}

fn argmax(v: &[f64]) -> usize {
    (0..v.len()).fold(0, |best, i| if v[i] > v[best] { i } else { best })
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    if v.is_empty() { f64::NAN } else { v[v.len() / 2] }
}

fn peak_rss_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    let kib: f64 = status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0.0);
    kib / 1024.0
}

/// A ready server and client for `model`.
struct Deployment {
    server: Server,
    client: Client,
    keys_s: f64,
    setup_s: f64,
}

fn deploy(model: &Model, log_n: u32) -> Result<Deployment, Error> {
    let (schedule, _, params) = plan_for_ckks(model, log_n, &ParamOptions::default())?;
    let mut server = Server::new(schedule, params, EncodingPolicy::Preencoded)?;
    let mut client = Client::new(server.interface().clone())?;
    let start = Instant::now();
    server.set_keys(client.evaluation_keys()?)?;
    let keys_s = start.elapsed().as_secs_f64();
    let start = Instant::now();
    server.setup()?;
    Ok(Deployment { server, client, keys_s, setup_s: start.elapsed().as_secs_f64() })
}

impl Deployment {
    fn run(&mut self, image: &Tensor3) -> Result<(Vec<f64>, f64), Error> {
        let encrypted = self.client.encrypt(image)?;
        let start = Instant::now();
        let (answer, _) = self.server.infer(&encrypted, |_| {})?;
        let seconds = start.elapsed().as_secs_f64();
        Ok((self.client.decrypt(&answer)?, seconds))
    }
}

#[derive(Serialize)]
struct Report {
    model: String,
    notices: Vec<String>,
    log_n: u32,
    depth: usize,
    log_scale: u32,
    rotation_keys: usize,
    key_mib: f64,
    plain_vs_reference: Option<Errors>,
    plain_accuracy: f64,
    encrypted_vs_reference: Option<Errors>,
    encrypted_vs_plain: Errors,
    encrypted_accuracy: f64,
    online_median_s: f64,
    keys_s: f64,
    setup_s: f64,
    peak_rss_mib: f64,
    zoo_online_median_s: Option<f64>,
}

fn main() -> Result<(), Error> {
    let args = parse_args()?;
    rayon::ThreadPoolBuilder::new().num_threads(args.threads).build_global()?;
    let imported = read_onnx(&args.model, &OnnxLimits::default())?;
    let model = &imported.model;
    let shape = model.input_shape;
    let images = IdxImages::parse(&maybe_gunzip(&std::fs::read(&args.images)?)?)?;
    let labels = parse_idx_labels(&maybe_gunzip(&std::fs::read(&args.labels)?)?)?;
    let reference_logits: Option<Vec<Vec<f64>>> = match &args.reference {
        Some(path) => {
            let json: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(path)?)?;
            Some(serde_json::from_value(json["logits"].clone())?)
        }
        None => None,
    };
    let image = |i: usize| -> Result<Tensor3, Error> { Ok(imported.prepare_input(&images.image(i, shape)?)) };

    let mut plain_errors = Errors::default();
    let mut plain = Vec::new();
    let mut correct = 0;
    for (i, &label) in labels.iter().enumerate().take(args.plain.min(images.len())) {
        let logits = reference::forward(model, &image(i)?)?;
        correct += usize::from(argmax(&logits) == label as usize);
        if let Some(r) = reference_logits.as_ref().and_then(|r| r.get(i)) {
            plain_errors.add(&logits, r);
        }
        plain.push(logits);
    }
    eprintln!("plaintext: {correct}/{} correct; vs onnxruntime {plain_errors:?}", plain.len());

    let log_n = smallest_log_n(model, &ParamOptions::default())?;
    let report = inspect(model, log_n, &ParamOptions::default())?;
    let mut deployment = deploy(model, log_n)?;
    let mut zoo = match &args.zoo {
        Some(spec) => {
            let parts: Vec<&str> = spec.split(':').collect();
            let [net, variant, weights] = parts[..] else {
                return Err("--zoo NETWORK:dense|spencnn:WEIGHTS".into());
            };
            let net: Network = net.parse()?;
            let variant = if variant == "dense" { Variant::Dense } else { Variant::SpEncnn };
            let mut zoo_model = net.build(variant);
            load_safetensors(&mut zoo_model, &std::fs::read(weights)?)?;
            Some(deploy(&zoo_model, log_n)?)
        }
        None => None,
    };
    let (mut enc_ref, mut enc_plain) = (Errors::default(), Errors::default());
    let (mut times, mut zoo_times, mut enc_correct) = (Vec::new(), Vec::new(), 0);
    for i in 0..args.encrypted.min(plain.len()) {
        let (logits, seconds) = deployment.run(&image(i)?)?;
        times.push(seconds);
        if let Some(z) = zoo.as_mut() {
            zoo_times.push(z.run(&image(i)?)?.1);
        }
        enc_correct += usize::from(argmax(&logits) == labels[i] as usize);
        enc_plain.add(&logits, &plain[i]);
        if let Some(r) = reference_logits.as_ref().and_then(|r| r.get(i)) {
            enc_ref.add(&logits, r);
        }
    }
    let out = Report {
        model: args.model.display().to_string(),
        notices: imported.notices.clone(),
        log_n,
        depth: report.depth,
        log_scale: report.params.log_scale,
        rotation_keys: report.rotation_keys,
        key_mib: deployment.server.key_bytes() as f64 / (1 << 20) as f64,
        plain_vs_reference: reference_logits.as_ref().map(|_| plain_errors),
        plain_accuracy: correct as f64 / plain.len().max(1) as f64,
        encrypted_vs_reference: reference_logits.as_ref().map(|_| enc_ref),
        encrypted_accuracy: enc_correct as f64 / times.len().max(1) as f64,
        encrypted_vs_plain: enc_plain,
        online_median_s: median(times),
        keys_s: deployment.keys_s,
        setup_s: deployment.setup_s,
        peak_rss_mib: peak_rss_mib(),
        zoo_online_median_s: zoo.as_ref().map(|_| median(zoo_times)),
    };
    println!("{}", serde_json::to_string_pretty(&out)?);
    Ok(())
}
