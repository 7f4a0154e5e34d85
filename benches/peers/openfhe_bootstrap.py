#!/usr/bin/env python3
"""OpenFHE's CKKS bootstrapping, measured like `ckks-ops --bootstrap` and printed in its JSON.

Output: one JSON object `{"bootstrap": {...}}` with the keys of `ckks-ops --bootstrap`:
`log_n`, `slots`, `threads`, `secret`, `seconds_median` (one `EvalBootstrap` call),
`precision_bits_worst` and `precision_bits_mean` (-log2 of the worst and of the mean absolute
error over every slot of every run, inputs uniform in [-1, 1) from the stream of `ckks-ops`),
`levels_after` (multiplicative levels left), `key_bytes` (the serialized bootstrapping and
relinearization keys: OpenFHE stores them whole, so this is also what they hold in memory),
`peak_rss_bytes` (the process's peak resident set after the last run, before serializing).

Parameters: OpenFHE's bootstrapping set-up at N = 2^16 with full slots, 128-bit security
(`HEStd_128_classic`, checked by OpenFHE), FLEXIBLEAUTO scaling with 59-bit scaling primes
and a 60-bit first prime, `--dnum` large digits, level budget `--level-budget` (CoeffsToSlots,
SlotsToCoeffs), and `--levels-after` levels left for the computation; the depth is what
`GetBootstrapDepth` says plus those levels. The input is encrypted one level above the lowest,
as in OpenFHE's bootstrapping examples.

    python openfhe_bootstrap.py --threads 2 [--runs 3] [--secret uniform-ternary]
"""
import argparse
import os
import sys

ARGS_PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS_PARSER.add_argument("--threads", type=int, default=1, help="OpenMP threads")
ARGS_PARSER.add_argument("--runs", type=int, default=3, help="bootstraps timed")
ARGS_PARSER.add_argument("--log-n", type=int, default=16)
ARGS_PARSER.add_argument("--secret", choices=["uniform-ternary", "sparse-encapsulated"], default="uniform-ternary")
ARGS_PARSER.add_argument("--level-budget", type=int, nargs=2, default=[3, 3], metavar=("C2S", "S2C"))
ARGS_PARSER.add_argument("--levels-after", type=int, default=2)
ARGS_PARSER.add_argument("--dnum", type=int, default=4)
ARGS_PARSER.add_argument("--scale-bits", type=int, default=59)
ARGS_PARSER.add_argument("--first-bits", type=int, default=60)
ARGS_PARSER.add_argument("--insecure", action="store_true", help="HEStd_NotSet, for small smoke-test rings")
ARGS_PARSER.add_argument("--no-key-bytes", action="store_true", help="skip serializing the keys")
ARGS = ARGS_PARSER.parse_args()
# OpenMP reads this when the library loads, so it must be set before the import.
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import json  # noqa: E402
import math  # noqa: E402
import resource  # noqa: E402
import tempfile  # noqa: E402
import threading  # noqa: E402
import time  # noqa: E402

import numpy  # noqa: E402
import openfhe  # noqa: E402

from timing import uniform_values  # noqa: E402


def serialized_bytes(serialize):
    """Bytes written by `serialize(path)`, counted by a thread reading a named pipe (the keys
    are gigabytes; nothing is written to disk)."""
    directory = tempfile.mkdtemp(prefix="openfhe-keys-")
    fifo = os.path.join(directory, "stream")
    os.mkfifo(fifo)
    counted = [0]

    def reader():
        with open(fifo, "rb") as stream:
            while chunk := stream.read(1 << 20):
                counted[0] += len(chunk)

    thread = threading.Thread(target=reader)
    thread.start()
    ok = serialize(fifo)
    thread.join()
    os.unlink(fifo)
    os.rmdir(directory)
    if not ok:
        sys.exit("OpenFHE could not serialize its keys")
    return counted[0]


