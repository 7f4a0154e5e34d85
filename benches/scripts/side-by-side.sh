#!/usr/bin/env bash
# Runs `ckks-ops` and the peer scripts of ../shared/anchors alternately, REPS times, on this
# machine, and writes every JSON to OUT/. Summarise with `side_by_side_table.py OUT`.
#
#   SEAL_PY=/work/venvs/seal/bin/python OPENFHE_PY=/work/venvs/ofhe/bin/python \
#     benches/scripts/side-by-side.sh [REPS] [OUT]
#
# SEAL_PY: a Python 3.11 venv with tenseal==0.3.18; OPENFHE_PY: a Python 3.10 venv with
# openfhe==1.6.1.0.22.4 (see ../shared/anchors/README.md). Either may be left unset to skip it.
# FIRST_REP=k numbers the runs from k (to add runs to OUT without overwriting).
# EXTRA_BIN=path EXTRA_LABEL=name: a second ckks-ops build (e.g. another branch) run each rep too.
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-3}
out=${2:-target/side-by-side}
anchors=${ANCHORS:-../shared/anchors}
mkdir -p "$out"
cargo build --release -p spencnn-benches --bin ckks-ops
for rep in $(seq "${FIRST_REP:-1}" "$((${FIRST_REP:-1} + reps - 1))"); do
  echo "rep $rep/$reps: spencnn" >&2
  ./target/release/ckks-ops > "$out/spencnn.$rep.json"
  if [ -n "${EXTRA_BIN:-}" ]; then
    echo "rep $rep/$reps: ${EXTRA_LABEL:-extra}" >&2
    "$EXTRA_BIN" > "$out/${EXTRA_LABEL:-extra}.$rep.json"
  fi
  if [ -n "${SEAL_PY:-}" ]; then
    echo "rep $rep/$reps: SEAL (TenSEAL)" >&2
    "$SEAL_PY" "$anchors/ckks_tenseal.py" > "$out/seal.$rep.json"
  fi
  if [ -n "${OPENFHE_PY:-}" ]; then
    echo "rep $rep/$reps: OpenFHE" >&2
    OMP_NUM_THREADS=1 "$OPENFHE_PY" "$anchors/ckks_openfhe.py" > "$out/openfhe.$rep.json"
  fi
done
echo "done: $out" >&2
