#!/usr/bin/env python3
"""Markdown table of a polynomial side-by-side run (see polynomial-side-by-side.sh).

Latency: the best of the per-run medians of each library (the protocol of the other
side-by-side tables); the ratio is ours / OpenFHE's. Precision and levels: from the first run
(they do not depend on the run, up to the encryption randomness).

Usage: polynomial_table.py OUT
"""
import glob
import json
import sys


def load(out, label):
    runs = []
    for path in sorted(glob.glob(f"{out}/{label}.*.json")):
        with open(path) as f:
            runs.append(json.load(f)["polynomial"])
    return runs


def main():
    out = sys.argv[1]
    ours, peer = load(out, "spencnn"), load(out, "openfhe")
    if not ours or not peer:
        sys.exit(f"no runs in {out}")
    print("| N | degree | ours (s) | OpenFHE (s) | ours/OpenFHE | levels ours / OpenFHE "
          "| worst bits ours / OpenFHE | mean bits ours / OpenFHE |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in ours[0]:
        rows = sorted((r for r in ours[0][n] if r.startswith("chebyshev_")), key=lambda r: int(r.split("_")[1]))
        for row in rows:
            degree = row.split("_")[1]
            a = ours[0][n][row]
            b = peer[0].get(n, {}).get(row, {"skipped": "not run"})
            if "skipped" in a:
                continue
            best_a = min(r[n][row]["seconds_median"] for r in ours)
            if "skipped" in b:
                print(f"| {n[2:]} | {degree} | {best_a:.3f} | – | – | {a['levels_consumed']} / > chain "
                      f"| {a['precision_bits_worst']:.1f} / – | {a['precision_bits_mean']:.1f} / – |")
                continue
            best_b = min(r[n][row]["seconds_median"] for r in peer)
            print(f"| {n[2:]} | {degree} | {best_a:.3f} | {best_b:.3f} | {best_a / best_b:.2f} "
                  f"| {a['levels_consumed']} / {b['levels_consumed']} "
                  f"| {a['precision_bits_worst']:.1f} / {b['precision_bits_worst']:.1f} "
                  f"| {a['precision_bits_mean']:.1f} / {b['precision_bits_mean']:.1f} |")


if __name__ == "__main__":
    main()
