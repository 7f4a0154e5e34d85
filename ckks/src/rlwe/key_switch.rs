//! Hybrid key switching (the gadget product) as named steps, and the Galois automorphisms
//! built on it.
//!
//! A [`SwitchingKey`] from `s'` to `s` turns a polynomial `c` (in NTT form, Q limbs only) into
//! a pair `(u_0, u_1)` with `u_0 + u_1·s ≈ c·s'`, in three steps:
//!
//! 1. [`Decomposition::new`]: split `c` into digits and extend each digit to `Q_ℓ·P` (mod-up).
//!    This is the expensive, key-independent part.
//! 2. [`key_switch_extended`]: the inner product of the digits with the key, over `Q_ℓ·P`. The
//!    pair it returns decrypts to `P·c·s'` (plus the key-switching noise).
//! 3. [`mod_down`]: the division by `P` with rounding, back to `Q_ℓ`.
//!
//! [`key_switch`] runs the three; [`key_switch_hoisted`] runs steps 2 and 3 on a
//! decomposition computed once and reused for many keys (hoisting). For a rotation or a
//! conjugation `σ_g` of a ciphertext `(c_0, c_1)`, [`automorphism_hoisted`] switches `c_1`
//! with the (pre-permuted, see [`GaloisKey`]) key of `g`, adds `c_0` and applies `σ_g`;
//! [`automorphism_hoisted_extended`] stops before the mod-down, so that sums of many rotated
//! ciphertexts (double hoisting) pay one mod-down in total: it returns `P·σ_g(c_0 + c_1·s)`
//! over `Q_ℓ·P`, which [`mod_down`] brings back exactly because `P·y` is divisible by `P`.
//!
//! Every polynomial and key must belong to the context's parameters; the functions check
//! shapes (limb counts, degree, key level) and return typed errors, never panic.

use super::context::Context;
use super::decomposition::Decomposition;
use super::evaluation_keys::GaloisKey;
use super::switching_key::SwitchingKey;
use crate::error::CkksError;
use crate::ring::{Ntt, RnsPoly, sampling};

/// Checks that `poly` has degree `N`, `1..=L` Q limbs, and `p_limbs` P limbs.
pub(crate) fn check_basis(
    ctx: &Context,
    poly: &RnsPoly<Ntt>,
    p_limbs: usize,
    expected: &'static str,
) -> Result<(), CkksError> {
    let ring = ctx.ring();
    let valid =
        poly.n() == ring.n() && (1..=ring.q_count()).contains(&poly.q_limb_count()) && poly.p_limb_count() == p_limbs;
    if valid {
        Ok(())
    } else {
        Err(CkksError::UnexpectedBasis {
            n: poly.n(),
            q_limbs: poly.q_limb_count(),
            p_limbs: poly.p_limb_count(),
            expected,
        })
    }
}

/// Coefficients per chunk of a compact key's uniform part expanded at a time: the chunk of
/// every digit's expansion and of every digit (`2·dnum·8` KiB at most) stays in L2 next to
/// the accumulator.
const EXPANSION_CHUNK: usize = 1024;

/// Step 2: `(Σ_j d_j ⊙ b_j, Σ_j d_j ⊙ a_j)` over `Q_ℓ·P` for the digits `d_j` of
/// `decomposition` and the key's pairs `(b_j, a_j)`, with one delayed reduction per limb. The
/// result decrypts to `P·c·s'` under `s`, where `c` is the decomposed polynomial and the key
/// switches from `s'` to `s`.
///
/// With a compact key ([`KeyStorage::Compact`](super::KeyStorage)) the `a_j` are expanded
/// from their seed limb by limb, in chunks of 1024 coefficients, straight into
/// the multiply-accumulate: the result is bit-identical, and no key-sized buffer is allocated.
///
/// # Errors
/// [`CkksError::KeyLevelTooLow`] when the key was made for fewer primes than the
/// decomposition has; [`CkksError::UnexpectedBasis`] when the key or decomposition does not
/// match the context's ring.
pub fn key_switch_extended(
    ctx: &Context,
    decomposition: &Decomposition,
    key: &SwitchingKey,
) -> Result<[RnsPoly<Ntt>; 2], CkksError> {
    let ring = ctx.ring();
    let q_limbs = decomposition.q_limb_count();
    key.check_covers(ctx, q_limbs)?;
    for digit in decomposition.digits() {
        check_basis(ctx, digit, ring.p_count(), "a decomposition digit over Q_l·P")?;
    }
    let mut out =
        [RnsPoly::<Ntt>::zero(ring, q_limbs, ring.p_count()), RnsPoly::<Ntt>::zero(ring, q_limbs, ring.p_count())];
    let [b_sum, a_sum] = &mut out;
    accumulate_stored(ctx, decomposition, key.q_limb_count(), key.b_parts(), b_sum)?;
    match key.a_parts() {
        Some(a_parts) => accumulate_stored(ctx, decomposition, key.q_limb_count(), a_parts, a_sum)?,
        None => accumulate_expanded(ctx, decomposition, key, a_sum)?,
    }
    Ok(out)
}

