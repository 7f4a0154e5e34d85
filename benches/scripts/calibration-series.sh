#!/usr/bin/env bash
# One calibration series: calibrates the cost profile, then right after, in the same run,
# benchmarks every network on every thread count with that profile (`spencnn bench --json`:
# HEAR-dense, our dense and SpENCNN, each in its own process). The cost model's prediction is
# in every report next to the measured median, so the series tests the model under the
# conditions it was calibrated in. Tabulate with
#   benches/scripts/calibration_table.py OUT
#
#   benches/scripts/calibration-series.sh [OUT]   # default target/calibration-series
#
# MODELS="lenet vgg5 hefnet"  networks, run in this order (resnet20 needs LOG_N="14,16").
# LOG_N="14"                  ring degrees the calibration measures (comma-separated).
# THREADS="1 2"               thread counts; for each network they run one after the other.
# REPEAT_lenet=3 ...          encrypted runs per variant (median); default 3, 1 for hefnet.
# HEAR="lenet vgg5 hefnet"    networks whose HEAR-dense variant also runs (the slowest run).
# HEAVY_LOCK="flock FILE"     prefix of the runs of networks other than LeNet (several GiB
#                             each), e.g. a lock serialising large-memory jobs; default none.
# CALIBRATE_ARGS="..."        extra arguments of `spencnn calibrate`.
# SPENCNN=path                the binary (default target/release/spencnn, built if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-target/calibration-series}
models=${MODELS:-lenet vgg5 hefnet}
threads=${THREADS:-1 2}
hear=${HEAR:-lenet vgg5 hefnet}
spencnn=${SPENCNN:-target/release/spencnn}
read -r -a heavy_lock <<< "${HEAVY_LOCK:-}"
read -r -a calibrate_args <<< "${CALIBRATE_ARGS:-}"

if [ ! -x "$spencnn" ]; then
  cargo build --release -p spencnn-cli --bin spencnn
fi
mkdir -p "$out"
profile="$out/profile.json"
rm -f "$profile"

note() {
  # A timestamped line with the load average, to the log and stderr.
  printf '%s  load %s  %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$*" \
    | tee -a "$out/log.txt" >&2
}

{
  echo "cpu: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ *//')"
  echo "cores: $(nproc)"
  echo "binary: $spencnn ($(git rev-parse --short HEAD 2>/dev/null || echo unknown))"
} > "$out/machine.txt"

note "calibrate"
"$spencnn" calibrate --log-n "${LOG_N:-14}" --threads "$(echo "$threads" | tr ' ' ',')" --output "$profile" \
  "${calibrate_args[@]}" > "$out/calibrate.txt"
for model in $models; do
  repeat_var="REPEAT_$model"
  default_repeat=3
  [ "$model" = hefnet ] && default_repeat=1
  repeat=${!repeat_var:-$default_repeat}
  lock=()
  [ "$model" != lenet ] && lock=("${heavy_lock[@]}")
  no_hear=(--no-hear)
  case " $hear " in *" $model "*) no_hear=() ;; esac
  for t in $threads; do
    note "bench $model, $t thread(s), repeat $repeat"
    "${lock[@]}" "$spencnn" bench --model "$model" --threads "$t" --cost-profile "$profile" \
      --repeat "$repeat" --no-check "${no_hear[@]}" --json > "$out/$model.t$t.json"
  done
done
note "done"
echo "calibration-series: wrote $out (tabulate: benches/scripts/calibration_table.py $out)" >&2
