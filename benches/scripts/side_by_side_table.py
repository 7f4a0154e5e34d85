#!/usr/bin/env python3
"""Summarises the JSON files written by side-by-side.sh: per library and op, the best (minimum)
of the per-run medians, and the ratios ours / SEAL and ours / OpenFHE. Prints a Markdown table.

Usage: side_by_side_table.py DIR [LABEL]   (LABEL: whose files are "ours", default spencnn)
"""
import glob
import json
import os
import sys

OPS = ["encode", "encrypt_pk", "decrypt_decode", "add", "mult_plain", "rescale", "mult_relin",
       "rotate_1", "rotate_8steps_hoisted_total", "keygen_galois_1step"]
TARGETS = {"encode", "decrypt_decode", "mult_plain", "rescale", "mult_relin", "rotate_1"}
OPENFHE_ALIASES = {"keygen_galois_1step": "keygen_rot_1step"}


def best(directory, lib):
    runs = [json.load(open(p)) for p in sorted(glob.glob(os.path.join(directory, f"{lib}.*.json")))]
    out = {}
    for run in runs:
        for size, ops in run.items():
            if size == "meta":
                continue
            for op, value in ops.items():
                key = (size, op)
                out[key] = min(out.get(key, float("inf")), value)
    return out, len(runs)


def fmt(x):
    return "–" if x is None else f"{x:,.0f}"


def main():
    directory = sys.argv[1]
    label = sys.argv[2] if len(sys.argv) > 2 else "spencnn"
    ours, n_ours = best(directory, label)
    seal, n_seal = best(directory, "seal")
    ofhe, n_ofhe = best(directory, "openfhe")
    print(f"runs: {label} {n_ours}, SEAL {n_seal}, OpenFHE {n_ofhe} (best of per-run medians, µs)\n")
    print("| N | op | ours | SEAL | ours/SEAL | OpenFHE | ours/OpenFHE | target |")
    print("|---|---|---:|---:|---:|---:|---:|---|")
    for size in ["N=8192", "N=16384"]:
        for op in OPS:
            o = ours.get((size, op))
            s = seal.get((size, op))
            f = ofhe.get((size, OPENFHE_ALIASES.get(op, op)))
            rs = f"{o / s:.2f}" if o and s else "–"
            rf = f"{o / f:.2f}" if o and f else "–"
            if op in TARGETS:
                target = "≤ 0.5× SEAL: " + ("met" if o and s and o <= 0.5 * s else "MISSED")
            elif op == "rotate_8steps_hoisted_total":
                target = "≤ 0.5× OpenFHE: " + ("met" if o and f and o <= 0.5 * f else "MISSED")
            else:
                target = ""
            print(f"| {size[2:]} | {op} | {fmt(o)} | {fmt(s)} | {rs} | {fmt(f)} | {rf} | {target} |")


if __name__ == "__main__":
    main()
