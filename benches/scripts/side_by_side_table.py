#!/usr/bin/env python3
"""Summarises the JSON files of side-by-side.sh as a Markdown table.

For every library, ring degree and operation it takes the best (minimum) of the per-run
medians over the runs in DIR, and prints ours next to SEAL and OpenFHE with the ratios
ours / peer (below 1: ours is faster). A dash marks an operation a library does not have.

    side_by_side_table.py DIR [--ours LABEL] [--all]

LABEL names the files of "ours" (default `spencnn`, i.e. DIR/spencnn.<rep>.json); --all
adds the operations only ours measures (serialization, double hoisting, ...).
"""
import argparse
import glob
import json
import os

# Operations every library measures, or that have a direct counterpart, in reading order.
SHARED_OPS = [
    "encode",
    "encrypt_pk",
    "encrypt_sk",
    "decrypt_decode",
    "decrypt_decode_1prime",
    "add",
    "mult_plain",
    "rescale",
    "mult_ct_ct_no_relin",
    "relinearize",
    "mult_relin",
    "mult_relin_rescale",
    "rotate_1",
    "rotate_8steps_separately",
    "hoist_precompute",
    "hoist_fast_rotation_each",
    "rotate_8steps_hoisted_total",
    "keygen_relin",
    "keygen_galois_1step",
]
PEERS = [("seal", "SEAL"), ("openfhe", "OpenFHE")]


def best_medians(directory, label):
    """{(size, op): min over runs of the run's median}, and the number of runs."""
    paths = sorted(glob.glob(os.path.join(directory, f"{label}.*.json")))
    best = {}
    for path in paths:
        with open(path) as f:
            run = json.load(f)
        for size, ops in run.items():
            if size == "meta":
                continue
            for op, micros in ops.items():
                key = (size, op)
                best[key] = min(best.get(key, float("inf")), micros)
    return best, len(paths)


def cell(value):
    return "–" if value is None else f"{value:,.0f}" if value >= 100 else f"{value:,.1f}"


def ratio(ours, theirs):
    return f"{ours / theirs:.2f}" if ours is not None and theirs else "–"


def main():
    parser = argparse.ArgumentParser(description="Markdown table of side-by-side runs")
    parser.add_argument("directory")
    parser.add_argument("--ours", default="spencnn")
    parser.add_argument("--all", action="store_true", help="also the operations only ours has")
    args = parser.parse_args()

    ours, ours_runs = best_medians(args.directory, args.ours)
    peers = [(name, title, *best_medians(args.directory, name)) for name, title in PEERS]
    counts = ", ".join([f"{args.ours} {ours_runs}"] + [f"{t} {n}" for _, t, _, n in peers])
    print(f"runs: {counts}; best of the per-run medians, µs, single thread\n")
    header = "| N | op | ours |" + "".join(f" {t} | ours/{t} |" for _, t, _, _ in peers)
    print(header)
    print("|---|---|---:|" + "---:|---:|" * len(peers))

    sizes = sorted({size for size, _ in ours}, key=lambda s: int(s.split("=")[1]))
    ops = list(SHARED_OPS)
    if args.all:
        ops += sorted({op for _, op in ours} - set(SHARED_OPS))
    for size in sizes:
        for op in ops:
            mine = ours.get((size, op))
            theirs = [best.get((size, op)) for _, _, best, _ in peers]
            if mine is None and all(t is None for t in theirs):
                continue
            row = f"| {size[2:]} | {op} | {cell(mine)} |"
            row += "".join(f" {cell(t)} | {ratio(mine, t)} |" for t in theirs)
            print(row)


if __name__ == "__main__":
    main()
