#!/usr/bin/env bash
# Runs `ckks-ops` and the peer scripts of benches/peers/ (SEAL, OpenFHE) alternately, REPS
# times, and writes every JSON object to OUT/ as <library>.<rep>.json. Alternating the
# libraries spreads the load of a shared machine over all of them; summarise the runs with
#   benches/scripts/side_by_side_table.py OUT
#
#   benches/peers/setup.sh                       # once: the two Python environments
#   benches/scripts/side-by-side.sh [REPS] [OUT] # default 3 repetitions, target/side-by-side
#
# SEAL_PY / OPENFHE_PY: the interpreters of the peer scripts (default: the environments made
# by setup.sh under target/peers/); set one to `skip` to leave that library out.
# QUICK=1: short smoke-test timing for every library (not for figures).
# SIZES=8192,16384: the ring degrees. FIRST_REP=k numbers the runs from k, to add runs to OUT.
# EXTRA_BIN=path EXTRA_LABEL=name: a second ckks-ops build (e.g. of another commit), run
# each repetition too.
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-3}
out=${2:-target/side-by-side}
peers=benches/peers
seal_py=${SEAL_PY:-target/peers/seal/bin/python}
openfhe_py=${OPENFHE_PY:-target/peers/openfhe/bin/python}
sizes=${SIZES:-8192,16384}
quick=()
[ "${QUICK:-0}" = 1 ] && quick=(--quick)
first=${FIRST_REP:-1}

for py in "$seal_py" "$openfhe_py"; do
  if [ "$py" != skip ] && [ ! -x "$py" ] && ! command -v "$py" >/dev/null 2>&1; then
    echo "side-by-side: no interpreter $py (run benches/peers/setup.sh, or set SEAL_PY/OPENFHE_PY=skip)" >&2
    exit 2
  fi
done

mkdir -p "$out"
cargo build --release -p spencnn-benches --bin ckks-ops
for rep in $(seq "$first" "$((first + reps - 1))"); do
  echo "rep $rep: spencnn" >&2
  ./target/release/ckks-ops --n "$sizes" "${quick[@]}" > "$out/spencnn.$rep.json"
  if [ -n "${EXTRA_BIN:-}" ]; then
    echo "rep $rep: ${EXTRA_LABEL:-extra}" >&2
    "$EXTRA_BIN" --n "$sizes" "${quick[@]}" > "$out/${EXTRA_LABEL:-extra}.$rep.json"
  fi
  if [ "$seal_py" != skip ]; then
    echo "rep $rep: SEAL" >&2
    "$seal_py" "$peers/seal_ops.py" --n "$sizes" "${quick[@]}" > "$out/seal.$rep.json"
  fi
  if [ "$openfhe_py" != skip ]; then
    echo "rep $rep: OpenFHE" >&2
    OMP_NUM_THREADS=1 "$openfhe_py" "$peers/openfhe_ops.py" --n "$sizes" "${quick[@]}" \
      > "$out/openfhe.$rep.json"
  fi
done
echo "side-by-side: wrote $out (summarise: benches/scripts/side_by_side_table.py $out)" >&2
