//! Plain-text tables for the CLI.

use spencnn::plan::OpCounts;
use spencnn::summary::VariantSummary;

fn row(name: &str, kind: &str, split: &str, c: &OpCounts, level: &str) {
    println!(
        "{:<22} {:<7} {:<12} {:>6} {:>6} {:>6} {:>7} {:>7} {:>6} {:>5} {:>5}",
        name,
        kind,
        split,
        c.rotations,
        c.decompositions,
        c.mod_downs,
        c.pmults,
        c.adds,
        c.rescales,
        c.squares,
        level
    );
}

/// Prints a variant's per-layer table and totals.
pub(crate) fn print_variant(s: &VariantSummary) {
    let prune = s.prune_ratio.map_or("unpruned".to_string(), |r| {
        format!("pruned {:.0}%", r * 100.0)
    });
    println!(
        "{:?} ({prune}), depth {}, {} rotation keys",
        s.variant, s.depth, s.rotation_keys
    );
    println!(
        "{:<22} {:<7} {:<12} {:>6} {:>6} {:>6} {:>7} {:>7} {:>6} {:>5} {:>5}",
        "layer", "kind", "split", "Rot", "Decomp", "ModDn", "PMult", "Add", "Rescl", "Sq", "level"
    );
    for l in &s.layers {
        let split = l.split.as_deref().unwrap_or("");
        row(&l.name, &l.kind, split, &l.counts, &l.level_out.to_string());
    }
    row("total", "", "", &s.totals, "");
    for p in &s.pruning {
        println!(
            "  pruning {}: kept {} of {} sub-blocks",
            p.name, p.kept, p.blocks
        );
    }
}

/// Prints the totals of several variants side by side.
pub(crate) fn print_comparison(variants: &[VariantSummary]) {
    println!(
        "{:<9} {:>7} {:>6} {:>7} {:>8} {:>7} {:>6} {:>6} {:>12}",
        "variant", "Rot", "Decomp", "ModDn", "PMult", "Add", "Rescl", "depth", "est. cost"
    );
    for s in variants {
        let t = &s.totals;
        println!(
            "{:<9} {:>7} {:>6} {:>7} {:>8} {:>7} {:>6} {:>6} {:>12.0}",
            format!("{:?}", s.variant),
            t.rotations,
            t.decompositions,
            t.mod_downs,
            t.pmults,
            t.adds,
            t.rescales,
            s.depth,
            s.estimated_cost
        );
    }
}
