//! The uniform sampler against `rand_chacha`'s ChaCha20 (the reference the key formats were
//! defined with) on every instruction set of this CPU; a tier this CPU lacks is skipped with a
//! message on stderr.

mod common;

use proptest::prelude::*;
use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use spencnn_ntt::Isa;
use spencnn_ntt::uniform::{UniformSampler, keystream_batch_with_isa};

fn tiers() -> Vec<Isa> {
    common::available_tiers(&Isa::ALL)
}

/// The rejection loop of the definition, on `rand_chacha`.
fn reference(seed: [u8; 32], stream: u64, q: u64, count: usize) -> Vec<u64> {
    let mut rng = ChaCha20Rng::from_seed(seed);
    rng.set_stream(stream);
    let mask = u64::MAX >> q.leading_zeros();
    (0..count)
        .map(|_| {
            loop {
                let candidate = rng.next_u64() & mask;
                if candidate < q {
                    break candidate;
                }
            }
        })
        .collect()
}

#[test]
fn keystream_matches_rand_chacha_across_the_low_counter_word() {
    let seed = [0x5a; 32];
    // Blocks 2^32 − 5 … 2^32 + 10: the low counter word wraps inside the batch.
    let counter = (1u64 << 32) - 5;
    let mut rng = ChaCha20Rng::from_seed(seed);
    rng.set_stream(9);
    rng.set_word_pos(u128::from(counter) * 16);
    let expected: Vec<u64> = (0..128).map(|_| rng.next_u64()).collect();
    for isa in tiers() {
        let words = keystream_batch_with_isa(&seed, 9, counter, isa).unwrap();
        assert_eq!(words.to_vec(), expected, "{}", isa.name());
    }
}

#[test]
fn tiers_agree_where_the_whole_counter_wraps() {
    let seed = [3; 32];
    let scalar = keystream_batch_with_isa(&seed, 1, u64::MAX - 6, Isa::Scalar).unwrap();
    for isa in tiers() {
        assert_eq!(keystream_batch_with_isa(&seed, 1, u64::MAX - 6, isa).unwrap(), scalar, "{}", isa.name());
    }
}

#[test]
fn refuses_moduli_outside_the_range() {
    for q in [0, 1, 1 << 63, u64::MAX] {
        assert!(UniformSampler::new(&[0; 32], 0, q).is_err(), "{q}");
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]

    /// Any modulus (acceptance rates from 1/2 to 1), any stream, chunked fills of any sizes.
    #[test]
    fn residues_match_the_definition(
        seed in any::<[u8; 32]>(),
        stream in any::<u64>(),
        bits in 2u32..63,
        offset in any::<u64>(),
        chunks in prop::collection::vec(0usize..700, 1..6),
    ) {
        let top = 1u64 << (bits - 1);
        let q = top + offset % top;
        let total: usize = chunks.iter().sum();
        let expected = reference(seed, stream, q, total);
        for isa in tiers() {
            let mut sampler = UniformSampler::with_isa(&seed, stream, q, isa).unwrap();
            let mut got = Vec::with_capacity(total);
            for &len in &chunks {
                let mut chunk = vec![0u64; len];
                sampler.fill(&mut chunk);
                got.extend(chunk);
            }
            prop_assert_eq!(&got, &expected, "{}", isa.name());
        }
    }
}
