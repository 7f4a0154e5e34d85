#!/usr/bin/env python3
"""Markdown rows of the memory-latency table from a benches/scripts/memory-budget.sh run.

    benches/scripts/memory_budget_table.py OUT

One row per run, in the script's order: the deployment the planner chose (its trade-off line),
the keys as the server holds them, the planner's live weight plaintexts, peak RSS from
`time -v` (the planner's estimate in brackets), key generation (make + send + load), the
median online latency (the cost model's prediction in brackets), the worst precision against
the slot simulator, the share of a core the process got (with its user + system CPU seconds)
and the load average before and after.
"""
import json
import re
import sys
from pathlib import Path

ORDER = ["resnet20-unconstrained", "resnet20-16", "resnet20-8", "resnet20-4",
         "vgg5-unconstrained", "vgg5-2", "hefnet-unconstrained", "hefnet-2"]
GIB = float(1 << 30)


def human(n):
    return f"{n / GIB:.2f} GiB" if n >= 1 << 30 else f"{n / (1 << 20):.0f} MiB"


def time_v(path):
    fields = {}
    for line in path.read_text().splitlines():
        key, _, value = line.strip().rpartition(": ")
        fields[key] = value
    return fields


def load(path):
    if not path.exists():
        return ""
    return " / ".join(m.group(1) for m in re.finditer(r"load average: ([0-9.]+)", path.read_text()))


def row(out, label):
    network, _, budget = label.partition("-")
    budget = "default" if budget == "unconstrained" else f"{budget} GiB"
    skipped = out / f"{label}.skipped"
    if skipped.exists():
        return f"| {network} | {budget} | not run: {skipped.read_text().strip()} | | | | | | | |"
    result = out / f"{label}.json"
    if not result.exists():
        return None
    timing = time_v(out / f"{label}.time")
    rss = int(timing.get("Maximum resident set size (kbytes)", "0")) * 1024
    cpu_seconds = float(timing.get("User time (seconds)", "0")) + float(timing.get("System time (seconds)", "0"))
    cpu = f"{timing.get('Percent of CPU this job got', '?')} ({cpu_seconds:.0f} CPU-s; load {load(out / f'{label}.load')})"
    try:
        r = json.loads(result.read_text())
    except json.JSONDecodeError:
        err = (out / f"{label}.err").read_text().strip().splitlines()
        message = next((l for l in err if l.startswith("error")), err[-1] if err else "failed")
        return f"| {network} | {budget} | **refused**: {message} (peak RSS {human(rss)}) | | | | | | | {cpu} |"
    tradeoff = r["memory_tradeoff"]
    if budget == "default":
        given = re.search(r"memory \(budget ([0-9.]+ [GM]iB)\)", tradeoff)
        budget = f"default ({given.group(1) if given else '?'} available)"
    deployment = tradeoff.split("trade-off: ", 1)[1].split(": ", 1)[0] if "trade-off: " in tradeoff else "?"
    if deployment.startswith("none needed"):
        deployment = "expanded keys, pre-encoded (" + deployment.split(" (", 1)[0] + ")"
    if "compact keys" not in deployment and "expanded keys" not in deployment:
        deployment = "expanded keys, " + deployment
    if "rotation keys" not in deployment:
        deployment += f", all {r['rotation_keys']} rotation keys"
    plaintexts = re.search(r"plaintexts ([0-9.]+ [GM]iB)", tradeoff)
    precision = r.get("min_precision_bits")
    return (f"| {network} | {budget} | {deployment} | {human(r['key_bytes'])} | "
            f"{plaintexts.group(1) if plaintexts else '?'} | {human(rss)} ({human(r['estimated_peak_bytes'])}) | "
            f"{r['keygen_seconds']:.1f} s | {r['median_online_seconds']:.1f} s "
            f"({r['predicted_online_seconds']:.1f} s) | "
            f"{'?' if precision is None else f'{precision:.1f} b'} | {cpu} |")


def main():
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "target/memory-budget")
    print("| network | budget | deployment (as planned) | keys | plaintexts | peak RSS (estimate) "
          "| key generation | online (predicted) | precision | CPU (load before / after) |")
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|")
    for label in ORDER:
        line = row(out, label)
        if line:
            print(line)


if __name__ == "__main__":
    main()
