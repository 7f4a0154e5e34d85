#!/usr/bin/env python3
"""OpenFHE's CKKS operations, timed like `ckks-ops` and printed in its JSON format.

OpenFHE is reached through its Python wheel (`openfhe==1.6.1.0.22.4`, which holds only a
CPython 3.10 extension; see `requirements-openfhe.txt`). Output: one JSON object
`{"N=8192": {op: median µs}, "N=16384": {...}, "meta": {...}}` with the op names of
`ckks-ops`.

Parameters per ring degree: the Q chains and the scale of the `ckks-ops` presets
(N=8192: depth 2, N=16384: depth 7; first prime 60 bits, scaling primes 40 bits, scale 2^40),
explicit rescaling (FIXEDMANUAL) and HYBRID key switching with OpenFHE's own choice of digits
and special primes (`--dnum K` overrides the digit count). OpenFHE always adds at least two
special primes here, so its own 128-bit check rejects these ring degrees for these chains and
the security level is left unset (`HEStd_NotSet`); `meta` estimates the special-prime count
from the relinearization key's size. Single thread unless `--threads` says otherwise.

    OMP_NUM_THREADS=1 python openfhe_ops.py [--n 8192,16384] [--quick] [--dnum K]
"""
import argparse
import os
import sys

ARGS_PARSER = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ARGS_PARSER.add_argument("--n", default="8192,16384", help="ring degrees, comma-separated")
ARGS_PARSER.add_argument("--quick", action="store_true", help="short smoke-test timing")
ARGS_PARSER.add_argument("--threads", type=int, default=1, help="OpenMP threads")
ARGS_PARSER.add_argument("--dnum", type=int, default=0, help="key-switching digits (0: OpenFHE's)")
ARGS = ARGS_PARSER.parse_args()
# OpenMP reads this when the library loads, so it must be set before the import.
os.environ["OMP_NUM_THREADS"] = str(ARGS.threads)

import math  # noqa: E402
from importlib.metadata import version  # noqa: E402

import numpy  # noqa: E402
import openfhe  # noqa: E402

from timing import FULL, QUICK, max_abs_error, median_micros, report, uniform_values  # noqa: E402

DEPTH = {8192: 2, 16384: 7}
HOISTED_STEPS = list(range(1, 9))


