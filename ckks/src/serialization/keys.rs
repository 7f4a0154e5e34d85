//! Serialization of keys: the secret key (packed ternary, zeroized buffers), the public key,
//! the relinearization key and Galois keys, each in full and seeded form.

use std::collections::BTreeMap;

use spencnn_ntt::GaloisPermutation;
use zeroize::{Zeroize, Zeroizing};

use super::codec::{Reader, Writer, check_range, poly_len};
use super::error::SerializationError;
use super::scheme::{check_context, open};
use super::{ObjectKind, SerializedForm, sizes};
use crate::params::SecretDistribution;
use crate::ring::{RnsPoly, sampling};
use crate::rlwe::Context;
use crate::rlwe::{GaloisKey, GaloisKeys, KeyStorage, PublicKey, RelinKey, SecretKey, SwitchingKey};

/// `to_bytes` (every polynomial) and `to_seeded_bytes` (uniform parts as their seed) of a key
/// type with a `write(ctx, SerializedForm)` method.
macro_rules! full_and_seeded_writers {
    ($key:ty, $name:literal) => {
        impl $key {
            #[doc = concat!("The serialized ", $name, " with every polynomial (and the seed of its uniform parts).")]
            ///
            /// # Errors
            /// [`SerializationError::ParameterMismatch`] when `ctx` is not the key's context.
            pub fn to_bytes(&self, ctx: &Context) -> Result<Vec<u8>, SerializationError> {
                self.write(ctx, SerializedForm::Full)
            }

            #[doc = concat!("The compressed ", $name, ": the uniform parts replaced by their 32-byte seed (half the size).")]
            ///
            /// # Errors
            /// [`SerializationError::ParameterMismatch`] when `ctx` is not the key's context.
            pub fn to_seeded_bytes(&self, ctx: &Context) -> Result<Vec<u8>, SerializationError> {
                self.write(ctx, SerializedForm::Seeded)
            }
        }
    };
}

full_and_seeded_writers!(PublicKey, "public key");
full_and_seeded_writers!(RelinKey, "relinearization key");
full_and_seeded_writers!(GaloisKeys, "Galois keys");

impl SecretKey {
    /// The serialized secret key in a buffer that is wiped when dropped: the ternary
    /// coefficients, 2 bits each (see [`crate::serialization`]). Keep it secret.
    ///
    /// # Errors
    /// [`SerializationError::ParameterMismatch`] when `ctx` is not the key's context.
    pub fn to_bytes(&self, ctx: &Context) -> Result<Zeroizing<Vec<u8>>, SerializationError> {
        check_context(ctx, self.fingerprint)?;
        let ring = ctx.ring();
        let n = ring.n();
        let q = ring.modulus(0).value();
        let mut coefficients = Zeroizing::new(self.poly.limb(0).to_vec());
        ring.plan(0).inverse(&mut coefficients).expect("limb length is the ring degree");
        let mut packed = Zeroizing::new(vec![0u8; n / 4]);
        for (byte, group) in packed.iter_mut().zip(coefficients.chunks_exact(4)) {
            for (k, &x) in group.iter().enumerate() {
                // 0 → 0, 1 → 1, q − 1 → 2, without branches on the secret.
                let code = u8::from(x == 1) | (u8::from(x == q - 1) << 1);
                *byte |= code << (2 * k);
            }
        }
        let mut w = Writer::new(ObjectKind::SecretKey, self.fingerprint, packed.len());
        w.bytes(&packed);
        Ok(Zeroizing::new(w.finish()))
    }

