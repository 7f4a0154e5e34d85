//! Plain-text tables for the CLI.

use std::fmt::Write;

use crate::summary::VariantSummary;
use spencnn::plan::{Choice, LayerReport, OpCounts};
use spencnn::prune::LayerPruning;

fn row(out: &mut String, name: &str, kind: &str, split: &str, c: &OpCounts, level: &str) {
    let _ = writeln!(
        out,
        "{:<22} {:<7} {:<12} {:>6} {:>6} {:>6} {:>7} {:>7} {:>6} {:>5} {:>5}",
        name, kind, split, c.rotations, c.decompositions, c.mod_downs, c.pmults, c.adds, c.rescales, c.squares, level
    );
}

/// Renders a variant's per-layer table and totals.
pub(crate) fn variant(out: &mut String, s: &VariantSummary) {
    let prune = match (s.prune_ratio, s.prune_unit) {
        (Some(r), Some(unit)) => format!("pruned {:.0}% in {unit} units", r * 100.0),
        _ => "unpruned".to_string(),
    };
    let title = format!("{} ({prune}), depth {}, {} rotation keys", s.variant, s.depth, s.rotation_keys);
    layers(out, &title, &s.layers, &s.totals, &s.pruning);
    choices(out, &s.choices);
}

/// Renders the planner's decisions by cost, each with its alternatives priced.
pub(crate) fn choices(out: &mut String, choices: &[Choice]) {
    if !choices.is_empty() {
        let _ =
            writeln!(out, "decisions by cost (predicted seconds: whole network for packings, the layer for splits):");
    }
    for c in choices {
        let alternatives: Vec<String> = c
            .alternatives
            .iter()
            .map(|a| format!("{}{} {:.3}", if a.name == c.chosen { "*" } else { "" }, a.name, a.seconds))
            .collect();
        let _ = writeln!(out, "  {:<14} {:<17} {}", c.layer, c.decision, alternatives.join(", "));
    }
}

/// Renders a title, the per-layer table, the totals and the pruning of a schedule.
pub(crate) fn layers(
    out: &mut String,
    title: &str,
    layers: &[LayerReport],
    totals: &OpCounts,
    pruning: &[LayerPruning],
) {
    let _ = writeln!(out, "{title}");
    let _ = writeln!(
        out,
        "{:<22} {:<7} {:<12} {:>6} {:>6} {:>6} {:>7} {:>7} {:>6} {:>5} {:>5}",
        "layer", "kind", "split", "Rot", "Decomp", "ModDn", "PMult", "Add", "Rescl", "Sq", "level"
    );
    for l in layers {
        let split = l.split.as_deref().unwrap_or("");
        row(out, &l.name, &l.kind, split, &l.counts, &l.level_out.to_string());
    }
    row(out, "total", "", "", totals, "");
    for p in pruning {
        let units = p
            .rotation_units
            .as_ref()
            .map_or(String::new(), |(split, n)| format!(" ({n} whole rotations' worth removed, split {split})"));
        let _ = writeln!(out, "  pruning {}: kept {} of {} sub-blocks{units}", p.name, p.kept, p.blocks);
    }
}

/// Renders the totals of several variants side by side.
pub(crate) fn comparison(out: &mut String, variants: &[VariantSummary]) {
    let _ = writeln!(
        out,
        "{:<9} {:>7} {:>6} {:>7} {:>8} {:>7} {:>6} {:>6} {:>10}",
        "variant", "Rot", "Decomp", "ModDn", "PMult", "Add", "Rescl", "depth", "model (s)"
    );
    for s in variants {
        let t = &s.totals;
        let _ = writeln!(
            out,
            "{:<9} {:>7} {:>6} {:>7} {:>8} {:>7} {:>6} {:>6} {:>10.3}",
            s.variant,
            t.rotations,
            t.decompositions,
            t.mod_downs,
            t.pmults,
            t.adds,
            t.rescales,
            s.depth,
            s.predicted_seconds
        );
    }
}
