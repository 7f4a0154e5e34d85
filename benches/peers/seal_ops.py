#!/usr/bin/env python3
"""Microsoft SEAL's CKKS operations, timed like `ckks-ops` and printed in its JSON format.

SEAL is reached through TenSEAL's low-level bindings (`tenseal.sealapi`, TenSEAL 0.3.18,
CPython 3.11; see `requirements-seal.txt`). Output: one JSON object
`{"N=8192": {op: median µs}, "N=16384": {...}, "meta": {...}}` with the op names of
`ckks-ops`; operations SEAL lacks (hoisted rotations) are absent.

Parameters per ring degree: the Q chains and the scale of the `ckks-ops` presets
(N=8192: 60+40+40 bits, N=16384: 60+7x40 bits, scale 2^40) and SEAL's own key switching,
one 60-bit special prime (one digit per Q prime). SEAL checks them against its 128-bit table.
Every operation acts on fresh top-level ciphertexts; SEAL runs one thread per operation.

    python seal_ops.py [--n 8192,16384] [--quick]
"""
import argparse
import os
import sys
import tempfile

import tenseal
import tenseal.sealapi as seal

from timing import FULL, QUICK, max_abs_error, median_micros, report, uniform_values

Q_BITS = {8192: [60, 40, 40], 16384: [60] + [40] * 7}
P_BITS = [60]
SCALE = 2.0**40
HOISTED_STEPS = range(1, 9)


def galois_element(step, n):
    """SEAL's Galois element of a left rotation by `step` slots (generator 3)."""
    return pow(3, step, 2 * n)


def saved_size(obj):
    """Bytes of SEAL's own `save` (compressed with SEAL's default, zstd)."""
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "object")
        obj.save(path)
        return os.path.getsize(path)


