#!/usr/bin/env python3
"""OpenFHE's EvalChebyshevSeries on the chains, coefficients and inputs of `ckks-ops --poly`.

Prints one JSON object in the format of `ckks-ops --poly`:
{"polynomial": {"N=16384": {"chebyshev_15": {...}, ...}, "N=65536": {...}}, "meta": {...}}.

Chains (as ours): FirstModSize 60, ScalingModSize 40, scale 2^40; N=16384 depth 7
(Q = 60 + 7*40), N=65536 depth 14 (Q = 60 + 14*40). OpenFHE chooses its own P (HYBRID key
switching, default dnum) and adds P towers beyond the 128-bit table at N=16384, so its
security check is set to HEStd_NotSet, as in the other OpenFHE comparisons. FLEXIBLEAUTO
scaling (OpenFHE's default, which EvalChebyshevSeries is made for). Single thread unless
--threads is given (OMP_NUM_THREADS is set before importing openfhe).

Series: p(x) = sum_i c_i T_i(x) on [-1, 1] with c_i = +-1/(i+1), signs + + - - + + ...;
OpenFHE's convention halves its first coefficient, so it is given 2*c_0. Inputs: all slots
uniform in [-1, 1]. Precision: -log2 of the worst and of the mean absolute error against
numpy's Chebyshev series. Levels consumed: the towers dropped plus the pending rescale
(FLEXIBLEAUTO leaves the last product unrescaled: noise scale degree 2).

Set-up: `benches/peers/setup.sh openfhe` (CPython 3.10, requirements-openfhe.txt).
Usage: target/peers/openfhe/bin/python benches/peers/openfhe_polynomial.py [--n 16384,65536]
       [--min-time 1.0] [--threads 1] [--quick]
Run it against ours with benches/scripts/polynomial-side-by-side.sh.
"""
import argparse
import os

_ap = argparse.ArgumentParser()
_ap.add_argument("--n", default="16384,65536")
_ap.add_argument("--min-time", type=float, default=1.0, help="seconds per row at least")
_ap.add_argument("--threads", type=int, default=1)
_ap.add_argument("--quick", action="store_true", help="1 warm-up, at least 3 calls, 20 ms")
ARGS = _ap.parse_args()
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import json  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import openfhe as o  # noqa: E402

DEGREES = [15, 63, 127]
DEPTH = {16384: 7, 65536: 14}


def coefficients(degree):
    return [(1.0 if (i // 2) % 2 == 0 else -1.0) / (i + 1) for i in range(degree + 1)]


def bench(fn, min_time, min_iters, warmup):
    for _ in range(warmup):
        fn()
    times = []
    t_end = time.perf_counter() + min_time
    while len(times) < min_iters or time.perf_counter() < t_end:
        t0 = time.perf_counter_ns()
        fn()
        times.append(time.perf_counter_ns() - t0)
    return statistics.median(times) / 1e9



def run(n):
    depth = DEPTH[n]
    p = o.CCParamsCKKSRNS()
    p.SetMultiplicativeDepth(depth)
    p.SetScalingModSize(40)
    p.SetFirstModSize(60)
    p.SetRingDim(n)
    p.SetBatchSize(n // 2)
    p.SetScalingTechnique(o.FLEXIBLEAUTO)
    p.SetKeySwitchTechnique(o.HYBRID)
    p.SetSecurityLevel(o.HEStd_NotSet)
    cc = o.GenCryptoContext(p)
    for feature in (o.PKE, o.KEYSWITCH, o.LEVELEDSHE, o.ADVANCEDSHE):
        cc.Enable(feature)
    keys = cc.KeyGen()
    cc.EvalMultKeyGen(keys.secretKey)
    slots = n // 2
    x = np.random.default_rng(3).uniform(-1.0, 1.0, slots)
    ct = cc.Encrypt(keys.publicKey, cc.MakeCKKSPackedPlaintext(list(x)))
    rows = {}
    for degree in DEGREES:
        c = coefficients(degree)
        given = [2.0 * c[0]] + c[1:]
        try:
            out = cc.EvalChebyshevSeries(ct, given, -1.0, 1.0)
        except Exception as error:  # depth too small for this degree
            rows[f"chebyshev_{degree}"] = {"skipped": str(error).strip()[-120:]}
            continue
        pt = cc.Decrypt(keys.secretKey, out)
        pt.SetLength(slots)
        got = np.array(pt.GetRealPackedValue())
        errors = np.abs(got - np.polynomial.chebyshev.chebval(x, c))
        if ARGS.quick:
            seconds = bench(lambda: cc.EvalChebyshevSeries(ct, given, -1.0, 1.0), 0.02, 3, 1)
        else:
            seconds = bench(lambda: cc.EvalChebyshevSeries(ct, given, -1.0, 1.0), ARGS.min_time, 3, 1)
        consumed = out.GetLevel() + out.GetNoiseScaleDeg() - 1
        rows[f"chebyshev_{degree}"] = {
            "seconds_median": seconds,
            "precision_bits_worst": float(-np.log2(errors.max())),
            "precision_bits_mean": float(-np.log2(errors.mean())),
            "levels_consumed": int(consumed),
            "levels_left": int(depth - consumed),
        }
    rows["params"] = {"depth": depth, "slots": slots, "scaling": "FLEXIBLEAUTO"}
    return rows


def main():
    result = {"polynomial": {}}
    for n in [int(s) for s in ARGS.n.split(",") if s.strip()]:
        result["polynomial"][f"N={n}"] = run(n)
    result["meta"] = {
        "library": f"openfhe-python {getattr(o, '__version__', '1.6.1')}",
        "threads": ARGS.threads,
        "quick": ARGS.quick,
        "interval": [-1.0, 1.0],
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