/// `acc += Σ_j d_j ⊙ parts_j` for key parts held in memory over `key_q_limbs` Q primes.
fn accumulate_stored(
    ctx: &Context,
    decomposition: &Decomposition,
    key_q_limbs: usize,
    parts: &[RnsPoly<Ntt>],
    acc: &mut RnsPoly<Ntt>,
) -> Result<(), CkksError> {
    let ring = ctx.ring();
    let q_limbs = decomposition.q_limb_count();
    for i in 0..acc.limb_count() {
        // The key's limb of the same prime: its Q limbs first, then P.
        let key_limb = if i < q_limbs { i } else { key_q_limbs + (i - q_limbs) };
        let pairs: Vec<(&[u64], &[u64])> =
            decomposition.digits().iter().zip(parts).map(|(d, part)| (d.limb(i), part.limb(key_limb))).collect();
        spencnn_ntt::vector::multiply_accumulate(acc.limb_mut(i), &pairs, ring.modulus(ring.prime_index(q_limbs, i)))?;
    }
    Ok(())
}

/// `acc += Σ_j d_j ⊙ a_j` with the `a_j` of a compact key expanded chunk by chunk: digit `j`'s
/// limb of prime `p` is the stream `p` of the digit's seed (see `sampling::uniform_from_seed`),
/// which does not depend on the key's level.
fn accumulate_expanded(
    ctx: &Context,
    decomposition: &Decomposition,
    key: &SwitchingKey,
    acc: &mut RnsPoly<Ntt>,
) -> Result<(), CkksError> {
    let ring = ctx.ring();
    let (q_limbs, digits) = (decomposition.q_limb_count(), decomposition.digits());
    let chunk = EXPANSION_CHUNK.min(ring.n());
    let mut expanded = vec![0u64; digits.len() * chunk];
    for i in 0..acc.limb_count() {
        let prime = ring.prime_index(q_limbs, i);
        let mut samplers: Vec<_> =
            (0..digits.len()).map(|j| sampling::uniform_limb_sampler(key.digit_seed(j), ring, prime)).collect();
        for (start, acc_chunk) in (0..ring.n()).step_by(chunk).zip(acc.limb_mut(i).chunks_exact_mut(chunk)) {
            for (sampler, part) in samplers.iter_mut().zip(expanded.chunks_exact_mut(chunk)) {
                sampler.fill(part);
            }
            let pairs: Vec<(&[u64], &[u64])> = digits
                .iter()
                .zip(expanded.chunks_exact(chunk))
                .map(|(d, part)| (&d.limb(i)[start..start + chunk], part))
                .collect();
            spencnn_ntt::vector::multiply_accumulate(acc_chunk, &pairs, ring.modulus(prime))?;
        }
    }
    Ok(())
}

/// Step 3: `round(poly / P)` over the Q limbs, dropping the P limbs (exact division with
/// rounding, in NTT form).
///
/// # Errors
/// [`CkksError::UnexpectedBasis`] unless `poly` has every P limb.
pub fn mod_down(ctx: &Context, poly: &mut RnsPoly<Ntt>) -> Result<(), CkksError> {
    check_basis(ctx, poly, ctx.ring().p_count(), "a polynomial over Q_l·P")?;
    ctx.mod_down().apply(ctx.ring(), poly);
    Ok(())
}

/// Steps 2 and 3 on a decomposition computed once (hoisting): the pair `(u_0, u_1)` over `Q_ℓ`
/// with `u_0 + u_1·s ≈ c·s'`.
///
/// # Errors
/// As [`key_switch_extended`].
pub fn key_switch_hoisted(
    ctx: &Context,
    decomposition: &Decomposition,
    key: &SwitchingKey,
) -> Result<[RnsPoly<Ntt>; 2], CkksError> {
    let mut pair = key_switch_extended(ctx, decomposition, key)?;
    for poly in &mut pair {
        mod_down(ctx, poly)?;
    }
    Ok(pair)
}

