#!/usr/bin/env python3
"""Tabulates a calibration series written by calibration-series.sh.

    calibration_table.py OUT [--layers] [--target 15]

Prints, as Markdown, the cost model's prediction against the measured median online latency
for every network, thread count and variant (error = (predicted - measured) / measured), the
speedups measured in the same run, and with --layers the same comparison per layer (the
layer times of the last encrypted run of each variant).
"""

import argparse
import json
import pathlib
import re
import sys

NAMES = {"lenet": "LeNet", "vgg5": "VGG-5", "hefnet": "HEFNet", "resnet20": "ResNet-20"}
VARIANTS = [("hear", "HEAR-dense"), ("dense", "dense"), ("spencnn", "SpENCNN")]


def runs(out):
    """(model, threads, report) for every bench report in OUT, in model then thread order."""
    found = []
    for path in out.glob("*.t*.json"):
        m = re.fullmatch(r"(\w+)\.t(\d+)\.json", path.name)
        text = path.read_text() if m else ""
        if text.strip():  # a run still in progress has an empty report
            found.append((m.group(1), int(m.group(2)), json.loads(text)))
    order = list(NAMES)
    found.sort(key=lambda r: (order.index(r[0]) if r[0] in order else len(order), r[1]))
    return found


def error(predicted, measured):
    return (predicted - measured) / measured * 100.0


def within(err, target):
    if abs(err) <= target:
        return "yes"
    return f"**no** (by {abs(err) - target:.1f} points)"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out", type=pathlib.Path)
    ap.add_argument("--layers", action="store_true", help="also compare layer by layer")
    ap.add_argument("--target", type=float, default=15.0, help="error target in percent")
    args = ap.parse_args()
    series = runs(args.out)
    if not series:
        sys.exit(f"no <model>.t<threads>.json reports in {args.out}")

    print("| network | variant | threads | weights | rotations | plaintext mults "
          "| predicted | measured | error | within 15 % |")
    print("|---|---|---:|---|---:|---:|---:|---:|---:|---|")
    for model, threads, report in series:
        for key, label in VARIANTS:
            r = report.get(key)
            if not r:
                continue
            err = error(r["predicted_online_seconds"], r["median_online_seconds"])
            print(f"| {NAMES.get(model, model)} | {label} | {threads} | {r['encoding']} "
                  f"| {r['totals']['rotations']} | {r['totals']['pmults']} "
                  f"| {r['predicted_online_seconds']:.3f} s | {r['median_online_seconds']:.3f} s "
                  f"| {err:+.1f} % | {within(err, args.target)} |")

    print()
    print("| network | threads | HEAR-dense | dense | SpENCNN | dense / SpENCNN "
          "| HEAR-dense / SpENCNN | HEAR-dense / dense |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for model, threads, report in series:
        med = {k: report[k]["median_online_seconds"] for k, _ in VARIANTS if report.get(k)}
        hear = f"{med['hear']:.3f} s" if "hear" in med else "-"
        vs_hear = f"{med['hear'] / med['spencnn']:.2f}x" if "hear" in med else "-"
        dense_vs_hear = f"{med['hear'] / med['dense']:.2f}x" if "hear" in med else "-"
        print(f"| {NAMES.get(model, model)} | {threads} | {hear} | {med['dense']:.3f} s "
              f"| {med['spencnn']:.3f} s | {med['dense'] / med['spencnn']:.2f}x | {vs_hear} "
              f"| {dense_vs_hear} |")

    if args.layers:
        print()
        print("| network | variant | threads | layer | predicted | measured | error |")
        print("|---|---|---:|---|---:|---:|---:|")
        for model, threads, report in series:
            for key, label in VARIANTS:
                r = report.get(key)
                if not r:
                    continue
                for layer in r["layers"]:
                    p, s = layer["predicted_seconds"], layer["seconds"]
                    err = f"{error(p, s):+.1f} %" if s > 0 else "-"
                    print(f"| {NAMES.get(model, model)} | {label} | {threads} | {layer['name']} "
                          f"| {p:.3f} s | {s:.3f} s | {err} |")


if __name__ == "__main__":
    main()