    /// Loads a secret key made under `ctx`'s parameters. Decoding runs without branches on the
    /// key; intermediate buffers are wiped.
    ///
    /// # Errors
    /// Header and length errors, [`SerializationError::InvalidSecretCoefficients`],
    /// [`SerializationError::SecretHammingWeight`] for a fixed-weight distribution.
    pub fn from_bytes(ctx: &Context, bytes: &[u8], max_bytes: usize) -> Result<Self, SerializationError> {
        let (header, mut r) = open(ctx, bytes, max_bytes, &[ObjectKind::SecretKey], "SecretKey")?;
        let ring = ctx.ring();
        let packed = r.take(ring.n() / 4)?;
        r.finish()?;
        let mut coefficients = Zeroizing::new(vec![0i64; ring.n()]);
        let (mut invalid, mut weight) = (0usize, 0usize);
        for (group, &byte) in coefficients.chunks_exact_mut(4).zip(packed) {
            for (k, c) in group.iter_mut().enumerate() {
                let code = i64::from((byte >> (2 * k)) & 3);
                invalid += usize::from(code == 3);
                weight += ((code ^ (code >> 1)) & 1) as usize;
                // 0 → 0, 1 → 1, 2 → −1 (3 → 0, rejected below).
                *c = code - 3 * (code >> 1);
            }
        }
        if invalid > 0 {
            return Err(SerializationError::InvalidSecretCoefficients { count: invalid });
        }
        if let SecretDistribution::FixedHammingWeight { weight: expected } = ctx.params().secret_distribution()
            && weight != expected
        {
            return Err(SerializationError::SecretHammingWeight { found: weight, expected });
        }
        let poly = RnsPoly::from_small_signed(&coefficients, ring, ring.q_count(), ring.p_count()).into_ntt(ring);
        coefficients.zeroize();
        Ok(SecretKey { poly, fingerprint: header.fingerprint })
    }
}

impl PublicKey {
    fn write(&self, ctx: &Context, form: SerializedForm) -> Result<Vec<u8>, SerializationError> {
        check_context(ctx, self.fingerprint)?;
        let ring = ctx.ring();
        let polys = if form == SerializedForm::Full { 2 } else { 1 };
        let kind = if form == SerializedForm::Full { ObjectKind::PublicKey } else { ObjectKind::SeededPublicKey };
        let body = 32 + polys * poly_len(ring, ring.q_count(), ring.p_count());
        let mut w = Writer::new(kind, self.fingerprint, body);
        w.bytes(&self.seed);
        w.poly(ring, &self.b);
        if form == SerializedForm::Full {
            w.poly(ring, &self.a);
        }
        Ok(w.finish())
    }

    /// Loads a public key, full or seeded, made under `ctx`'s parameters.
    ///
    /// # Errors
    /// Header and length errors, [`SerializationError::CoefficientOutOfRange`],
    /// [`SerializationError::SeedMismatch`] when a full key's `a` is not its seed's expansion.
    pub fn from_bytes(ctx: &Context, bytes: &[u8], max_bytes: usize) -> Result<Self, SerializationError> {
        let accepted = [ObjectKind::PublicKey, ObjectKind::SeededPublicKey];
        let (header, mut r) = open(ctx, bytes, max_bytes, &accepted, "PublicKey or SeededPublicKey")?;
        let ring = ctx.ring();
        let (q_limbs, special) = (ring.q_count(), ring.p_count());
        let seed: [u8; 32] = r.array()?;
        let b = r.poly(ring, q_limbs, special)?;
        let stored_a = if header.kind == ObjectKind::PublicKey { Some(r.poly(ring, q_limbs, special)?) } else { None };
        r.finish()?;
        let a = sampling::uniform_from_seed(seed, ring, q_limbs, special);
        if stored_a.is_some_and(|stored| stored != a) {
            return Err(SerializationError::SeedMismatch { object: "public key" });
        }
        Ok(PublicKey { b, a, seed, fingerprint: header.fingerprint })
    }
}

fn write_switching_key(w: &mut Writer, ctx: &Context, key: &SwitchingKey, form: SerializedForm) {
    let ring = ctx.ring();
    w.u16(key.level() as u16);
    w.bytes(&key.seed());
    for (j, b) in key.b_parts().iter().enumerate() {
        w.poly(ring, b);
        if form == SerializedForm::Full {
            // A compact key expands one part at a time.
            w.poly(ring, &key.uniform_part(ctx, j));
        }
    }
}

