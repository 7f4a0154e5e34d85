#!/usr/bin/env bash
# The memory-latency table of docs/inference.md ("Memory budgets"): `spencnn infer` of the
# SpENCNN ResNet-20 at 4, 8, 16 GiB and unconstrained (the default budget: the machine's
# available memory), VGG-5 and HEFNet at a constrained and the default budget, one after the
# other in one script run, on 2 threads, each under `/usr/bin/time -v`. Every run writes
# OUT/<label>.json (infer --json), .err and .time; summarise with
#   benches/scripts/memory_budget_table.py OUT
#
#   benches/scripts/memory-budget.sh [OUT]      # default target/memory-budget
#
# WRAP="flock LOCKFILE ...": a command prefix for every run (e.g. locks serialising heavy
# runs on a shared machine). UNCONSTRAINED_MIN_GIB (default 15.5): the unconstrained ResNet-20
# run (14.2 GiB estimated) starts only when MemAvailable is at least that much when its turn
# comes (checked after WRAP's locks are taken); otherwise OUT/resnet20-unconstrained.skipped
# says why.
# RUNS="label ...": a subset of the labels below.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/memory-budget}
min_gib=${UNCONSTRAINED_MIN_GIB:-15.5}
read -r -a wrap <<< "${WRAP:-}"
mkdir -p "$out"
cargo build --release -p spencnn-cli --bin spencnn
bin=$PWD/target/release/spencnn

# label model budget-GiB (- = the default budget) repeat
configs=(
  "resnet20-unconstrained resnet20 - 1"
  "resnet20-8 resnet20 8 1"
  "resnet20-4 resnet20 4 1"
  "vgg5-unconstrained vgg5 - 3"
  "vgg5-2 vgg5 2 3"
  "hefnet-unconstrained hefnet - 3"
  "hefnet-2 hefnet 2 3"
  "resnet20-16 resnet20 16 1"
)
selected=" ${RUNS:-} "
for config in "${configs[@]}"; do
  read -r label model gib repeat <<< "$config"
  [ -n "${RUNS:-}" ] && [[ $selected != *" $label "* ]] && continue
  budget=()
  [ "$gib" != - ] && budget=(--max-memory-gib "$gib")
  echo "memory-budget: $label" >&2
  # shellcheck disable=SC2016 # expanded by the inner shell
  "${wrap[@]}" bash -c '
    out=$1 label=$2 min_gib=$3; shift 3
    if [ "$label" = resnet20-unconstrained ]; then
      kib=$(awk "/^MemAvailable:/{print \$2}" /proc/meminfo)
      if ! awk -v k="$kib" -v m="$min_gib" "BEGIN{exit !(k >= m * 1048576)}"; then
        echo "MemAvailable $kib kB is below $min_gib GiB: not run" > "$out/$label.skipped"
        exit 0
      fi
    fi
    uptime > "$out/$label.load"
    /usr/bin/time -v -o "$out/$label.time" "$@" > "$out/$label.json" 2> "$out/$label.err" || true
    uptime >> "$out/$label.load"
  ' _ "$out" "$label" "$min_gib" \
    "$bin" infer --model "$model" --variant spencnn --threads 2 --repeat "$repeat" --json "${budget[@]}"
done
echo "memory-budget: wrote $out (summarise: benches/scripts/memory_budget_table.py $out)" >&2
