#!/usr/bin/env bash
# Bootstrapping side by side: `ckks-ops --bootstrap` and OpenFHE's EvalBootstrap
# (`benches/peers/openfhe_bootstrap.py`) at N = 2^16, 2^15 slots, one and two threads, run
# alternately REPS times on this machine; then the dense 2^12 x 2^12 linear transform
# (`ckks-ops --linear-transform` and `benches/peers/openfhe_linear_transform.py`). Every JSON
# goes to OUT/ as <library>.<what>.t<threads>.<rep>.json; the tables are printed by
# `bootstrap_table.py OUT`.
#
#   benches/peers/setup.sh openfhe                          # once: target/peers/openfhe
#   benches/scripts/bootstrap-side-by-side.sh [REPS] [OUT]  # default 1, target/bootstrap-side-by-side
#
# One N = 2^16 bootstrapping process holds about 7.5 GiB (ours) and 11 GiB (OpenFHE); the two
# never run at once. On a shared machine, set LOCK=/path/to/lockfile to run each of them under
# `flock LOCK`. RUNS=3 bootstraps per process (the precision is over all of them);
# THREADS="1 2" by default; COMPACT=1 (default) also runs ours with compact keys (seeded uniform
# halves, `--key-storage compact`); OPENFHE_PY: the interpreter (default: the environment of setup.sh).
# One repetition takes about 10 minutes.
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-1}
out=${2:-target/bootstrap-side-by-side}
runs=${RUNS:-3}
threads=${THREADS:-1 2}
compact=${COMPACT:-1}
openfhe_py=${OPENFHE_PY:-$PWD/target/peers/openfhe/bin/python}
if [ ! -x "$openfhe_py" ] && ! command -v "$openfhe_py" >/dev/null 2>&1; then
  echo "bootstrap-side-by-side: no interpreter $openfhe_py (run benches/peers/setup.sh openfhe, or set OPENFHE_PY)" >&2
  exit 2
fi
locked() { if [ -n "${LOCK:-}" ]; then flock "$LOCK" "$@"; else "$@"; fi; }
mkdir -p "$out"
cargo build --release -p spencnn-benches --bin ckks-ops
for rep in $(seq 1 "$reps"); do
  for t in $threads; do
    echo "rep $rep/$reps, $t thread(s): spencnn bootstrap" >&2
    locked ./target/release/ckks-ops --bootstrap --threads "$t" --runs "$runs" --json > "$out/spencnn.bootstrap.t$t.$rep.json"
    if [ "$compact" = 1 ]; then
      echo "rep $rep/$reps, $t thread(s): spencnn bootstrap, compact keys" >&2
      locked ./target/release/ckks-ops --bootstrap --threads "$t" --runs "$runs" --key-storage compact --json \
        > "$out/spencnn-compact.bootstrap.t$t.$rep.json"
    fi
    echo "rep $rep/$reps, $t thread(s): OpenFHE bootstrap" >&2
    (cd benches/peers && locked "$openfhe_py" openfhe_bootstrap.py --threads "$t" --runs "$runs") \
      > "$out/openfhe.bootstrap.t$t.$rep.json"
  done
  echo "rep $rep/$reps: linear transforms" >&2
  ./target/release/ckks-ops --linear-transform --threads 1 --json > "$out/spencnn.linear_transform.t1.$rep.json"
  (cd benches/peers && "$openfhe_py" openfhe_linear_transform.py --threads 1) > "$out/openfhe.linear_transform.t1.$rep.json"
done
python3 benches/scripts/bootstrap_table.py "$out"
