//! Criterion benchmarks of the CKKS operations of `spencnn-ckks`, one benchmark per
//! `op/N/level` (ring degree, then the level of the operands: level ℓ holds ℓ + 1 Q primes), e.g.
//! `rotate_1/16384/8`. The op names are those of `ckks-ops` and of the peer scripts, so a
//! figure here can be put next to SEAL's and OpenFHE's. Operands are full-slot vectors at the
//! level; keys are generated at the top level. The presets and levels come from
//! `spencnn_benches::matrix` (the top level of `N = 2^13` and `2^14` by default;
//! `SPENCNN_BENCH_FULL=1` adds `2^15` and lower levels).
//!
//! | op | what one iteration does |
//! |---|---|
//! | `encode` | encode `N/2` real values at the level |
//! | `encrypt_pk`, `encrypt_sk` | encrypt a plaintext with the public / secret key |
//! | `decrypt_decode` | decrypt and decode to `N/2` real values |
//! | `add` | ciphertext + ciphertext |
//! | `mult_plain` | ciphertext × plaintext (no rescale) |
//! | `mult_relin` | ciphertext × ciphertext, then relinearize |
//! | `rescale` | rescale a product (levels ≥ 1) |
//! | `rotate_1` | rotate by one slot (one key switch) |
//! | `hoist_precompute` | the shared decomposition of hoisted rotations |
//! | `rotate_8steps_hoisted_total` | hoist once, then rotate by 1..8 |
//! | `keygen_relin`, `keygen_galois_1step` | one relinearization key / one Galois key |
//!
//! `cargo bench -p spencnn-benches --bench ckks [-- <filter>]`

use criterion::Criterion;
use spencnn_benches::ckks_fixture::{CkksKeys, ROTATION_STEPS};
use spencnn_benches::matrix;
use spencnn_ckks::Conjugation;

fn ckks_benchmarks(c: &mut Criterion) {
    for preset in matrix::ckks_presets() {
        let mut keys = CkksKeys::new(preset).expect("preset keys");
        let (n, top) = (keys.n(), keys.top_level());
        for level in matrix::ckks_levels(top) {
            let operands = keys.operands(level).expect("operands");
            let CkksKeys { encoder, encryptor, eval, decryptor, ctx, sk, pk, rlk, galois, .. } = &mut keys;
            let (slots, scale) = (ctx.params().max_slots(), ctx.params().default_scale());
            let (x, pt_x, pt_y, ct_x, ct_y) =
                (&operands.x, &operands.pt_x, &operands.pt_y, &operands.ct_x, &operands.ct_y);
            let name = |op: &str| format!("{op}/{n}/{level}");

            c.bench_function(&name("encode"), |b| b.iter(|| encoder.encode_real(x, slots, level, scale).unwrap()));
            c.bench_function(&name("encrypt_pk"), |b| b.iter(|| encryptor.encrypt(pt_x, pk).unwrap()));
            c.bench_function(&name("encrypt_sk"), |b| b.iter(|| encryptor.encrypt_symmetric(pt_x, sk).unwrap()));
            c.bench_function(&name("decrypt_decode"), |b| {
                b.iter(|| encoder.decode_real(&decryptor.decrypt(ct_x, sk).unwrap()).unwrap())
            });
            c.bench_function(&name("add"), |b| b.iter(|| eval.add(ct_x, ct_y).unwrap()));
            c.bench_function(&name("mult_plain"), |b| b.iter(|| eval.multiply_plain(ct_x, pt_y).unwrap()));
            c.bench_function(&name("mult_relin"), |b| b.iter(|| eval.multiply_relin(ct_x, ct_y, rlk).unwrap()));
            if level >= 1 {
                let product = eval.multiply_plain(ct_x, pt_y).unwrap();
                c.bench_function(&name("rescale"), |b| b.iter(|| eval.rescale(&product).unwrap()));
            }
            c.bench_function(&name("rotate_1"), |b| b.iter(|| eval.rotate(ct_x, 1, galois).unwrap()));
            c.bench_function(&name("hoist_precompute"), |b| b.iter(|| eval.hoist(ct_x).unwrap()));
            c.bench_function(&name("rotate_8steps_hoisted_total"), |b| {
                b.iter(|| {
                    let hoisted = eval.hoist(ct_x).unwrap();
                    ROTATION_STEPS.map(|step| eval.rotate_hoisted(&hoisted, step, galois).unwrap())
                })
            });
        }
        let CkksKeys { keygen, sk, .. } = &mut keys;
        c.bench_function(&format!("keygen_relin/{n}/{top}"), |b| b.iter(|| keygen.relin_key(sk).unwrap()));
        c.bench_function(&format!("keygen_galois_1step/{n}/{top}"), |b| {
            b.iter(|| keygen.galois_keys(sk, &[1], Conjugation::Exclude).unwrap())
        });
    }
}

fn main() {
    let mut criterion = matrix::criterion();
    ckks_benchmarks(&mut criterion);
    criterion.final_summary();
}
