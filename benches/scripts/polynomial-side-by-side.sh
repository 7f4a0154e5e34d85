#!/usr/bin/env bash
# Polynomial evaluation side by side: `ckks-ops --poly` and OpenFHE's EvalChebyshevSeries
# (`benches/peers/openfhe_polynomial.py`), run alternately REPS times on this machine, every
# JSON written to OUT/ as <library>.<rep>.json, then the table of `polynomial_table.py OUT`.
#
#   benches/peers/setup.sh openfhe                          # once: target/peers/openfhe
#   benches/scripts/polynomial-side-by-side.sh [REPS] [OUT] # default 3, target/polynomial-side-by-side
#
# OPENFHE_PY: the interpreter (default: the environment made by setup.sh).
# SIZES=16384,65536 by default; N = 65536 takes about 1.5 GiB per process.
# QUICK=1: short smoke-test timing (not for figures).
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-3}
out=${2:-target/polynomial-side-by-side}
sizes=${SIZES:-16384,65536}
openfhe_py=${OPENFHE_PY:-target/peers/openfhe/bin/python}
quick=()
[ "${QUICK:-0}" = 1 ] && quick=(--quick)
if [ ! -x "$openfhe_py" ] && ! command -v "$openfhe_py" >/dev/null 2>&1; then
  echo "polynomial-side-by-side: no interpreter $openfhe_py (run benches/peers/setup.sh openfhe, or set OPENFHE_PY)" >&2
  exit 2
fi
mkdir -p "$out"
cargo build --release -p spencnn-benches --bin ckks-ops
for rep in $(seq 1 "$reps"); do
  echo "rep $rep/$reps: spencnn" >&2
  ./target/release/ckks-ops --poly --n "$sizes" "${quick[@]}" > "$out/spencnn.$rep.json"
  echo "rep $rep/$reps: OpenFHE" >&2
  "$openfhe_py" benches/peers/openfhe_polynomial.py --n "$sizes" --threads 1 "${quick[@]}" > "$out/openfhe.$rep.json"
done
python3 benches/scripts/polynomial_table.py "$out"
