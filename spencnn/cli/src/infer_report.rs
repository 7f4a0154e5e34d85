//! What `spencnn infer` measured: the report (also read back by `spencnn bench`) and its table.

use std::fmt::Write;

use serde::{Deserialize, Serialize};
use spencnn::inference::Agreement;
use spencnn::plan::OpCounts;

use crate::transport::MessageSizes;

/// One classified image.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct ImageResult {
    pub index: usize,
    pub class: usize,
    pub label: Option<u8>,
    pub online_seconds: f64,
    pub logits: Vec<f64>,
    pub vs_simulator: Option<AgreementJson>,
    pub vs_reference: Option<AgreementJson>,
}

/// [`Agreement`] in a form that survives JSON (infinite precision as `null`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct AgreementJson {
    pub max_abs_error: f64,
    pub precision_bits: Option<f64>,
    pub same_class: bool,
}

impl From<Agreement> for AgreementJson {
    fn from(a: Agreement) -> Self {
        Self {
            max_abs_error: a.max_abs_error,
            precision_bits: a.precision_bits.is_finite().then_some(a.precision_bits),
            same_class: a.same_class(),
        }
    }
}

/// Per-layer timing for the table.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct LayerRow {
    pub name: String,
    pub kind: String,
    pub seconds: f64,
    /// The cost model's prediction for the layer.
    #[serde(default)]
    pub predicted_seconds: f64,
    pub rotations: usize,
    pub pmults: usize,
    pub level: usize,
}

/// Everything `infer` measured (also read back by `bench`).
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) struct InferReport {
    pub model: String,
    /// `dense` or `spencnn`.
    pub variant: String,
    /// The weights file, or `RANDOM (seed S)`.
    pub weights: String,
    /// Whether the weights are seeded random values (the classes are then meaningless).
    pub random_weights: bool,
    pub threads: usize,
    pub params: String,
    pub log_n: u32,
    pub log_scale: u32,
    pub dnum: usize,
    pub special_primes: usize,
    pub predicted_precision_bits: Option<f64>,
    pub depth: usize,
    pub rotation_keys: usize,
    pub totals: OpCounts,
    pub encoding: String,
    pub prefix_layers: Option<usize>,
    /// Noise flooding of the decrypted logits: uniform in `[-2^b, 2^b)` per coefficient.
    #[serde(default)]
    pub flood_bits: Option<u32>,
    pub keygen_seconds: f64,
    pub key_bytes: usize,
    /// Bytes of each message as sent (seeded forms).
    #[serde(default)]
    pub messages: MessageSizes,
    pub setup_seconds: f64,
    pub plaintext_bytes: usize,
    pub encrypt_seconds: f64,
    pub decrypt_seconds: f64,
    pub median_online_seconds: f64,
    /// The cost model's prediction of the online latency (calibrated profile, this thread
    /// count and encoding policy).
    #[serde(default)]
    pub predicted_online_seconds: f64,
    pub layers: Vec<LayerRow>,
    pub images: Vec<ImageResult>,
    pub argmax_agreement: Option<(usize, usize)>,
    pub accuracy: Option<(usize, usize)>,
    pub min_precision_bits: Option<f64>,
    pub peak_rss_bytes: Option<u64>,
    /// The memory planner's estimate of the peak.
    #[serde(default)]
    pub estimated_peak_bytes: Option<usize>,
    /// The memory-latency trade-off the planner made (as printed).
    #[serde(default)]
    pub memory_tradeoff: Option<String>,
}

fn human_bytes(bytes: u64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.2} GiB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MiB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{:.1} KiB", b as f64 / 1024.0),
        b => format!("{b} B"),
    }
}

fn mib(bytes: usize) -> f64 {
    bytes as f64 / (1 << 20) as f64
}

