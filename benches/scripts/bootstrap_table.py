#!/usr/bin/env python3
"""Markdown tables of a bootstrapping side-by-side run (see bootstrap-side-by-side.sh).

Latency: the best of the per-run medians of each library and thread count (the protocol of
the other side-by-side tables); ratios are ours / OpenFHE's. Precision, levels and key bytes:
from the first repetition (they depend on the run only through the randomness).

Usage: bootstrap_table.py OUT
"""
import glob
import json
import re
import sys


def load(out, library, what, key=None):
    """{threads: [result, ...]} for `<library>.<what>.t<threads>.<rep>.json` (the object under
    `key`, by default `what`)."""
    runs = {}
    for path in sorted(glob.glob(f"{out}/{library}.{what}.t*.json")):
        threads = int(re.search(r"\.t(\d+)\.", path).group(1))
        with open(path) as f:
            runs.setdefault(threads, []).append(json.load(f)[key or what])
    return runs


def gb(value):
    return f"{value / 1e9:.2f}"


def row(label, ours, peer):
    """One table row: best per-run median of each, precision, levels and keys of the first run."""
    a, b = ours[0], peer[0]
    best_a = min(r["seconds_median"] for r in ours)
    best_b = min(r["seconds_median"] for r in peer)
    key_b = gb(b["key_bytes"]) if "key_bytes" in b else "–"
    rss = " / ".join(gb(r["peak_rss_bytes"]) if r.get("peak_rss_bytes") else "–" for r in (a, b))
    return (f"| {label} | {best_a:.2f} | {best_b:.2f} | {best_a / best_b:.2f} "
            f"| {a['precision_bits_worst']:.1f} / {b['precision_bits_worst']:.1f} "
            f"| {a['precision_bits_mean']:.1f} / {b['precision_bits_mean']:.1f} "
            f"| {a['levels_after']} / {b['levels_after']} | {gb(a['key_bytes'])} / {key_b} | {rss} |")


def bootstrap_table(out, what, title):
    ours = load(out, "spencnn", what, "bootstrap")
    peer = load(out, "openfhe", what, "bootstrap")
    if not ours or not peer:
        return False
    print(f"\n{title}\n")
    print("| threads | ours (s) | OpenFHE (s) | ours/OpenFHE | worst bits ours / OpenFHE "
          "| mean bits ours / OpenFHE | levels left ours / OpenFHE | key GB ours / OpenFHE "
          "| peak RSS GB ours / OpenFHE |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label, runs in (("", ours), (", compact keys", load(out, "spencnn-compact", what, "bootstrap"))):
        for threads in sorted(runs):
            if threads in peer:
                print(row(f"{threads}{label}", runs[threads], peer[threads]))
    a = ours[min(ours)][0]
    print(f"\nours: {a['key_count']} keys, {gb(a['key_bytes'])} GB in memory, "
          f"{gb(a['key_bytes_serialized'])} GB serialized, {gb(a['key_bytes_seeded'])} GB seeded; "
          f"plaintexts {gb(a['plaintext_bytes'])} GB; log QP = {a['params']['log_qp']}")
    return True


def linear_transform_table(out):
    ours, peer = load(out, "spencnn", "linear_transform"), load(out, "openfhe", "linear_transform")
    if not ours or not peer:
        return
    print("\n| linear transform (dense 2^12 x 2^12, N = 2^13) | ms | vs OpenFHE | worst bits | mean bits |")
    print("|---|---:|---:|---:|---:|")
    best_peer = min(r["rows"]["bsgs_single_hoisted"]["micros_median"] for r in peer[1]) / 1000
    p = peer[1][0]["rows"]["bsgs_single_hoisted"]
    print(f"| OpenFHE, single hoisting | {best_peer:.1f} | 1.00 | {p['precision_bits_worst']:.1f} "
          f"| {p['precision_bits_mean']:.1f} |")
    for row in ours[1][0]["rows"]:
        best = min(r["rows"][row]["micros_median"] for r in ours[1]) / 1000
        a = ours[1][0]["rows"][row]
        print(f"| ours, {row.replace('_', ' ')} | {best:.1f} | {best / best_peer:.2f} "
              f"| {a['precision_bits_worst']:.1f} | {a['precision_bits_mean']:.1f} |")


def main():
    out = sys.argv[1]
    found = [bootstrap_table(out, "bootstrap", "Uniform ternary secret"),
             bootstrap_table(out, "bootstrap-sparse-encapsulated", "Sparse-secret encapsulation")]
    if not any(found):
        sys.exit(f"no bootstrapping runs in {out}")
    linear_transform_table(out)


if __name__ == "__main__":
    main()
