#!/usr/bin/env python3
"""A dense 2^12 x 2^12 matrix-vector product with OpenFHE, measured like
`ckks-ops --linear-transform` and printed in its JSON.

OpenFHE's C++ `EvalLinearTransform` (double-hoisted) is not exposed by its Python wheel, so
this script builds the same baby-step giant-step product from the wheel's public API: the
diagonals pre-rotated and encoded once, the input hoisted once (`EvalFastRotationPrecompute`)
for the 63 baby-step rotations (`EvalFastRotation`), `EvalMult` and `EvalAdd` for the partial
sums, `EvalRotate` for the giant steps: single hoisting, as `ckks-ops`'s `bsgs_single_hoisted`
row. Same ring (N = 2^13, 2^12 slots), chain (depth 2: 60 + 40 + 40 bits, scale 2^40, explicit
rescaling), matrix, input and baby span (64) as `ckks-ops`.

    python openfhe_linear_transform.py [--threads 1] [--quick]
"""
import argparse
import os

ARGS_PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS_PARSER.add_argument("--threads", type=int, default=1, help="OpenMP threads")
ARGS_PARSER.add_argument("--quick", action="store_true", help="a 256 x 256 matrix, short timing")
ARGS = ARGS_PARSER.parse_args()
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import json  # noqa: E402
import math  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402

import numpy  # noqa: E402
import openfhe  # noqa: E402

from timing import FULL, QUICK, median_micros, uniform_values  # noqa: E402

N = 8192
BABY_SPAN = 64


def hashed_uniform(x):
    """splitmix64(x) mapped to [-1, 1), vectorized (uint64 arithmetic wraps)."""
    z = x.astype(numpy.uint64) + numpy.uint64(0x9E3779B97F4A7C15)
    z = (z ^ (z >> numpy.uint64(30))) * numpy.uint64(0xBF58476D1CE4E5B9)
    z = (z ^ (z >> numpy.uint64(27))) * numpy.uint64(0x94D049BB133111EB)
    z = z ^ (z >> numpy.uint64(31))
    return (z >> numpy.uint64(11)).astype(numpy.float64) / float(1 << 53) * 2.0 - 1.0


def signed(k, n):
    return k if 2 * k <= n else k - n


def main():
    n = 256 if ARGS.quick else 4096
    policy = QUICK if ARGS.quick else FULL.with_min_iters(3)
    with numpy.errstate(over="ignore"):
        matrix = hashed_uniform(numpy.arange(n * n, dtype=numpy.uint64)).reshape(n, n) / 64.0
    rows = numpy.arange(n)
    diagonals = {k: matrix[rows, (rows + k) % n] for k in range(n)}
    span = min(BABY_SPAN, n)
    giants = list(range(0, n, span))
    babies = list(range(span))

    params = openfhe.CCParamsCKKSRNS()
    params.SetRingDim(N)
    params.SetBatchSize(n)
    params.SetMultiplicativeDepth(2)
    params.SetFirstModSize(60)
    params.SetScalingModSize(40)
    params.SetScalingTechnique(openfhe.FIXEDMANUAL)
    params.SetKeySwitchTechnique(openfhe.HYBRID)
    params.SetSecurityLevel(openfhe.HEStd_NotSet)
    context = openfhe.GenCryptoContext(params)
    for feature in (openfhe.PKE, openfhe.KEYSWITCH, openfhe.LEVELEDSHE):
        context.Enable(feature)
    keys = context.KeyGen()
    steps = sorted({signed(k, n) for k in babies[1:] + giants[1:]})
    context.EvalRotateKeyGen(keys.secretKey, steps)

    started = time.perf_counter()
    plaintexts = {
        g: [context.MakeCKKSPackedPlaintext(numpy.roll(diagonals[(g + b) % n], g), 1, 0, None, n) for b in babies]
        for g in giants
    }
    encode_seconds = time.perf_counter() - started
    x = numpy.array(uniform_values(n, 11))
    ciphertext = context.Encrypt(keys.publicKey, context.MakeCKKSPackedPlaintext(x, 1, 0, None, n))
    order = context.GetCyclotomicOrder()

    def evaluate():
        digits = context.EvalFastRotationPrecompute(ciphertext)
        rotated = [ciphertext] + [context.EvalFastRotation(ciphertext, b, order, digits) for b in babies[1:]]
        total = None
        for g in giants:
            partial = context.EvalMult(rotated[0], plaintexts[g][0])
            for b in babies[1:]:
                partial = context.EvalAdd(partial, context.EvalMult(rotated[b], plaintexts[g][b]))
            term = partial if g == 0 else context.EvalRotate(partial, signed(g, n))
            total = term if total is None else context.EvalAdd(total, term)
        return total

    got = context.Decrypt(keys.secretKey, context.Rescale(evaluate()))
    got.SetLength(n)
    errors = numpy.abs(numpy.array(got.GetRealPackedValue()) - matrix @ x)
    micros = median_micros(policy, evaluate)
    print(json.dumps({"linear_transform": {
        "library": "openfhe 1.6.1",
        "log_n": int(math.log2(N)),
        "slots": n,
        "diagonals": n,
        "baby_steps": len(babies),
        "giant_steps": len(giants),
        "rotation_keys": len(steps),
        "threads": ARGS.threads,
        "quick": ARGS.quick,
        "rows": {"bsgs_single_hoisted": {
            "micros_median": micros,
            "precision_bits_worst": -math.log2(errors.max()),
            "precision_bits_mean": -math.log2(errors.mean()),
            "encode_seconds": encode_seconds,
        }},
    }}, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