def make_context(n):
    """A CKKS context with the chain of the `ckks-ops` preset of ring degree `n`."""
    params = openfhe.CCParamsCKKSRNS()
    params.SetRingDim(n)
    params.SetBatchSize(n // 2)
    params.SetMultiplicativeDepth(DEPTH[n])
    params.SetFirstModSize(60)
    params.SetScalingModSize(40)
    params.SetScalingTechnique(openfhe.FIXEDMANUAL)
    params.SetKeySwitchTechnique(openfhe.HYBRID)
    params.SetSecurityLevel(openfhe.HEStd_NotSet)
    if ARGS.dnum > 0:
        params.SetNumLargeDigits(ARGS.dnum)
    context = openfhe.GenCryptoContext(params)
    for feature in (openfhe.PKE, openfhe.KEYSWITCH, openfhe.LEVELEDSHE):
        context.Enable(feature)
    if context.GetRingDimension() != n:
        sys.exit(f"OpenFHE chose N={context.GetRingDimension()} instead of {n}")
    return context


def digit_count(depth):
    """The digit count OpenFHE uses: `--dnum`, else its default (3 above depth 3, else 2),
    at most one digit per Q prime."""
    default = 3 if depth > 3 else 2
    return min(ARGS.dnum or default, depth + 1)


def real_slots(context, secret, ciphertext, slots):
    return context.Decrypt(secret, ciphertext).GetRealPackedValue()[:slots]


def measure(n, policy):
    """Times every operation at ring degree `n`; returns (op medians, meta)."""
    context = make_context(n)
    keys = context.KeyGen()
    context.EvalMultKeyGen(keys.secretKey)
    context.EvalRotateKeyGen(keys.secretKey, HOISTED_STEPS)
    slots = n // 2
    x = uniform_values(slots, 1)
    y = uniform_values(slots, 2)
    # Encoding from numpy arrays is OpenFHE's fastest input path (lists are slower).
    x_array, y_array = numpy.array(x), numpy.array(y)
    pt_x = context.MakeCKKSPackedPlaintext(x_array)
    pt_y = context.MakeCKKSPackedPlaintext(y_array)
    ct_x = context.Encrypt(keys.publicKey, pt_x)
    ct_y = context.Encrypt(keys.publicKey, pt_y)
    cyclotomic_order = context.GetCyclotomicOrder()
    towers = DEPTH[n] + 1

    # Check the results before timing anything.
    product = context.Rescale(context.EvalMult(ct_x, ct_y))
    err_mult = max_abs_error(
        real_slots(context, keys.secretKey, product, slots), [a * b for a, b in zip(x, y)]
    )
    rotated = context.EvalRotate(ct_x, 1)
    err_rot = max_abs_error(real_slots(context, keys.secretKey, rotated, slots), x[1:] + x[:1])
    digits = context.EvalFastRotationPrecompute(ct_x)
    hoisted = context.EvalFastRotation(ct_x, 3, cyclotomic_order, digits)
    err_hoisted = max_abs_error(
        real_slots(context, keys.secretKey, hoisted, slots), x[3:] + x[:3]
    )
    if max(err_mult, err_rot, err_hoisted) > 1e-3:
        sys.exit(f"OpenFHE N={n}: wrong results ({err_mult}, {err_rot}, {err_hoisted})")

    ops = {}

    def time(name, call, policy=policy):
        ops[name] = median_micros(policy, call)

    # OpenFHE decodes inside Decrypt, so it has no separate decrypt and decode.
    time("encode", lambda: context.MakeCKKSPackedPlaintext(x_array))
    time("encrypt_pk", lambda: context.Encrypt(keys.publicKey, pt_x))
    time("encrypt_sk", lambda: context.Encrypt(keys.secretKey, pt_x))
    time("decrypt_decode", lambda: context.Decrypt(keys.secretKey, ct_x))
    one_tower = context.LevelReduce(ct_x, None, towers - 1)
    time("decrypt_decode_1prime", lambda: context.Decrypt(keys.secretKey, one_tower))
    time("add", lambda: context.EvalAdd(ct_x, ct_y))
    time("mult_plain", lambda: context.EvalMult(ct_x, pt_y))
    plain_product = context.EvalMult(ct_x, pt_y)
    time("rescale", lambda: context.Rescale(plain_product))
    time("mult_ct_ct_no_relin", lambda: context.EvalMultNoRelin(ct_x, ct_y))
    size3 = context.EvalMultNoRelin(ct_x, ct_y)
    time("relinearize", lambda: context.Relinearize(size3))
    time("mult_relin", lambda: context.EvalMult(ct_x, ct_y))
    time("mult_relin_rescale", lambda: context.Rescale(context.EvalMult(ct_x, ct_y)))
    time("rotate_1", lambda: context.EvalRotate(ct_x, 1))

    def rotate_eight_separately():
        for step in HOISTED_STEPS:
            context.EvalRotate(ct_x, step)

    def rotate_eight_hoisted():
        shared = context.EvalFastRotationPrecompute(ct_x)
        for step in HOISTED_STEPS:
            context.EvalFastRotation(ct_x, step, cyclotomic_order, shared)

    time("rotate_8steps_separately", rotate_eight_separately)
    time("hoist_precompute", lambda: context.EvalFastRotationPrecompute(ct_x))
    time(
        "hoist_fast_rotation_each",
        lambda: context.EvalFastRotation(ct_x, 5, cyclotomic_order, digits),
    )
    time("rotate_8steps_hoisted_total", rotate_eight_hoisted)

    relin_key = context.GetEvalMultKeyVector(keys.publicKey.GetKeyTag())[0]
    sizes = {
        "ct_serialized_bytes": len(openfhe.Serialize(ct_x, openfhe.BINARY)),
        "pk_serialized_bytes": len(openfhe.Serialize(keys.publicKey, openfhe.BINARY)),
        "relin_key_serialized_bytes": len(openfhe.Serialize(relin_key, openfhe.BINARY)),
    }

    # OpenFHE skips generating a key it already holds: clear the caches first.
    def keygen_relin():
        openfhe.ClearEvalMultKeys()
        context.EvalMultKeyGen(keys.secretKey)

    def keygen_rotation():
        context.ClearEvalAutomorphismKeys()
        context.EvalRotateKeyGen(keys.secretKey, [1])

    slow = policy.with_min_iters(3)
    time("keygen_relin", keygen_relin, slow)
    time("keygen_galois_1step", keygen_rotation, slow)

    dnum = digit_count(DEPTH[n])
    special_primes = sizes["relin_key_serialized_bytes"] / (dnum * 2 * n * 8) - towers
    meta = {
        "depth": DEPTH[n],
        "q_towers_at_top": towers,
        "log_q": math.log2(int(context.GetModulus())),
        "dnum": dnum,
        "p_towers_estimated": round(special_primes, 2),
        "security": "HEStd_NotSet",
        "slots": slots,
        "ring_degree": n,
        "max_err_mult": err_mult,
        "max_err_rot": err_rot,
        "max_err_hoisted_rot": err_hoisted,
        "sizes": sizes,
    }
    openfhe.ReleaseAllContexts()
    return ops, meta


def main():
    meta = {
        "library": f"OpenFHE via openfhe {version('openfhe')} (Python wheel)",
        "threads": ARGS.threads,
        "rescaling": "FIXEDMANUAL",
        "key_switching": "HYBRID",
        "notes": "encode from a numpy array; decrypt_decode = Decrypt (OpenFHE decodes inside Decrypt); "
        "rotate_8steps_hoisted_total = EvalFastRotationPrecompute + 8 EvalFastRotation",
    }
    report(ARGS.n, DEPTH, measure, QUICK if ARGS.quick else FULL, meta)


if __name__ == "__main__":
    main()
