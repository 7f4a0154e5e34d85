//! Per-layer packing choice: input encoding (polyphase or stride-grid) and the channel
//! placement of every convolution's output (contiguous or group-interleaved by the consumer's
//! or the producer's group size), chosen by the cost model.
//!
//! The choice depends on the architecture only, never on weight values: the search plans a
//! copy of the model with seeded random (non-zero) weights, so layouts, and with them the
//! pruning sub-blocks, are the same for a model before and after pruning. It is a coordinate
//! descent over the decision points in network order: starting from the encryption-aware
//! policy (`policy.rs`), each alternative of each decision is planned whole and kept if the
//! predicted latency ([`super::predict_latency`], pre-encoded weights, the configuration's
//! thread count) is lower; every alternative and its prediction is reported in
//! [`super::Schedule::choices`]. Results are cached per architecture and configuration.
//! A memory budget would enter as a second field of [`Alternative`] and a filter before the
//! comparison.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Mutex, OnceLock};

use serde::Serialize;

use super::latency::{PlaintextTiming, predict_latency};
use super::policy::consumer_group;
use super::{PlanConfig, PlanError};
use crate::layout::Placement;
use crate::model::{Layer, Model, randomize};

/// Packing decisions the planner follows.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct Packing {
    /// Search the decisions not given here with the cost model (see the module
    /// documentation); `false` = the encryption-aware policy for every decision not given.
    pub search: bool,
    /// Polyphase input encoding; `None` = [`PlanConfig::polyphase`].
    pub polyphase: Option<bool>,
    /// Placement of model values (`n + 1` = the output of node `n`).
    pub placements: BTreeMap<usize, Placement>,
}

/// One alternative of a decision and its predicted network latency.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Alternative {
    /// What it is (`polyphase`, `stride-grid`, `contiguous`, `interleaved s=4`, a split).
    pub name: String,
    /// Predicted seconds (the whole network for packings, the layer for splits).
    pub seconds: f64,
}

/// A decision the planner made by cost, with the alternatives it priced.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Choice {
    /// The layer it concerns (`input` for the input encoding).
    pub layer: String,
    /// `input encoding`, `output placement` or `baby/giant split`.
    pub decision: String,
    /// The alternatives, cheapest first (splits: the best few).
    pub alternatives: Vec<Alternative>,
    /// The name of the alternative taken.
    pub chosen: String,
}

/// A decision point of the search.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Point {
    Polyphase,
    Placement(usize),
}

/// Candidate placements of the output of convolution node `n`.
fn placement_candidates(model: &Model, n: usize) -> Vec<Placement> {
    let Layer::Conv2d(conv) = &model.nodes[n].layer else {
        return Vec::new();
    };
    let mut out = vec![Placement::Contiguous];
    let sizes = [consumer_group(model, n + 1), (conv.groups > 1).then(|| conv.group_out())];
    for s in sizes.into_iter().flatten().filter(|s| s.is_power_of_two() && *s > 1) {
        let p = Placement::Interleaved { group_size: s };
        if !out.contains(&p) {
            out.push(p);
        }
    }
    if out.len() > 1 { out } else { Vec::new() }
}

fn describe(placement: Placement) -> String {
    match placement {
        Placement::Contiguous => "contiguous".into(),
        Placement::Interleaved { group_size } => format!("interleaved s={group_size}"),
    }
}

/// A key for the cache: the architecture (no weight values), the configuration's knobs and the
/// decisions it fixes.
fn cache_key(model: &Model, config: &PlanConfig) -> String {
    let nodes: Vec<String> = model
        .nodes
        .iter()
        .map(|n| match &n.layer {
            Layer::Conv2d(c) => format!(
                "{}:conv{}>{}k{}s{}p{}g{}<{}",
                n.name, c.in_channels, c.out_channels, c.kernel, c.stride, c.padding, c.groups, n.input
            ),
            other => format!("{}:{}<{}", n.name, other.kind(), n.input),
        })
        .collect();
    format!(
        "{:?}|{}|{}|{}|{:?}|{:?}|{:?}|{:?}|{}|{}",
        model.input_shape,
        nodes.join(","),
        config.log_n,
        config.log_scale,
        config.scale_model,
        config.forced_split,
        config.polyphase,
        config.method,
        serde_json::to_string(&config.cost).unwrap_or_default(),
        serde_json::to_string(&config.packing).unwrap_or_default()
    )
}

type Cached = (Packing, Vec<Choice>);

fn cache() -> &'static Mutex<HashMap<String, Cached>> {
    static CACHE: OnceLock<Mutex<HashMap<String, Cached>>> = OnceLock::new();
    CACHE.get_or_init(|| Mutex::new(HashMap::new()))
}

/// Chooses the packing of `model` under `config` (decisions given in `config.packing` stay
/// fixed); returns the decisions (with `search` off) and the choices made.
///
/// # Errors
/// A [`PlanError`] of the default packing (alternatives that fail to plan are skipped).
pub fn choose_packing(model: &Model, config: &PlanConfig) -> Result<Cached, PlanError> {
    let key = cache_key(model, config);
    if let Some(hit) = cache().lock().unwrap_or_else(|e| e.into_inner()).get(&key) {
        return Ok(hit.clone());
    }
    let mut probe = model.clone();
    randomize(&mut probe, 1);
    let mut current = config.clone();
    current.packing.search = false;
    let price = |c: &PlanConfig| -> Result<f64, PlanError> {
        let schedule = super::plan(&probe, c)?;
        Ok(predict_latency(&schedule, &c.cost, PlaintextTiming::Preencoded).seconds)
    };
    price(&current)?;
    let mut points = Vec::new();
    // `polyphase: false` forbids it; otherwise the search decides.
    if current.packing.polyphase.is_none() && config.polyphase && super::policy::input_phases(model) > 1 {
        points.push(Point::Polyphase);
    }
    points.extend(
        (0..model.nodes.len())
            .filter(|&n| !config.packing.placements.contains_key(&(n + 1)))
            .filter(|&n| !placement_candidates(model, n).is_empty())
            .map(Point::Placement),
    );
    let mut choices = Vec::new();
    for point in points {
        let options: Vec<(String, PlanConfig)> = match point {
            Point::Polyphase => [true, false]
                .into_iter()
                .map(|on| {
                    let mut c = current.clone();
                    c.packing.polyphase = Some(on);
                    (if on { "polyphase" } else { "stride-grid" }.to_string(), c)
                })
                .collect(),
            Point::Placement(n) => placement_candidates(model, n)
                .into_iter()
                .map(|p| {
                    let mut c = current.clone();
                    c.packing.placements.insert(n + 1, p);
                    (describe(p), c)
                })
                .collect(),
        };
        let mut alternatives = Vec::new();
        let mut winner: Option<(f64, PlanConfig, String)> = None;
        for (name, candidate) in options {
            let Ok(seconds) = price(&candidate) else { continue };
            alternatives.push(Alternative { name: name.clone(), seconds });
            if winner.as_ref().is_none_or(|w| seconds < w.0) {
                winner = Some((seconds, candidate, name));
            }
        }
        alternatives.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
        let (layer, decision) = match point {
            Point::Polyphase => ("input".to_string(), "input encoding"),
            Point::Placement(n) => (model.nodes[n].name.clone(), "output placement"),
        };
        if let Some((_, candidate, name)) = winner {
            current = candidate;
            choices.push(Choice { layer, decision: decision.into(), alternatives, chosen: name });
        }
    }
    let result = (current.packing, choices);
    cache().lock().unwrap_or_else(|e| e.into_inner()).insert(key, result.clone());
    Ok(result)
}
