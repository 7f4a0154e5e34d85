//! The NTT against independent references: round trips and schoolbook negacyclic products.

mod common;

use common::{negacyclic_schoolbook, random_residues};
use proptest::prelude::*;
use spencnn_ntt::primes::generate_ntt_primes;
use spencnn_ntt::{Isa, NttError, NttPlan};

/// Plans for every available instruction set (and, for AVX-512 plans that use IFMA, the same
/// plan without it), so each kernel family is checked against the reference.
fn plans(n: usize, q: u64) -> Vec<NttPlan> {
    let mut plans = Vec::new();
    for isa in Isa::ALL {
        match NttPlan::with_isa(n, q, isa) {
            Ok(plan) => {
                if plan.uses_ifma() {
                    plans.push(plan.clone().without_ifma());
                }
                plans.push(plan);
            }
            Err(NttError::IsaUnavailable { isa }) => eprintln!("skipping {isa}: not available on this CPU"),
            Err(e) => panic!("plan construction failed: {e}"),
        }
    }
    plans
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn product_of_transforms_is_the_negacyclic_product(
        log_n in 4u32..=8, bits in prop::sample::select(vec![20u32, 36, 49, 50, 51, 60, 61, 62]), seed in any::<u64>()
    ) {
        let n = 1usize << log_n;
        let q = generate_ntt_primes(bits, n, 1).unwrap()[0];
        let a = random_residues(n, q, seed);
        let b = random_residues(n, q, seed ^ 0x9e37_79b9_7f4a_7c15);
        let expected = negacyclic_schoolbook(&a, &b, q);
        for plan in plans(n, q) {
            let (mut fa, mut fb) = (a.clone(), b.clone());
            plan.forward(&mut fa).unwrap();
            plan.forward(&mut fb).unwrap();
            prop_assert!(fa.iter().chain(&fb).all(|&x| x < q), "forward output must be reduced");
            let mut product: Vec<u64> = fa.iter().zip(&fb).map(|(&x, &y)| plan.modulus().mul(x, y)).collect();
            plan.inverse(&mut product).unwrap();
            prop_assert_eq!(&product, &expected, "isa {:?} ifma {}", plan.isa(), plan.uses_ifma());
        }
    }

    #[test]
    fn round_trip_is_identity(log_n in 4u32..=17, bits in prop::sample::select(vec![30u32, 40, 50, 51, 60, 61, 62]), seed in any::<u64>()) {
        let n = 1usize << log_n;
        let q = generate_ntt_primes(bits, n, 1).unwrap()[0];
        let a = random_residues(n, q, seed);
        for plan in plans(n, q) {
            let mut values = a.clone();
            plan.forward(&mut values).unwrap();
            plan.inverse(&mut values).unwrap();
            prop_assert_eq!(&values, &a, "isa {:?} ifma {}", plan.isa(), plan.uses_ifma());
        }
    }

    #[test]
    fn lazy_transforms_respect_their_ranges(log_n in 4u32..=12, seed in any::<u64>()) {
        let n = 1usize << log_n;
        let q = generate_ntt_primes(61, n, 1).unwrap()[0];
        // Inputs anywhere in [0, 4q) for forward_lazy, [0, 2q) for inverse_lazy.
        let wide: Vec<u64> = random_residues(n, q, seed).iter().enumerate().map(|(i, &x)| x + (i as u64 % 4) * q).collect();
        for plan in plans(n, q) {
            let mut values = wide.clone();
            plan.forward_lazy(&mut values).unwrap();
            prop_assert!(values.iter().all(|&x| x < 4 * q));
            let mut reference = wide.iter().map(|&x| x % q).collect::<Vec<_>>();
            plan.forward(&mut reference).unwrap();
            prop_assert_eq!(values.iter().map(|&x| x % q).collect::<Vec<_>>(), reference.clone());
            let mut back: Vec<u64> = reference.iter().enumerate().map(|(i, &x)| x + (i as u64 % 2) * q).collect();
            plan.inverse_lazy(&mut back).unwrap();
            prop_assert!(back.iter().all(|&x| x < 2 * q));
            let back_reduced: Vec<u64> = back.iter().map(|&x| x % q).collect();
            prop_assert_eq!(back_reduced, wide.iter().map(|&x| x % q).collect::<Vec<_>>());
        }
    }
}

#[test]
fn evaluation_points_follow_the_documented_order() {
    // Output slot i must hold a(psi^(2*bitrev(i)+1)).
    let n = 64;
    let q = generate_ntt_primes(50, n, 1).unwrap()[0];
    let a = random_residues(n, q, 7);
    let plan = NttPlan::new(n, q).unwrap();
    let m = plan.modulus();
    let mut values = a.clone();
    plan.forward(&mut values).unwrap();
    for (i, &value) in values.iter().enumerate() {
        let point = m.pow(plan.psi(), 2 * spencnn_ntt::bit_reverse(i, 6) as u64 + 1);
        let evaluation = a.iter().rev().fold(0, |acc, &c| m.add(m.mul(acc, point), c));
        assert_eq!(value, evaluation, "slot {i}");
    }
}

#[test]
fn plan_construction_rejects_bad_parameters() {
    let q = generate_ntt_primes(50, 1024, 1).unwrap()[0];
    assert_eq!(NttPlan::new(1000, q).unwrap_err(), NttError::DegreeNotPowerOfTwo { n: 1000 });
    assert_eq!(NttPlan::new(8, q).unwrap_err(), NttError::DegreeOutOfRange { n: 8, min: 16, max: 131_072 });
    assert_eq!(NttPlan::new(1 << 18, q).unwrap_err(), NttError::DegreeOutOfRange { n: 1 << 18, min: 16, max: 131_072 });
    assert_eq!(NttPlan::new(1024, q + 1).unwrap_err(), NttError::EvenModulus { q: q + 1 });
    assert_eq!(NttPlan::new(1024, 97).unwrap_err(), NttError::ModulusNotNttFriendly { q: 97, two_n: 2048 });
    assert_eq!(NttPlan::new(1024, 2049 * 3).unwrap_err(), NttError::ModulusNotPrime { q: 2049 * 3 });
    assert_eq!(
        NttPlan::new(1024, 1 << 62 | 1).unwrap_err(),
        NttError::ModulusOutOfRange { q: 1 << 62 | 1, max_bits: 62 }
    );
    // q = 1 mod 1024 but not mod 2048 (n = 1024 needs 2n | q - 1).
    let half_friendly = generate_ntt_primes(40, 512, 64).unwrap().into_iter().find(|q| q % 2048 != 1).unwrap();
    assert_eq!(
        NttPlan::new(1024, half_friendly).unwrap_err(),
        NttError::ModulusNotNttFriendly { q: half_friendly, two_n: 2048 }
    );
}

#[test]
fn wrong_slice_lengths_are_errors() {
    let q = generate_ntt_primes(40, 1024, 1).unwrap()[0];
    let plan = NttPlan::new(1024, q).unwrap();
    let mut short = vec![0u64; 1023];
    let expected = NttError::LengthMismatch { expected: 1024, actual: 1023 };
    assert_eq!(plan.forward(&mut short), Err(expected.clone()));
    assert_eq!(plan.inverse(&mut short), Err(expected.clone()));
    assert_eq!(plan.forward_lazy(&mut short), Err(expected.clone()));
    assert_eq!(plan.inverse_lazy(&mut short), Err(expected));
}