pub(crate) fn render(r: &InferReport) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "{} {} on {} thread(s): {}", r.model, r.variant, r.threads, r.params);
    if r.random_weights {
        let _ = writeln!(out, "WEIGHTS: {}; the classes below are meaningless (pass --weights)", r.weights);
    } else {
        let _ = writeln!(out, "weights: {}", r.weights);
    }
    if let Some(k) = r.prefix_layers {
        let _ = writeln!(out, "PREFIX ONLY: the first {k} layers (no logits, no check)");
    }
    if let Some(bits) = r.flood_bits {
        let _ = writeln!(
            out,
            "logits decrypted with noise flooding: uniform noise in [-2^{bits}, 2^{bits}) per coefficient"
        );
    }
    let _ = writeln!(
        out,
        "depth {}, {} Galois keys ({:.0} MiB with the relinearization key; made, sent and loaded in {:.2} s)",
        r.depth,
        r.rotation_keys,
        mib(r.key_bytes),
        r.keygen_seconds
    );
    let m = &r.messages;
    let _ = writeln!(
        out,
        "messages: interface {}, evaluation keys {}, image {}, logits {}",
        human_bytes(m.interface),
        human_bytes(m.keys),
        human_bytes(m.image),
        human_bytes(m.logits)
    );
    if r.encoding != "Preencoded" {
        let _ = writeln!(out, "weights encoded during inference ({})", r.encoding);
    } else {
        let _ = writeln!(
            out,
            "setup: weight plaintexts encoded in {:.2} s ({:.0} MiB)",
            r.setup_seconds,
            mib(r.plaintext_bytes)
        );
    }
    let _ = writeln!(
        out,
        "\n{:<22} {:<8} {:>9} {:>10} {:>6} {:>7} {:>6}",
        "layer", "kind", "time (ms)", "pred. (ms)", "Rot", "PMult", "level"
    );
    for l in &r.layers {
        let _ = writeln!(
            out,
            "{:<22} {:<8} {:>9.1} {:>10.1} {:>6} {:>7} {:>6}",
            l.name,
            l.kind,
            l.seconds * 1e3,
            l.predicted_seconds * 1e3,
            l.rotations,
            l.pmults,
            l.level
        );
    }
    let total: f64 = r.layers.iter().map(|l| l.seconds).sum();
    let _ = writeln!(
        out,
        "{:<22} {:<8} {:>9.1} {:>10.1} {:>6} {:>7}",
        "total",
        "",
        total * 1e3,
        r.predicted_online_seconds * 1e3,
        r.totals.rotations,
        r.totals.pmults
    );
    out.push('\n');
    for i in &r.images {
        let label = i.label.map_or(String::new(), |l| format!(" (label {l})"));
        let check = i.vs_simulator.as_ref().map_or(String::new(), |a| {
            format!(
                ", vs simulator: max error {:.2e} ({:.1} bits){}",
                a.max_abs_error,
                a.precision_bits.unwrap_or(f64::INFINITY),
                if a.same_class { "" } else { ", CLASS DIFFERS" }
            )
        });
        let _ = writeln!(out, "image {}: class {}{label}, online {:.3} s{check}", i.index, i.class, i.online_seconds);
    }
    let _ = writeln!(
        out,
        "\nencrypt {:.3} s, online inference {:.3} s (median; cost model: {:.3} s), decrypt {:.3} s",
        r.encrypt_seconds, r.median_online_seconds, r.predicted_online_seconds, r.decrypt_seconds
    );
    if let Some((same, n)) = r.argmax_agreement {
        let _ = write!(out, "argmax agrees with the simulator on {same}/{n} image(s)");
        if let Some(bits) = r.min_precision_bits {
            let _ = write!(out, ", worst precision {bits:.1} bits");
        }
        out.push('\n');
    }
    if let Some((right, n)) = r.accuracy {
        let _ = writeln!(out, "accuracy vs labels: {right}/{n}");
    }
    if let Some(peak) = r.peak_rss_bytes {
        let estimate = r.estimated_peak_bytes.map_or(String::new(), |e| format!(" (estimated {:.0} MiB)", mib(e)));
        let _ = writeln!(out, "peak memory (RSS): {:.0} MiB{estimate}", peak as f64 / (1 << 20) as f64);
    }
    if let Some(tradeoff) = &r.memory_tradeoff {
        let _ = writeln!(out, "{tradeoff}");
    }
    out
}
