//! Serialization of plaintexts and ciphertexts (full, and seeded for fresh secret-key
//! encryptions).

use super::codec::{Reader, Writer, check_range, expect_fingerprint, expect_kind, poly_len};
use super::error::SerializationError;
use super::{Header, ObjectKind};
use crate::encoding::Plaintext;
use crate::ring::sampling;
use crate::rlwe::Context;
use crate::scheme::Ciphertext;

/// Checks that `ctx` is the context of an object with `fingerprint` (writers need the primes).
pub(crate) fn check_context(ctx: &Context, fingerprint: u64) -> Result<(), SerializationError> {
    let expected = ctx.params().fingerprint();
    if fingerprint == expected {
        Ok(())
    } else {
        Err(SerializationError::ParameterMismatch { expected, found: fingerprint })
    }
}

/// Opens `bytes`, accepting the given kinds made under `ctx`'s parameters.
pub(crate) fn open<'a>(
    ctx: &Context,
    bytes: &'a [u8],
    max_bytes: usize,
    accepted: &[ObjectKind],
    expected: &'static str,
) -> Result<(Header, Reader<'a>), SerializationError> {
    let (header, reader) = Reader::open(bytes, max_bytes)?;
    expect_kind(&header, accepted, expected)?;
    expect_fingerprint(&header, ctx.params().fingerprint())?;
    Ok((header, reader))
}

/// Reads a level `ℓ ≤ L − 1` and returns the number of Q primes, `ℓ + 1`.
fn read_q_limbs(ctx: &Context, r: &mut Reader<'_>) -> Result<usize, SerializationError> {
    let level = r.u16()?;
    check_range("level", u64::from(level), 0, ctx.params().max_level() as u64)?;
    Ok(usize::from(level) + 1)
}

fn read_slots(ctx: &Context, r: &mut Reader<'_>) -> Result<usize, SerializationError> {
    let slots = r.u32()?;
    let max = ctx.params().max_slots();
    if slots.is_power_of_two() && slots as usize <= max {
        Ok(slots as usize)
    } else {
        Err(SerializationError::InvalidSlotCount { slots: u64::from(slots), max: max as u64 })
    }
}

fn read_scale(r: &mut Reader<'_>) -> Result<f64, SerializationError> {
    let scale = r.f64()?;
    if scale.is_finite() && scale > 0.0 { Ok(scale) } else { Err(SerializationError::InvalidScale { scale }) }
}

impl Plaintext {
    /// The serialized plaintext (see [`crate::serialization`]).
    ///
    /// # Errors
    /// [`SerializationError::ParameterMismatch`] when `ctx` is not the plaintext's context.
    pub fn to_bytes(&self, ctx: &Context) -> Result<Vec<u8>, SerializationError> {
        check_context(ctx, self.fingerprint)?;
        let ring = ctx.ring();
        let (q_limbs, special) = (self.poly.q_limb_count(), self.poly.p_limb_count());
        let mut w =
            Writer::new(ObjectKind::Plaintext, self.fingerprint, 2 + 1 + 4 + 8 + poly_len(ring, q_limbs, special));
        w.u16(self.level() as u16);
        w.u8(special as u8);
        w.u32(self.slots as u32);
        w.f64(self.scale);
        w.poly(ring, &self.poly);
        Ok(w.finish())
    }

    /// Loads a plaintext made under `ctx`'s parameters from at most `max_bytes` bytes.
    ///
    /// # Errors
    /// Header errors, [`SerializationError::FieldOutOfRange`] for the level or the number of P
    /// limbs, [`SerializationError::InvalidSlotCount`], [`SerializationError::InvalidScale`],
    /// [`SerializationError::CoefficientOutOfRange`], length errors.
    pub fn from_bytes(ctx: &Context, bytes: &[u8], max_bytes: usize) -> Result<Self, SerializationError> {
        let (header, mut r) = open(ctx, bytes, max_bytes, &[ObjectKind::Plaintext], "Plaintext")?;
        let q_limbs = read_q_limbs(ctx, &mut r)?;
        let special = usize::from(r.u8()?);
        let p_count = ctx.ring().p_count();
        if special != 0 && special != p_count {
            return Err(SerializationError::FieldOutOfRange {
                field: "special",
                value: special as u64,
                min: p_count as u64,
                max: p_count as u64,
            });
        }
        let slots = read_slots(ctx, &mut r)?;
        let scale = read_scale(&mut r)?;
        let poly = r.poly(ctx.ring(), q_limbs, special)?;
        r.finish()?;
        Ok(Plaintext { poly, scale, slots, fingerprint: header.fingerprint })
    }
}

