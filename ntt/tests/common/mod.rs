//! Independent references shared by the integration tests.
#![allow(dead_code)]

use rand_chacha::ChaCha20Rng;
use rand_core::{RngCore, SeedableRng};
use spencnn_ntt::Isa;

/// The tiers of `tiers` this CPU has; logs the others on stderr (a skipped tier is never passed
/// silently).
pub fn available_tiers(tiers: &[Isa]) -> Vec<Isa> {
    tiers
        .iter()
        .copied()
        .filter(|isa| {
            let available = isa.is_available();
            if !available {
                eprintln!("skipping {}: not available on this CPU", isa.name());
            }
            available
        })
        .collect()
}

/// Schoolbook negacyclic product in `Z_q[X]/(X^n+1)` using plain `u128` remainders.
pub fn negacyclic_schoolbook(a: &[u64], b: &[u64], q: u64) -> Vec<u64> {
    let n = a.len();
    let q128 = u128::from(q);
    let mut out = vec![0u128; n];
    for (i, &x) in a.iter().enumerate() {
        for (j, &y) in b.iter().enumerate() {
            let product = u128::from(x) * u128::from(y) % q128;
            let k = i + j;
            if k < n {
                out[k] = (out[k] + product) % q128;
            } else {
                out[k - n] = (out[k - n] + q128 - product) % q128;
            }
        }
    }
    out.into_iter().map(|x| x as u64).collect()
}

/// A deterministic random vector of reduced residues.
pub fn random_residues(n: usize, q: u64, seed: u64) -> Vec<u64> {
    let mut rng = ChaCha20Rng::seed_from_u64(seed);
    (0..n).map(|_| rng.next_u64() % q).collect()
}
