//! Encoded sizes of serialized objects, computed from the parameters alone: what a receiver
//! passes as `max_bytes` before anything arrives (e.g. the exact size of the keys it expects).
//! Levels follow the crate's convention (level `ℓ` has the `ℓ + 1` primes `q_0, …, q_ℓ`).

use super::codec::residue_width;
use super::{HEADER_LEN, SerializedForm};
use crate::params::Parameters;

/// Encoded length of a polynomial with the first `q_limbs` Q primes and `p_limbs` P primes
/// (both clamped to the parameters' counts).
fn polynomial(params: &Parameters, q_limbs: usize, p_limbs: usize) -> usize {
    let q = params.q_primes().iter().take(q_limbs);
    let p = params.p_primes().iter().take(p_limbs);
    q.chain(p).map(|&prime| params.n() * residue_width(prime)).sum()
}

/// [`crate::Ciphertext::to_bytes`] of a ciphertext with `size` polynomials at `level`.
pub fn ciphertext(params: &Parameters, level: usize, size: usize) -> usize {
    HEADER_LEN + 2 + 1 + 4 + 8 + size * polynomial(params, level + 1, 0)
}

/// [`crate::Ciphertext::to_seeded_bytes`] of a fresh ciphertext at `level`.
pub fn seeded_ciphertext(params: &Parameters, level: usize) -> usize {
    HEADER_LEN + 2 + 4 + 8 + 32 + polynomial(params, level + 1, 0)
}

/// The body of a switching key at `level`: the level, the seed, and per digit `b_j` (and `a_j`
/// in full form) over `Q_ℓ·P`.
pub(crate) fn switching_key_body(params: &Parameters, level: usize, form: SerializedForm) -> usize {
    let polys = match form {
        SerializedForm::Full => 2,
        SerializedForm::Seeded => 1,
    };
    2 + 32 + params.digits_at_level(level) * polys * polynomial(params, level + 1, params.p_primes().len())
}

/// [`crate::RelinKey::to_bytes`] (`form` full) or `to_seeded_bytes` (seeded) of a key at `level`.
pub fn relin_key(params: &Parameters, level: usize, form: SerializedForm) -> usize {
    HEADER_LEN + switching_key_body(params, level, form)
}

/// [`crate::GaloisKeys::to_bytes`] (`form` full) or `to_seeded_bytes` (seeded) of keys at the
/// given levels.
pub fn galois_keys(params: &Parameters, levels: impl IntoIterator<Item = usize>, form: SerializedForm) -> usize {
    HEADER_LEN + 4 + levels.into_iter().map(|level| 8 + switching_key_body(params, level, form)).sum::<usize>()
}