/// Reads a switching key into `storage`. A seeded key loaded compact is never expanded; a full
/// key's uniform parts are checked against its seed one digit at a time (and dropped when the
/// key is loaded compact).
fn read_switching_key(
    ctx: &Context,
    r: &mut Reader<'_>,
    form: SerializedForm,
    storage: KeyStorage,
) -> Result<SwitchingKey, SerializationError> {
    let (ring, params) = (ctx.ring(), ctx.params());
    let level = usize::from(r.u16()?);
    check_range("level", level as u64, 0, params.max_level() as u64)?;
    let (q_limbs, special) = (level + 1, ring.p_count());
    // The whole key must be present before anything is allocated or expanded.
    r.ensure(sizes::switching_key_body(params, level, form) - 2)?;
    let seed: [u8; 32] = r.array()?;
    let mut expansions = SwitchingKey::uniform_parts_from_seed(ctx, q_limbs, seed);
    let digits = SwitchingKey::digit_count(params, q_limbs);
    let (mut b_parts, mut a_parts) = (Vec::with_capacity(digits), Vec::new());
    for _ in 0..digits {
        b_parts.push(r.poly(ring, q_limbs, special)?);
        let a = match form {
            SerializedForm::Full => {
                let stored = r.poly(ring, q_limbs, special)?;
                if expansions.next().as_ref() != Some(&stored) {
                    return Err(SerializationError::SeedMismatch { object: "switching key" });
                }
                Some(stored)
            }
            SerializedForm::Seeded => (storage == KeyStorage::Expanded).then(|| expansions.next()).flatten(),
        };
        if storage == KeyStorage::Expanded {
            a_parts.push(a.expect("one expansion per digit"));
        }
    }
    let a_parts = (storage == KeyStorage::Expanded).then_some(a_parts);
    Ok(SwitchingKey::from_parts(params, q_limbs, b_parts, a_parts, seed))
}

impl RelinKey {
    fn write(&self, ctx: &Context, form: SerializedForm) -> Result<Vec<u8>, SerializationError> {
        check_context(ctx, self.fingerprint)?;
        let kind = if form == SerializedForm::Full { ObjectKind::RelinKey } else { ObjectKind::SeededRelinKey };
        let mut w =
            Writer::new(kind, self.fingerprint, sizes::switching_key_body(ctx.params(), self.key.level(), form));
        write_switching_key(&mut w, ctx, &self.key, form);
        Ok(w.finish())
    }

    /// Loads a relinearization key, full or seeded, made under `ctx`'s parameters, expanded
    /// ([`KeyStorage::Expanded`]).
    ///
    /// # Errors
    /// Header and length errors, [`SerializationError::FieldOutOfRange`] for the key's level,
    /// [`SerializationError::CoefficientOutOfRange`], [`SerializationError::SeedMismatch`].
    pub fn from_bytes(ctx: &Context, bytes: &[u8], max_bytes: usize) -> Result<Self, SerializationError> {
        Self::from_bytes_with_storage(ctx, bytes, max_bytes, KeyStorage::Expanded)
    }

    /// [`RelinKey::from_bytes`] into the given storage: seeded bytes loaded
    /// [`KeyStorage::Compact`] are never expanded.
    ///
    /// # Errors
    /// As [`RelinKey::from_bytes`].
    pub fn from_bytes_with_storage(
        ctx: &Context,
        bytes: &[u8],
        max_bytes: usize,
        storage: KeyStorage,
    ) -> Result<Self, SerializationError> {
        let accepted = [ObjectKind::RelinKey, ObjectKind::SeededRelinKey];
        let (header, mut r) = open(ctx, bytes, max_bytes, &accepted, "RelinKey or SeededRelinKey")?;
        let form = if header.kind == ObjectKind::RelinKey { SerializedForm::Full } else { SerializedForm::Seeded };
        let key = read_switching_key(ctx, &mut r, form, storage)?;
        r.finish()?;
        Ok(RelinKey { key, fingerprint: header.fingerprint })
    }
}

impl GaloisKeys {
    fn write(&self, ctx: &Context, form: SerializedForm) -> Result<Vec<u8>, SerializationError> {
        self.write_keys(ctx, self.keys.values(), form)
    }