/// The whole key switch of `c` (NTT form, Q limbs only): decompose, inner product with the
/// key, mod-down. Returns `(u_0, u_1)` over the same primes as `c` with `u_0 + u_1·s ≈ c·s'`.
///
/// # Errors
/// [`CkksError::UnexpectedBasis`] when `c` has P limbs or does not match the context;
/// otherwise as [`key_switch_extended`].
pub fn key_switch(ctx: &Context, c: &RnsPoly<Ntt>, key: &SwitchingKey) -> Result<[RnsPoly<Ntt>; 2], CkksError> {
    key_switch_hoisted(ctx, &Decomposition::new(ctx, c)?, key)
}

/// `P·c` over `Q_ℓ·P` for `c` over `Q_ℓ`: its P limbs are zero, its Q limbs are `[P]_{q_i}·c`.
/// The extended form of a term that needs no key switch (e.g. the step-0 rotation).
///
/// # Errors
/// [`CkksError::UnexpectedBasis`] when `c` has P limbs or does not match the context.
pub fn lift_to_extended(ctx: &Context, c: &RnsPoly<Ntt>) -> Result<RnsPoly<Ntt>, CkksError> {
    let ring = ctx.ring();
    check_basis(ctx, c, 0, "a polynomial over Q_l")?;
    let mut lifted = RnsPoly::zero(ring, c.q_limb_count(), ring.p_count());
    add_special_modulus_times(ctx, &mut lifted, c);
    Ok(lifted)
}

/// `target += [P]_{q_i}·source` on the Q limbs of `source` (shapes checked by the callers).
fn add_special_modulus_times(ctx: &Context, target: &mut RnsPoly<Ntt>, source: &RnsPoly<Ntt>) {
    let ring = ctx.ring();
    let mut scaled = crate::ring::Scratch::zeroed(ring.n());
    for i in 0..source.q_limb_count() {
        let m = ring.modulus(i);
        scaled.copy_from_slice(source.limb(i));
        spencnn_ntt::vector::mul_scalar_assign(&mut scaled, ctx.special_modulus_mod_q(i), m);
        spencnn_ntt::vector::add_assign(target.limb_mut(i), &scaled, m).expect("limbs of the ring degree");
    }
}

/// `σ_g(c_0 + c_1·s)` re-encrypted under `s`, from `c_0` and the decomposition of `c_1`: the
/// rotation (or conjugation) of the ciphertext `(c_0, c_1)` by the key's Galois element.
/// Decompose `c_1` once and call this for every key to rotate one ciphertext many ways.
///
/// # Errors
/// [`CkksError::UnexpectedBasis`] when `c_0` does not have the decomposition's primes;
/// otherwise as [`key_switch_extended`].
pub fn automorphism_hoisted(
    ctx: &Context,
    c0: &RnsPoly<Ntt>,
    decomposition: &Decomposition,
    key: &GaloisKey,
) -> Result<[RnsPoly<Ntt>; 2], CkksError> {
    check_same_primes(ctx, c0, decomposition)?;
    let [mut u0, u1] = key_switch_hoisted(ctx, decomposition, key.switching_key())?;
    u0.add_assign(c0, ctx.ring())?;
    Ok([u0.permuted(key.permutation()), u1.permuted(key.permutation())])
}

/// [`automorphism_hoisted`] before its mod-down: `(σ_g(u_0 + P·c_0), σ_g(u_1))` over `Q_ℓ·P`,
/// which decrypts to `P·σ_g(c_0 + c_1·s)`. Sums of such pairs (after products with plaintexts
/// that have their P limbs) need one [`mod_down`] in total.
///
/// # Errors
/// As [`automorphism_hoisted`].
pub fn automorphism_hoisted_extended(
    ctx: &Context,
    c0: &RnsPoly<Ntt>,
    decomposition: &Decomposition,
    key: &GaloisKey,
) -> Result<[RnsPoly<Ntt>; 2], CkksError> {
    check_same_primes(ctx, c0, decomposition)?;
    let [mut u0, u1] = key_switch_extended(ctx, decomposition, key.switching_key())?;
    add_special_modulus_times(ctx, &mut u0, c0);
    Ok([u0.permuted(key.permutation()), u1.permuted(key.permutation())])
}

/// Checks that `c0` is over the same Q primes as the decomposed polynomial.
fn check_same_primes(ctx: &Context, c0: &RnsPoly<Ntt>, decomposition: &Decomposition) -> Result<(), CkksError> {
    check_basis(ctx, c0, 0, "c_0 over Q_l")?;
    if c0.q_limb_count() != decomposition.q_limb_count() {
        return Err(CkksError::BasisMismatch {
            left_limbs: c0.q_limb_count(),
            right_limbs: decomposition.q_limb_count(),
        });
    }
    Ok(())
}
