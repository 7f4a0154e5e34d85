#!/usr/bin/env bash
# Polynomial evaluation side by side: `ckks-ops --poly` and OpenFHE's EvalChebyshevSeries
# (`benches/peers/openfhe_polynomial.py`), run alternately REPS times on this machine, every
# JSON written to OUT/, then the table printed by `polynomial_table.py OUT`.
#
#   OPENFHE_PY=~/venvs/openfhe/bin/python benches/scripts/polynomial-side-by-side.sh [REPS] [OUT]
#
# OPENFHE_PY: a Python 3.10 venv with openfhe==1.6.1.0.22.4 and numpy (see the peer script).
# SIZES=16384,65536 by default; N = 65536 takes about 1.5 GiB per process.
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-3}
out=${2:-target/polynomial-side-by-side}
sizes=${SIZES:-16384,65536}
: "${OPENFHE_PY:?set OPENFHE_PY to a Python with openfhe==1.6.1.0.22.4}"
mkdir -p "$out"
cargo build --release -p spencnn-benches --bin ckks-ops
for rep in $(seq 1 "$reps"); do
  echo "rep $rep/$reps: spencnn" >&2
  ./target/release/ckks-ops --poly --n "$sizes" > "$out/spencnn.$rep.json"
  echo "rep $rep/$reps: OpenFHE" >&2
  "$OPENFHE_PY" benches/peers/openfhe_polynomial.py --n "$sizes" --threads 1 > "$out/openfhe.$rep.json"
done
python3 benches/scripts/polynomial_table.py "$out"
