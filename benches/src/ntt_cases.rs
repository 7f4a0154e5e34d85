//! The NTT benchmark cases: the primes, the sizes, and one list of cases (each a group of
//! contenders timed on the same data), used by both the criterion benchmark (`benches/ntt.rs`)
//! and the interleaved comparison binary (`ntt-compare`).

use std::hint::black_box;

use spencnn_ntt::{GaloisPermutation, Modulus, NttPlan, automorphism_coefficients, vector};

/// The benchmark primes, as `(bits, q)`: the largest below 2^50 and 2^60 with
/// `q ≡ 1 mod 2^17`, so one prime serves every ring degree up to 2^16.
pub const PRIMES: [(u32, u64); 2] = [(50, 1_125_899_903_827_969), (60, 1_152_921_504_606_584_833)];

/// Ring degrees of the full matrix (and of `ntt-compare`): `2^12 ..= 2^16`.
pub const LOG_SIZES: [u32; 5] = [12, 13, 14, 15, 16];

/// Products summed by one multiply-accumulate call (the `mac` group).
pub const MAC_TERMS: usize = 8;

/// The Galois element used by the `automorphism` group (a rotation by one slot, `5`).
pub const GALOIS_ELEMENT: u64 = 5;

/// One timed routine. It mutates buffers it owns, so repeated calls keep working.
pub struct Contender {
    /// `spencnn`, `tfhe-ntt`, or a variant name such as `spencnn-lazy`.
    pub name: &'static str,
    /// The routine.
    pub run: Box<dyn FnMut()>,
}

/// A benchmark group: routines that compute the same thing, named `op/n/bits`.
pub struct Case {
    /// The operation (`ntt-forward`, `ntt-inverse`, `mul`, `mac`, `automorphism`).
    pub op: &'static str,
    /// Ring degree.
    pub n: usize,
    /// Prime size in bits.
    pub bits: u32,
    /// The routines, ours first.
    pub contenders: Vec<Contender>,
}

impl Case {
    /// The criterion group name, e.g. `ntt-forward/16384/60`.
    pub fn group_name(&self) -> String {
        format!("{}/{}/{}", self.op, self.n, self.bits)
    }
}

/// A deterministic pseudo-random vector of residues (SplitMix64).
pub fn residues(n: usize, q: u64, seed: u64) -> Vec<u64> {
    let mut state = seed;
    (0..n)
        .map(|_| {
            state = state.wrapping_add(0x9e37_79b9_7f4a_7c15);
            let mut z = state;
            z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
            z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
            (z ^ (z >> 31)) % q
        })
        .collect()
}

fn contender(name: &'static str, run: impl FnMut() + 'static) -> Contender {
    Contender { name, run: Box::new(run) }
}

