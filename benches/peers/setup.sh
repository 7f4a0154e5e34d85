#!/usr/bin/env bash
# Creates the two Python environments of the peer scripts under target/peers/ (not committed):
#   target/peers/seal     CPython 3.11 + requirements-seal.txt     (TenSEAL 0.3.18 -> SEAL)
#   target/peers/openfhe  CPython 3.10 + requirements-openfhe.txt  (openfhe 1.6.1.0.22.4)
# The interpreters default to `python3.11` and `python3.10` on PATH; override with
#   PYTHON_SEAL=/path/to/python3.11 PYTHON_OPENFHE=/path/to/python3.10 benches/peers/setup.sh
# Pass `seal` or `openfhe` to set up only one of them.
set -euo pipefail
cd "$(dirname "$0")/../.."
peers=benches/peers
venvs=target/peers
which=${1:-all}

make_venv() { # name interpreter requirements
  local name=$1 python=$2 requirements=$3
  # `command -v` is not enough: a version manager's shim exists even when it cannot run.
  if ! "$python" -c "import venv" >/dev/null 2>&1; then
    echo "setup: cannot run $python; set PYTHON_${name^^} to a suitable interpreter" >&2
    return 1
  fi
  echo "setup: $venvs/$name with $("$python" --version 2>&1)" >&2
  "$python" -m venv "$venvs/$name"
  "$venvs/$name/bin/python" -m pip install --quiet --upgrade pip
  "$venvs/$name/bin/python" -m pip install --quiet -r "$requirements"
  "$venvs/$name/bin/python" -c "import sys; print('setup: ok,', sys.version.split()[0])" >&2
}

mkdir -p "$venvs"
if [ "$which" = all ] || [ "$which" = seal ]; then
  make_venv seal "${PYTHON_SEAL:-python3.11}" "$peers/requirements-seal.txt"
  "$venvs/seal/bin/python" -c "import tenseal.sealapi"
fi
if [ "$which" = all ] || [ "$which" = openfhe ]; then
  make_venv openfhe "${PYTHON_OPENFHE:-python3.10}" "$peers/requirements-openfhe.txt"
  "$venvs/openfhe/bin/python" -c "import openfhe"
fi
