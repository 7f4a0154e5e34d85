"""OpenFHE CKKS bootstrapping with parameters matched to `ckks-ops --bootstrap`.

Prints one JSON object in the format of `ckks-ops --bootstrap --json`:

    {"bootstrap": {"library": "openfhe", "log_n", "slots", "threads", "secret",
                   "seconds_median", "seconds_all", "precision_bits_worst", "precision_bits_mean",
                   "levels_after", "key_bytes", "key_count", "setup_seconds", "keygen_seconds"}}

Precision is -log2 of the worst absolute error over uniform [-1, 1] inputs in every slot,
over all runs (mean: -log2 of the mean absolute error). Key bytes are the serialized sizes of
the bootstrapping (automorphism) keys and the relinearization key, counted by streaming the
serialization through a pipe (nothing is written to disk).

Needs CPython 3.10 and `pip install openfhe==1.6.1.0.22.4 numpy` (see benches/peers/README.md).
The thread count is OpenFHE's OpenMP pool: run with OMP_NUM_THREADS=T (the script checks).
"""

import argparse
import json
import math
import os
import sys
import tempfile
import threading
import time

import numpy as np
import openfhe as ofhe


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--log-n", type=int, default=16)
    parser.add_argument("--log-slots", type=int, default=None, help="default: log_n - 1 (full slots)")
    parser.add_argument("--secret", choices=["uniform-ternary", "sparse-encapsulated"], default="uniform-ternary")
    parser.add_argument("--level-budget", type=int, nargs=2, default=[3, 3], metavar=("C2S", "S2C"))
    parser.add_argument("--levels-after", type=int, default=2)
    parser.add_argument("--dnum", type=int, default=4)
    parser.add_argument("--scale-bits", type=int, default=59)
    parser.add_argument("--first-bits", type=int, default=60)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--insecure", action="store_true", help="HEStd_NotSet (for small test rings)")
    parser.add_argument("--no-key-bytes", action="store_true", help="skip serializing the keys")
    return parser.parse_args()


def serialized_bytes(serialize):
    """Bytes written by `serialize(path)`, counted through a named pipe by a reader thread."""
    directory = tempfile.mkdtemp(prefix="openfhe-keys-")
    fifo = os.path.join(directory, "stream")
    os.mkfifo(fifo)
    counted = [0]

    def reader():
        with open(fifo, "rb") as stream:
            while True:
                chunk = stream.read(1 << 20)
                if not chunk:
                    break
                counted[0] += len(chunk)

    thread = threading.Thread(target=reader)
    thread.start()
    ok = serialize(fifo)
    thread.join()
    os.unlink(fifo)
    os.rmdir(directory)
    if not ok:
        raise RuntimeError("OpenFHE serialization failed")
    return counted[0]


def main():
    args = parse_args()
    threads = int(os.environ.get("OMP_NUM_THREADS", "0"))
    if threads <= 0:
        sys.exit("set OMP_NUM_THREADS to the thread count to measure")
    secret = {
        "uniform-ternary": ofhe.SecretKeyDist.UNIFORM_TERNARY,
        "sparse-encapsulated": ofhe.SecretKeyDist.SPARSE_ENCAPSULATED,
    }[args.secret]

    params = ofhe.CCParamsCKKSRNS()
    params.SetSecretKeyDist(secret)
    params.SetSecurityLevel(ofhe.SecurityLevel.HEStd_NotSet if args.insecure else ofhe.SecurityLevel.HEStd_128_classic)
    params.SetRingDim(1 << args.log_n)
    params.SetScalingModSize(args.scale_bits)
    params.SetFirstModSize(args.first_bits)
    params.SetScalingTechnique(ofhe.ScalingTechnique.FLEXIBLEAUTO)
    params.SetNumLargeDigits(args.dnum)
    budget = list(args.level_budget)
    depth = args.levels_after + ofhe.CryptoContext.GetBootstrapDepth(budget, secret)
    params.SetMultiplicativeDepth(depth)

    started = time.perf_counter()
    cc = ofhe.GenCryptoContext(params)
    for feature in (ofhe.PKESchemeFeature.PKE, ofhe.PKESchemeFeature.KEYSWITCH, ofhe.PKESchemeFeature.LEVELEDSHE,
                    ofhe.PKESchemeFeature.ADVANCEDSHE, ofhe.PKESchemeFeature.FHE):
        cc.Enable(feature)
    n = cc.GetRingDimension()
    log_slots = args.log_slots if args.log_slots is not None else args.log_n - 1
    slots = 1 << log_slots
    cc.EvalBootstrapSetup(budget, [0, 0], slots)
    setup_seconds = time.perf_counter() - started

    started = time.perf_counter()
    keys = cc.KeyGen()
    cc.EvalMultKeyGen(keys.secretKey)
    cc.EvalBootstrapKeyGen(keys.secretKey, slots)
    keygen_seconds = time.perf_counter() - started

    rng = np.random.default_rng(2026)
    seconds, worst, mean_errors, levels_after = [], 0.0, [], None
    for _ in range(args.runs):
        x = rng.uniform(-1.0, 1.0, slots)
        # Encrypted with one level above the bottom, as OpenFHE's bootstrapping examples do.
        plaintext = cc.MakeCKKSPackedPlaintext(x.tolist(), 1, depth - 1, None, slots)
        ciphertext = cc.Encrypt(keys.publicKey, plaintext)
        started = time.perf_counter()
        refreshed = cc.EvalBootstrap(ciphertext)
        seconds.append(time.perf_counter() - started)
        levels_after = depth - refreshed.GetLevel() - (refreshed.GetNoiseScaleDeg() - 1)
        decrypted = cc.Decrypt(refreshed, keys.secretKey)
        decrypted.SetLength(slots)
        errors = np.abs(np.array(decrypted.GetRealPackedValue()) - x)
        worst = max(worst, float(errors.max()))
        mean_errors.append(float(errors.mean()))

    result = {
        "library": "openfhe",
        "version": "1.6.1",
        "log_n": int(math.log2(n)),
        "slots": slots,
        "threads": threads,
        "secret": args.secret,
        "seconds_median": sorted(seconds)[len(seconds) // 2],
        "seconds_all": seconds,
        "precision_bits_worst": -math.log2(worst),
        "precision_bits_mean": -math.log2(float(np.mean(mean_errors))),
        "levels_after": levels_after,
        "setup_seconds": setup_seconds,
        "keygen_seconds": keygen_seconds,
        "params": {"depth": depth, "level_budget": budget, "dnum": args.dnum, "scale_bits": args.scale_bits,
                   "first_bits": args.first_bits},
    }
    if not args.no_key_bytes:
        automorphism = serialized_bytes(lambda path: cc.SerializeEvalAutomorphismKey(path, ofhe.BINARY))
        relin = serialized_bytes(lambda path: cc.SerializeEvalMultKey(path, ofhe.BINARY))
        result["key_bytes"] = automorphism + relin
        result["key_bytes_detail"] = {"automorphism": automorphism, "relinearization": relin}
    print(json.dumps({"bootstrap": result}))


if __name__ == "__main__":
    main()