    /// A `GaloisKeys` object of the given keys (of this set), in ascending element order.
    fn write_keys<'k>(
        &self,
        ctx: &Context,
        keys: impl Iterator<Item = &'k GaloisKey> + Clone,
        form: SerializedForm,
    ) -> Result<Vec<u8>, SerializationError> {
        check_context(ctx, self.fingerprint)?;
        let kind = if form == SerializedForm::Full { ObjectKind::GaloisKeys } else { ObjectKind::SeededGaloisKeys };
        let body =
            4 + keys.clone().map(|k| 8 + sizes::switching_key_body(ctx.params(), k.key.level(), form)).sum::<usize>();
        let mut w = Writer::new(kind, self.fingerprint, body);
        w.u32(keys.clone().count() as u32);
        for key in keys {
            w.u64(key.galois_element);
            write_switching_key(&mut w, ctx, &key.key, form);
        }
        Ok(w.finish())
    }

    /// The compressed bytes of a set holding only the key of `galois_element`: keys sent one
    /// at a time (each a valid `SeededGaloisKeys` object) without copying the key.
    ///
    /// # Errors
    /// [`SerializationError::NoSuchKey`], [`SerializationError::ParameterMismatch`].
    pub fn key_to_seeded_bytes(&self, ctx: &Context, galois_element: u64) -> Result<Vec<u8>, SerializationError> {
        let key = self.keys.get(&galois_element).ok_or(SerializationError::NoSuchKey { galois_element })?;
        self.write_keys(ctx, std::iter::once(key), SerializedForm::Seeded)
    }

    /// Loads Galois keys, full or seeded, made under `ctx`'s parameters, expanded
    /// ([`KeyStorage::Expanded`]). The element count is checked against `N − 1` and against
    /// the remaining input before any key is decoded.
    ///
    /// # Errors
    /// Header and length errors, [`SerializationError::FieldOutOfRange`] for the count and the
    /// keys' levels, [`SerializationError::InvalidGaloisElement`],
    /// [`SerializationError::UnorderedGaloisElements`],
    /// [`SerializationError::CoefficientOutOfRange`], [`SerializationError::SeedMismatch`].
    pub fn from_bytes(ctx: &Context, bytes: &[u8], max_bytes: usize) -> Result<Self, SerializationError> {
        Self::from_bytes_with_storage(ctx, bytes, max_bytes, KeyStorage::Expanded)
    }

    /// [`GaloisKeys::from_bytes`] into the given storage: seeded bytes loaded
    /// [`KeyStorage::Compact`] are never expanded (the keys take half the memory of expanded
    /// ones, see [`KeyStorage`]).
    ///
    /// # Errors
    /// As [`GaloisKeys::from_bytes`].
    pub fn from_bytes_with_storage(
        ctx: &Context,
        bytes: &[u8],
        max_bytes: usize,
        storage: KeyStorage,
    ) -> Result<Self, SerializationError> {
        let accepted = [ObjectKind::GaloisKeys, ObjectKind::SeededGaloisKeys];
        let (header, mut r) = open(ctx, bytes, max_bytes, &accepted, "GaloisKeys or SeededGaloisKeys")?;
        let form = if header.kind == ObjectKind::GaloisKeys { SerializedForm::Full } else { SerializedForm::Seeded };
        let n = ctx.ring().n();
        let two_n = 2 * n as u64;
        let count = r.u32()? as usize;
        // Odd elements of (Z/2N)^* other than 1.
        check_range("count", count as u64, 0, n as u64 - 1)?;
        // Every key takes at least the length of a key at level 0; each key's own length is
        // checked before its uniform parts are expanded.
        r.ensure(count * (8 + sizes::switching_key_body(ctx.params(), 0, form)))?;
        let mut keys = BTreeMap::new();
        let mut previous = None;
        for _ in 0..count {
            let element = r.u64()?;
            if element % 2 == 0 || element < 3 || element >= two_n {
                return Err(SerializationError::InvalidGaloisElement { element, two_n });
            }
            if let Some(previous) = previous
                && element <= previous
            {
                return Err(SerializationError::UnorderedGaloisElements { previous, element });
            }
            previous = Some(element);
            let permutation = GaloisPermutation::new(n, element)
                .map_err(|_| SerializationError::InvalidGaloisElement { element, two_n })?;
            let key = read_switching_key(ctx, &mut r, form, storage)?;
            keys.insert(element, GaloisKey { galois_element: element, permutation, key });
        }
        r.finish()?;
        Ok(GaloisKeys { keys, fingerprint: header.fingerprint })
    }
}