def measure(n, policy):
    """Times every operation at ring degree `n`; returns (op medians, meta)."""
    parms = seal.EncryptionParameters(seal.SCHEME_TYPE.CKKS)
    parms.set_poly_modulus_degree(n)
    parms.set_coeff_modulus(seal.CoeffModulus.Create(n, Q_BITS[n] + P_BITS))
    context = seal.SEALContext(parms, True, seal.SEC_LEVEL_TYPE.TC128)
    if not context.parameters_set():
        sys.exit(f"SEAL refused N={n}: {context.parameters_error_message()}")

    keygen = seal.KeyGenerator(context)
    secret = keygen.secret_key()
    public = seal.PublicKey()
    keygen.create_public_key(public)
    relin = seal.RelinKeys()
    keygen.create_relin_keys(relin)
    # The list overload that pybind picks takes Galois elements, not steps.
    rotate_one_key = seal.GaloisKeys()
    keygen.create_galois_keys([galois_element(1, n)], rotate_one_key)
    rotate_eight_keys = seal.GaloisKeys()
    keygen.create_galois_keys([galois_element(k, n) for k in HOISTED_STEPS], rotate_eight_keys)

    encoder = seal.CKKSEncoder(context)
    encryptor = seal.Encryptor(context, public, secret)
    decryptor = seal.Decryptor(context, secret)
    evaluator = seal.Evaluator(context)
    slots = encoder.slot_count()
    x = uniform_values(slots, 1)
    y = uniform_values(slots, 2)

    pt_x, pt_y = seal.Plaintext(), seal.Plaintext()
    encoder.encode(x, SCALE, pt_x)
    encoder.encode(y, SCALE, pt_y)
    ct_x, ct_y = seal.Ciphertext(), seal.Ciphertext()
    encryptor.encrypt(pt_x, ct_x)
    encryptor.encrypt(pt_y, ct_y)

    def decrypt(ciphertext):
        plain = seal.Plaintext()
        decryptor.decrypt(ciphertext, plain)
        return encoder.decode_double(plain)

    # Check the results before timing anything.
    product = seal.Ciphertext()
    evaluator.multiply(ct_x, ct_y, product)
    evaluator.relinearize_inplace(product, relin)
    evaluator.rescale_to_next_inplace(product)
    err_mult = max_abs_error(decrypt(product), [a * b for a, b in zip(x, y)])
    rotated = seal.Ciphertext()
    evaluator.rotate_vector(ct_x, 1, rotate_one_key, rotated)
    err_rot = max_abs_error(decrypt(rotated), x[1:] + x[:1])
    if max(err_mult, err_rot) > 1e-3:
        sys.exit(f"SEAL N={n}: wrong results (mult {err_mult}, rotate {err_rot})")

    ops = {}
    out_pt, out_ct = seal.Plaintext(), seal.Ciphertext()

    def time(name, call, policy=policy):
        ops[name] = median_micros(policy, call)

    time("encode", lambda: encoder.encode(x, SCALE, out_pt))
    time("encrypt_pk", lambda: encryptor.encrypt(pt_x, out_ct))
    time("encrypt_sk", lambda: encryptor.encrypt_symmetric(pt_x, out_ct))
    time("decrypt", lambda: decryptor.decrypt(ct_x, out_pt))
    decrypted = seal.Plaintext()
    decryptor.decrypt(ct_x, decrypted)
    time("decode", lambda: encoder.decode_double(decrypted))
    time("decrypt_decode", lambda: decrypt(ct_x))
    one_prime = seal.Ciphertext()
    evaluator.mod_switch_to(ct_x, context.last_parms_id(), one_prime)
    assert one_prime.coeff_modulus_size() == 1
    time("decrypt_decode_1prime", lambda: decrypt(one_prime))
    time("add", lambda: evaluator.add(ct_x, ct_y, out_ct))
    time("mult_plain", lambda: evaluator.multiply_plain(ct_x, pt_y, out_ct))
    plain_product = seal.Ciphertext()
    evaluator.multiply_plain(ct_x, pt_y, plain_product)
    time("rescale", lambda: evaluator.rescale_to_next(plain_product, out_ct))
    time("mult_ct_ct_no_relin", lambda: evaluator.multiply(ct_x, ct_y, out_ct))
    size3 = seal.Ciphertext()
    evaluator.multiply(ct_x, ct_y, size3)
    time("relinearize", lambda: evaluator.relinearize(size3, relin, out_ct))

    def mult_relin():
        evaluator.multiply(ct_x, ct_y, out_ct)
        evaluator.relinearize_inplace(out_ct, relin)

    def mult_relin_rescale():
        mult_relin()
        evaluator.rescale_to_next_inplace(out_ct)

    def rotate_eight_separately():
        for step in HOISTED_STEPS:
            evaluator.rotate_vector(ct_x, step, rotate_eight_keys, out_ct)

    time("mult_relin", mult_relin)
    time("mult_relin_rescale", mult_relin_rescale)
    time("rotate_1", lambda: evaluator.rotate_vector(ct_x, 1, rotate_one_key, out_ct))
    time("rotate_8steps_separately", rotate_eight_separately)
    slow = policy.with_min_iters(3)
    time("keygen_relin", lambda: keygen.create_relin_keys(seal.RelinKeys()), slow)
    time(
        "keygen_galois_1step",
        lambda: keygen.create_galois_keys([galois_element(1, n)], seal.GaloisKeys()),
        slow,
    )

    meta = {
        "q_bits": Q_BITS[n],
        "p_bits": P_BITS,
        "dnum": len(Q_BITS[n]),
        "log_qp": sum(Q_BITS[n]) + sum(P_BITS),
        "data_limbs_at_top": ct_x.coeff_modulus_size(),
        "slots": slots,
        "ring_degree": n,
        "max_err_mult": err_mult,
        "max_err_rot": err_rot,
        "sizes": {
            "ct_saved_bytes": saved_size(ct_x),
            "pk_saved_bytes": saved_size(public),
            "relin_key_saved_bytes": saved_size(relin),
            "galois_key_1step_saved_bytes": saved_size(rotate_one_key),
        },
    }
    return ops, meta


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", default="8192,16384", help="ring degrees, comma-separated")
    parser.add_argument("--quick", action="store_true", help="short smoke-test timing")
    args = parser.parse_args()
    meta = {
        "library": f"Microsoft SEAL via tenseal {tenseal.__version__} (tenseal.sealapi)",
        "threads": 1,
        "notes": "encode converts a Python list of N/2 floats; sizes are SEAL's save() (zstd)",
    }
    report(args.n, Q_BITS, measure, QUICK if args.quick else FULL, meta)


if __name__ == "__main__":
    main()
