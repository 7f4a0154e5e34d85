#!/usr/bin/env bash
# Bootstrapping side by side: `ckks-ops --bootstrap` and OpenFHE's EvalBootstrap
# (`benches/peers/openfhe_bootstrap.py`) at N = 2^16, 2^15 slots, one and two threads, run
# alternately REPS times on this machine, for each secret of SECRETS (default both:
# `uniform-ternary`, and `sparse-encapsulated`: our N65536SparseEncapsulated preset against
# OpenFHE's SPARSE_ENCAPSULATED, each with 6 levels left; the uniform ones with 2); then the
# dense 2^12 x 2^12 linear transform (`ckks-ops --linear-transform` and
# `benches/peers/openfhe_linear_transform.py`; LINEAR_TRANSFORM=0 skips it). Every JSON goes to
# OUT/ as <library>.<what>.t<threads>.<rep>.json (<what>: bootstrap for the uniform secret,
# bootstrap-sparse-encapsulated, linear_transform); the tables are printed by
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
# One repetition takes about 10 minutes per secret on an idle machine.
set -euo pipefail
cd "$(dirname "$0")/../.."
reps=${1:-1}
out=${2:-target/bootstrap-side-by-side}
runs=${RUNS:-3}
threads=${THREADS:-1 2}
compact=${COMPACT:-1}
secrets=${SECRETS:-uniform-ternary sparse-encapsulated}
linear_transform=${LINEAR_TRANSFORM:-1}
openfhe_py=${OPENFHE_PY:-$PWD/target/peers/openfhe/bin/python}
if [ ! -x "$openfhe_py" ] && ! command -v "$openfhe_py" >/dev/null 2>&1; then
  echo "bootstrap-side-by-side: no interpreter $openfhe_py (run benches/peers/setup.sh openfhe, or set OPENFHE_PY)" >&2
  exit 2
fi
locked() { if [ -n "${LOCK:-}" ]; then flock "$LOCK" "$@"; else "$@"; fi; }
mkdir -p "$out"
cargo build --release -p spencnn-benches --bin ckks-ops
for rep in $(seq 1 "$reps"); do
  for secret in $secrets; do
    case $secret in
      uniform-ternary) what=bootstrap; levels_after=2 ;;
      sparse-encapsulated) what=bootstrap-sparse-encapsulated; levels_after=6 ;;
      *) echo "bootstrap-side-by-side: unknown secret $secret" >&2; exit 2 ;;
    esac
    for t in $threads; do
      echo "rep $rep/$reps, $secret, $t thread(s): spencnn bootstrap" >&2
      locked ./target/release/ckks-ops --bootstrap --secret "$secret" --threads "$t" --runs "$runs" --json \
        > "$out/spencnn.$what.t$t.$rep.json"
      if [ "$compact" = 1 ]; then
        echo "rep $rep/$reps, $secret, $t thread(s): spencnn bootstrap, compact keys" >&2
        locked ./target/release/ckks-ops --bootstrap --secret "$secret" --threads "$t" --runs "$runs" \
          --key-storage compact --json > "$out/spencnn-compact.$what.t$t.$rep.json"
      fi
      echo "rep $rep/$reps, $secret, $t thread(s): OpenFHE bootstrap" >&2
      (cd benches/peers && locked "$openfhe_py" openfhe_bootstrap.py --secret "$secret" --levels-after "$levels_after" \
        --threads "$t" --runs "$runs") > "$out/openfhe.$what.t$t.$rep.json"
    done
  done
  if [ "$linear_transform" = 1 ]; then
    echo "rep $rep/$reps: linear transforms" >&2
    ./target/release/ckks-ops --linear-transform --threads 1 --json > "$out/spencnn.linear_transform.t1.$rep.json"
    (cd benches/peers && "$openfhe_py" openfhe_linear_transform.py --threads 1) \
      > "$out/openfhe.linear_transform.t1.$rep.json"
  fi
done
python3 benches/scripts/bootstrap_table.py "$out"