/// Every benchmark case for one degree and prime. Each case checks once that its contenders
/// agree before they are timed, so a benchmark never times a wrong result.
///
/// # Panics
/// When a plan cannot be built or two contenders disagree.
pub fn cases(n: usize, bits: u32, q: u64) -> Vec<Case> {
    let plan = NttPlan::new(n, q).expect("spencnn plan");
    let peer = tfhe_ntt::prime64::Plan::try_new(n, q).expect("tfhe-ntt plan");
    let modulus = *plan.modulus();
    let a = residues(n, q, 1);
    let b = residues(n, q, 2);
    check_agreement(&plan, &peer, &a, &b);
    let mut all = Vec::new();

    let (p, mut x) = (plan.clone(), a.clone());
    let (pl, mut xl) = (plan.clone(), a.clone());
    let (pw, mut xw) = (plan.clone().without_ifma(), a.clone());
    let (t, mut y) = (peer.clone(), a.clone());
    all.push(Case {
        op: "ntt-forward",
        n,
        bits,
        contenders: vec![
            contender("spencnn", move || p.forward(black_box(&mut x)).unwrap()),
            // Output in [0, 4q), a valid input of the next call.
            contender("spencnn-lazy", move || pl.forward_lazy(black_box(&mut xl)).unwrap()),
            // The kernels of CPUs without AVX-512 IFMA (the same as `spencnn` when IFMA is absent).
            contender("spencnn-no-ifma", move || pw.forward(black_box(&mut xw)).unwrap()),
            contender("tfhe-ntt", move || t.fwd(black_box(&mut y))),
        ],
    });
    let (p, mut x) = (plan.clone(), a.clone());
    let (pw, mut xw) = (plan.clone().without_ifma(), a.clone());
    let (t, mut y) = (peer.clone(), a.clone());
    all.push(Case {
        op: "ntt-inverse",
        n,
        bits,
        contenders: vec![
            contender("spencnn", move || p.inverse(black_box(&mut x)).unwrap()),
            contender("spencnn-no-ifma", move || pw.inverse(black_box(&mut xw)).unwrap()),
            contender("tfhe-ntt", move || {
                t.inv(black_box(&mut y));
                t.normalize(&mut y);
            }),
        ],
    });

    let (mut x, bx) = (a.clone(), b.clone());
    let (mut xs, bs, bs_shoup) = (a.clone(), b.clone(), vector::shoup_companions(&b, &modulus));
    let (t, mut y, by) = (peer.clone(), a.clone(), b.clone());
    all.push(Case {
        op: "mul",
        n,
        bits,
        contenders: vec![
            contender("spencnn", move || vector::mul_assign(black_box(&mut x), &bx, &modulus).unwrap()),
            contender("spencnn-shoup", move || {
                vector::mul_shoup_assign(black_box(&mut xs), &bs, &bs_shoup, &modulus).unwrap()
            }),
            contender("tfhe-ntt", move || t.mul_assign_normalize(black_box(&mut y), &by)),
        ],
    });

    let lhs: Vec<Vec<u64>> = (0..MAC_TERMS).map(|i| residues(n, q, 10 + i as u64)).collect();
    let rhs: Vec<Vec<u64>> = (0..MAC_TERMS).map(|i| residues(n, q, 100 + i as u64)).collect();
    let (shoup_lhs, shoup_rhs, mut shoup_acc) = (lhs.clone(), rhs.clone(), a.clone());
    let shoup_companions: Vec<Vec<u64>> = rhs.iter().map(|r| vector::shoup_companions(r, &modulus)).collect();
    let (ours_lhs, ours_rhs, mut acc) = (lhs.clone(), rhs.clone(), a.clone());
    let (t, mut peer_acc) = (peer.clone(), a.clone());
    all.push(Case {
        op: "mac",
        n,
        bits,
        contenders: vec![
            contender("spencnn", move || {
                let pairs: Vec<(&[u64], &[u64])> =
                    ours_lhs.iter().zip(&ours_rhs).map(|(l, r)| (l.as_slice(), r.as_slice())).collect();
                vector::multiply_accumulate(black_box(&mut acc), &pairs, &modulus).unwrap();
            }),
            // Fixed right operands with precomputed Shoup companions (weights, keys).
            contender("spencnn-shoup", move || {
                let terms: Vec<(&[u64], &[u64], &[u64])> = shoup_lhs
                    .iter()
                    .zip(&shoup_rhs)
                    .zip(&shoup_companions)
                    .map(|((l, r), c)| (l.as_slice(), r.as_slice(), c.as_slice()))
                    .collect();
                vector::multiply_accumulate_shoup(black_box(&mut shoup_acc), &terms, &modulus).unwrap();
            }),
            contender("tfhe-ntt", move || {
                for (l, r) in lhs.iter().zip(&rhs) {
                    t.mul_accumulate(black_box(&mut peer_acc), l, r);
                }
            }),
        ],
    });

    let permutation = GaloisPermutation::new(n, GALOIS_ELEMENT).expect("Galois permutation");
    let source = permutation.source_indices().to_vec();
    let (input, mut output) = (a.clone(), vec![0u64; n]);
    let (coefficient_input, mut coefficient_output) = (a.clone(), vec![0u64; n]);
    let (gather_input, mut gather_output) = (a, vec![0u64; n]);
    all.push(Case {
        op: "automorphism",
        n,
        bits,
        contenders: vec![
            contender("spencnn", move || permutation.apply(black_box(&input), &mut output).unwrap()),
            contender("spencnn-coefficients", move || {
                automorphism_coefficients(
                    black_box(&coefficient_input),
                    &mut coefficient_output,
                    GALOIS_ELEMENT,
                    &modulus,
                )
                .unwrap()
            }),
            contender("plain-gather", move || {
                for (out, &s) in gather_output.iter_mut().zip(&source) {
                    *out = black_box(&gather_input)[s as usize];
                }
            }),
        ],
    });
    all
}

/// Checks that our transforms and products agree with tfhe-ntt's on the same data.
fn check_agreement(plan: &NttPlan, peer: &tfhe_ntt::prime64::Plan, a: &[u64], b: &[u64]) {
    let modulus: &Modulus = plan.modulus();
    let (mut ours, mut theirs) = (a.to_vec(), a.to_vec());
    plan.forward(&mut ours).unwrap();
    peer.fwd(&mut theirs);
    // Both produce the same multiset of evaluations, in possibly different orders.
    let (mut sorted_ours, mut sorted_theirs) = (ours.clone(), theirs.clone());
    sorted_ours.sort_unstable();
    sorted_theirs.sort_unstable();
    assert_eq!(sorted_ours, sorted_theirs, "forward transforms disagree");
    plan.inverse(&mut ours).unwrap();
    peer.inv(&mut theirs);
    peer.normalize(&mut theirs);
    assert_eq!(ours, a, "spencnn round trip");
    assert_eq!(theirs, a, "tfhe-ntt round trip");
    let mut product = a.to_vec();
    vector::mul_assign(&mut product, b, modulus).unwrap();
    let expected: Vec<u64> = a.iter().zip(b).map(|(&x, &y)| modulus.mul(x, y)).collect();
    assert_eq!(product, expected, "mul_assign");
}