impl Ciphertext {
    /// The serialized ciphertext with every polynomial (see [`crate::serialization`]).
    ///
    /// # Errors
    /// [`SerializationError::ParameterMismatch`] when `ctx` is not the ciphertext's context.
    pub fn to_bytes(&self, ctx: &Context) -> Result<Vec<u8>, SerializationError> {
        check_context(ctx, self.fingerprint)?;
        let ring = ctx.ring();
        let q_limbs = self.q_limb_count();
        let body = 2 + 1 + 4 + 8 + self.polys.len() * poly_len(ring, q_limbs, 0);
        let mut w = Writer::new(ObjectKind::Ciphertext, self.fingerprint, body);
        w.u16(self.level() as u16);
        w.u8(self.polys.len() as u8);
        w.u32(self.slots as u32);
        w.f64(self.scale);
        for poly in &self.polys {
            w.poly(ring, poly);
        }
        Ok(w.finish())
    }

    /// The compressed form of a fresh secret-key encryption: `c_0` and the 32-byte seed of
    /// `c_1` (half the size of [`Ciphertext::to_bytes`]).
    ///
    /// # Errors
    /// [`SerializationError::NotSeeded`] when the ciphertext has no seed (public-key
    /// encryptions and evaluation results), [`SerializationError::ParameterMismatch`].
    pub fn to_seeded_bytes(&self, ctx: &Context) -> Result<Vec<u8>, SerializationError> {
        check_context(ctx, self.fingerprint)?;
        let seed = self.seed.ok_or(SerializationError::NotSeeded)?;
        let ring = ctx.ring();
        let q_limbs = self.q_limb_count();
        let mut w =
            Writer::new(ObjectKind::SeededCiphertext, self.fingerprint, 2 + 4 + 8 + 32 + poly_len(ring, q_limbs, 0));
        w.u16(self.level() as u16);
        w.u32(self.slots as u32);
        w.f64(self.scale);
        w.bytes(&seed);
        w.poly(ring, &self.polys[0]);
        Ok(w.finish())
    }

    /// Loads a ciphertext, full or seeded, made under `ctx`'s parameters from at most
    /// `max_bytes` bytes. A seeded ciphertext keeps its seed.
    ///
    /// # Errors
    /// Header errors, [`SerializationError::FieldOutOfRange`] for the level or the size,
    /// [`SerializationError::InvalidSlotCount`], [`SerializationError::InvalidScale`],
    /// [`SerializationError::CoefficientOutOfRange`], length errors.
    pub fn from_bytes(ctx: &Context, bytes: &[u8], max_bytes: usize) -> Result<Self, SerializationError> {
        let accepted = [ObjectKind::Ciphertext, ObjectKind::SeededCiphertext];
        let (header, mut r) = open(ctx, bytes, max_bytes, &accepted, "Ciphertext or SeededCiphertext")?;
        let ring = ctx.ring();
        let q_limbs = read_q_limbs(ctx, &mut r)?;
        let ct = if header.kind == ObjectKind::Ciphertext {
            let size = r.u8()?;
            check_range("size", u64::from(size), 2, 3)?;
            let slots = read_slots(ctx, &mut r)?;
            let scale = read_scale(&mut r)?;
            let polys = (0..size).map(|_| r.poly(ring, q_limbs, 0)).collect::<Result<Vec<_>, _>>()?;
            Ciphertext { polys, scale, slots, fingerprint: header.fingerprint, seed: None }
        } else {
            let slots = read_slots(ctx, &mut r)?;
            let scale = read_scale(&mut r)?;
            let seed: [u8; 32] = r.array()?;
            let c0 = r.poly(ring, q_limbs, 0)?;
            let c1 = sampling::uniform_from_seed(seed, ring, q_limbs, 0);
            Ciphertext { polys: vec![c0, c1], scale, slots, fingerprint: header.fingerprint, seed: Some(seed) }
        };
        r.finish()?;
        Ok(ct)
    }
}
