#!/usr/bin/env bash
# A fuzz campaign over every cargo-fuzz target, one after the other, each for SECONDS
# (default 60) from the seed corpus (grown by earlier runs, if any), printed as the table rows
# of fuzz/README.md: executions, coverage, features, corpus at the end, and the files libFuzzer
# wrote to artifacts/<target>/ (crashes, leaks, timeouts, out-of-memory inputs).
# Needs a nightly toolchain and cargo-fuzz (see fuzz/README.md). Usage:
#   fuzz/campaign.sh [SECONDS] [TARGET...]
set -euo pipefail
cd "$(dirname "$0")"
seconds=${1:-60}
shift || true
# FUZZ_TOOLCHAIN picks the toolchain (`+nightly` unless set; empty: the default toolchain).
toolchain=${FUZZ_TOOLCHAIN-+nightly}
fuzz() { cargo ${toolchain:+"$toolchain"} fuzz "$@"; }

fuzz build -O >&2
cargo run --quiet --release --example write_seed_corpus >&2
if [ "$#" -gt 0 ]; then targets=("$@"); else mapfile -t targets < <(fuzz list); fi

echo "| target | executions | coverage (edges) | features | corpus at end | crash files |"
echo "|---|---:|---:|---:|---:|---:|"
for target in "${targets[@]}"; do
  mkdir -p "artifacts/$target"
  before=$(find "artifacts/$target" -type f | wc -l)
  log=$(mktemp)
  # A crash stops libFuzzer with a non-zero status: it is counted below, not fatal here.
  fuzz run -O "$target" "corpus/$target" -- \
    -max_total_time="$seconds" -print_final_stats=1 >"$log" 2>&1 || true
  last() { grep -o "$1" "$log" | tail -n 1 | grep -o "$2" || echo "?"; }
  execs=$(last 'stat::number_of_executed_units: *[0-9]*' '[0-9]*$')
  cov=$(last 'cov: [0-9]*' '[0-9]*$')
  ft=$(last 'ft: [0-9]*' '[0-9]*$')
  corp=$(last 'corp: [0-9]*/[0-9]*[a-zA-Z]*' '[0-9]*/[0-9]*[a-zA-Z]*$')
  crashes=$(( $(find "artifacts/$target" -type f | wc -l) - before ))
  echo "| \`$target\` | $execs | $cov | $ft | $corp | $crashes |"
  rm -f "$log"
done