def main():
    secret = {
        "uniform-ternary": openfhe.SecretKeyDist.UNIFORM_TERNARY,
        "sparse-encapsulated": openfhe.SecretKeyDist.SPARSE_ENCAPSULATED,
    }[ARGS.secret]
    budget = list(ARGS.level_budget)
    params = openfhe.CCParamsCKKSRNS()
    params.SetSecretKeyDist(secret)
    params.SetSecurityLevel(openfhe.HEStd_NotSet if ARGS.insecure else openfhe.HEStd_128_classic)
    params.SetRingDim(1 << ARGS.log_n)
    params.SetScalingModSize(ARGS.scale_bits)
    params.SetFirstModSize(ARGS.first_bits)
    params.SetScalingTechnique(openfhe.FLEXIBLEAUTO)
    params.SetNumLargeDigits(ARGS.dnum)
    depth = ARGS.levels_after + openfhe.CryptoContext.GetBootstrapDepth(budget, secret)
    params.SetMultiplicativeDepth(depth)

    started = time.perf_counter()
    context = openfhe.GenCryptoContext(params)
    for feature in (openfhe.PKE, openfhe.KEYSWITCH, openfhe.LEVELEDSHE, openfhe.ADVANCEDSHE, openfhe.FHE):
        context.Enable(feature)
    n = context.GetRingDimension()
    slots = n // 2
    context.EvalBootstrapSetup(budget, [0, 0], slots)
    setup_seconds = time.perf_counter() - started

    started = time.perf_counter()
    keys = context.KeyGen()
    context.EvalMultKeyGen(keys.secretKey)
    context.EvalBootstrapKeyGen(keys.secretKey, slots)
    keygen_seconds = time.perf_counter() - started

    seconds, worst, mean_sum, levels_after = [], 0.0, 0.0, None
    for run in range(ARGS.runs):
        x = numpy.array(uniform_values(slots, 1000 + run))
        plaintext = context.MakeCKKSPackedPlaintext(x, 1, depth - 1, None, slots)
        ciphertext = context.Encrypt(keys.publicKey, plaintext)
        started = time.perf_counter()
        refreshed = context.EvalBootstrap(ciphertext)
        seconds.append(time.perf_counter() - started)
        levels_after = depth - refreshed.GetLevel() - (refreshed.GetNoiseScaleDeg() - 1)
        decrypted = context.Decrypt(refreshed, keys.secretKey)
        decrypted.SetLength(slots)
        errors = numpy.abs(numpy.array(decrypted.GetRealPackedValue()) - x)
        worst = max(worst, float(errors.max()))
        mean_sum += float(errors.mean())
        print(f"bootstrap run {run + 1}/{ARGS.runs}: {seconds[-1]:.2f} s, worst error 2^{math.log2(errors.max()):.2f}",
              file=sys.stderr)

    peak_rss_bytes = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux
    result = {
        "library": f"openfhe {openfhe.__version__}" if hasattr(openfhe, "__version__") else "openfhe 1.6.1",
        "log_n": int(math.log2(n)),
        "slots": slots,
        "threads": ARGS.threads,
        "secret": ARGS.secret,
        "seconds_median": sorted(seconds)[len(seconds) // 2],
        "seconds_all": seconds,
        "precision_bits_worst": -math.log2(worst),
        "precision_bits_mean": -math.log2(mean_sum / ARGS.runs),
        "levels_after": levels_after,
        "peak_rss_bytes": peak_rss_bytes,
        "setup_seconds": setup_seconds,
        "keygen_seconds": keygen_seconds,
        "params": {"depth": depth, "level_budget": budget, "dnum": ARGS.dnum, "scale_bits": ARGS.scale_bits,
                   "first_bits": ARGS.first_bits, "security": "none" if ARGS.insecure else "HEStd_128_classic"},
    }
    if not ARGS.no_key_bytes:
        automorphism = serialized_bytes(lambda path: context.SerializeEvalAutomorphismKey(path, openfhe.BINARY))
        relinearization = serialized_bytes(lambda path: context.SerializeEvalMultKey(path, openfhe.BINARY))
        result["key_bytes"] = automorphism + relinearization
        result["key_bytes_detail"] = {"automorphism": automorphism, "relinearization": relinearization}
    print(json.dumps({"bootstrap": result}, indent=1))


if __name__ == "__main__":
    main()
