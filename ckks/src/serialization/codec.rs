//! The byte-level codec: a bounds-checked reader, an exact-capacity writer, the header, and
//! RNS polynomials packed with `ceil(bits(q_i)/8)` bytes per residue.

use super::error::SerializationError;
use super::{FORMAT_VERSION, HEADER_LEN, MAGIC, ObjectKind};
use crate::ring::{Ntt, RingContext, RnsPoly};

/// Bytes per residue of prime `q`: `ceil(bits(q) / 8)`.
pub(crate) fn residue_width(q: u64) -> usize {
    (64 - q.leading_zeros() as usize).div_ceil(8)
}

/// Encoded length of a polynomial with `q_limbs` Q limbs and `p_limbs` P limbs.
pub(crate) fn poly_len(ring: &RingContext, q_limbs: usize, p_limbs: usize) -> usize {
    ring.prime_indices(q_limbs, p_limbs).map(|i| ring.n() * residue_width(ring.modulus(i).value())).sum()
}

/// The parsed fixed header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Header {
    /// Format version (always [`FORMAT_VERSION`] once parsed).
    pub version: u16,
    /// What the bytes hold.
    pub kind: ObjectKind,
    /// Fingerprint of the parameters the object was made under.
    pub fingerprint: u64,
}

/// Appends to a buffer allocated once with the exact final length, so that no reallocation
/// leaves a copy behind (secret-key bytes are wiped by the caller's `Zeroizing`).
pub(crate) struct Writer {
    buf: Vec<u8>,
}

impl Writer {
    /// A writer for an object whose body has `body_len` bytes, with its header written.
    pub(crate) fn new(kind: ObjectKind, fingerprint: u64, body_len: usize) -> Self {
        let mut writer = Self { buf: Vec::with_capacity(HEADER_LEN + body_len) };
        writer.bytes(&MAGIC);
        writer.u16(FORMAT_VERSION);
        writer.u16(kind as u16);
        writer.u64(fingerprint);
        writer
    }
    pub(crate) fn bytes(&mut self, bytes: &[u8]) {
        self.buf.extend_from_slice(bytes);
    }
    pub(crate) fn u8(&mut self, v: u8) {
        self.buf.push(v);
    }
    pub(crate) fn u16(&mut self, v: u16) {
        self.bytes(&v.to_le_bytes());
    }
    pub(crate) fn u32(&mut self, v: u32) {
        self.bytes(&v.to_le_bytes());
    }
    pub(crate) fn u64(&mut self, v: u64) {
        self.bytes(&v.to_le_bytes());
    }
    pub(crate) fn f64(&mut self, v: f64) {
        self.u64(v.to_bits());
    }
    /// Every limb, each residue in `residue_width(q_i)` little-endian bytes.
    pub(crate) fn poly(&mut self, ring: &RingContext, poly: &RnsPoly<Ntt>) {
        for (limb, prime) in poly.limbs().zip(ring.prime_indices(poly.q_limb_count(), poly.p_limb_count())) {
            let width = residue_width(ring.modulus(prime).value());
            for &x in limb {
                self.bytes(&x.to_le_bytes()[..width]);
            }
        }
    }
    /// The bytes; the capacity given to [`Writer::new`] was exact.
    pub(crate) fn finish(self) -> Vec<u8> {
        debug_assert_eq!(self.buf.len(), self.buf.capacity(), "body length computed exactly");
        self.buf
    }
}

/// A cursor over untrusted bytes: every read checks the remaining length first.
pub(crate) struct Reader<'a> {
    bytes: &'a [u8],
    offset: usize,
}

impl<'a> Reader<'a> {
    /// Checks the caller's limit and parses the header.
    pub(crate) fn open(bytes: &'a [u8], max_bytes: usize) -> Result<(Header, Self), SerializationError> {
        if bytes.len() > max_bytes {
            return Err(SerializationError::InputTooLarge { len: bytes.len(), max_bytes });
        }
        let mut reader = Self { bytes, offset: 0 };
        let magic: [u8; 8] = reader.array()?;
        if magic != MAGIC {
            return Err(SerializationError::BadMagic { found: magic });
        }
        let version = reader.u16()?;
        if version != FORMAT_VERSION {
            return Err(SerializationError::UnsupportedVersion { found: version, supported: FORMAT_VERSION });
        }
        let tag = reader.u16()?;
        let kind = ObjectKind::from_tag(tag).ok_or(SerializationError::UnknownObjectKind { tag })?;
        let fingerprint = reader.u64()?;
        Ok((Header { version, kind, fingerprint }, reader))
    }

    pub(crate) fn remaining(&self) -> usize {
        self.bytes.len() - self.offset
    }

    /// Fails with [`SerializationError::UnexpectedEnd`] unless `len` more bytes are present
    /// (consumes nothing): the check before expanding a seed into memory.
    pub(crate) fn ensure(&self, len: usize) -> Result<(), SerializationError> {
        let remaining = self.remaining();
        if len > remaining {
            return Err(SerializationError::UnexpectedEnd { offset: self.offset, needed: len, remaining });
        }
        Ok(())
    }

    /// The next `len` bytes, or [`SerializationError::UnexpectedEnd`].
    pub(crate) fn take(&mut self, len: usize) -> Result<&'a [u8], SerializationError> {
        self.ensure(len)?;
        let out = &self.bytes[self.offset..self.offset + len];
        self.offset += len;
        Ok(out)
    }
    pub(crate) fn array<const K: usize>(&mut self) -> Result<[u8; K], SerializationError> {
        let mut out = [0u8; K];
        out.copy_from_slice(self.take(K)?);
        Ok(out)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, SerializationError> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16, SerializationError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, SerializationError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, SerializationError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub(crate) fn f64(&mut self) -> Result<f64, SerializationError> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// A polynomial with `q_limbs` Q limbs and `p_limbs` P limbs. The whole encoded length is
    /// taken from the input first, so nothing is allocated for a truncated input; every residue
    /// is checked to be below its prime.
    pub(crate) fn poly(
        &mut self,
        ring: &RingContext,
        q_limbs: usize,
        p_limbs: usize,
    ) -> Result<RnsPoly<Ntt>, SerializationError> {
        let encoded = self.take(poly_len(ring, q_limbs, p_limbs))?;
        let mut poly = RnsPoly::<Ntt>::zero(ring, q_limbs, p_limbs);
        let mut rest = encoded;
        for (i, prime) in ring.prime_indices(q_limbs, p_limbs).enumerate() {
            let modulus = ring.modulus(prime).value();
            let width = residue_width(modulus);
            let (limb_bytes, tail) = rest.split_at(ring.n() * width);
            rest = tail;
            for (index, (x, chunk)) in poly.limb_mut(i).iter_mut().zip(limb_bytes.chunks_exact(width)).enumerate() {
                let mut word = [0u8; 8];
                word[..width].copy_from_slice(chunk);
                let value = u64::from_le_bytes(word);
                if value >= modulus {
                    return Err(SerializationError::CoefficientOutOfRange { index, value, modulus });
                }
                *x = value;
            }
        }
        Ok(poly)
    }

    /// Rejects bytes after the object.
    pub(crate) fn finish(self) -> Result<(), SerializationError> {
        match self.remaining() {
            0 => Ok(()),
            count => Err(SerializationError::TrailingBytes { count }),
        }
    }
}

/// Checks that the header's kind is one the loader reads.
pub(crate) fn expect_kind(
    header: &Header,
    accepted: &[ObjectKind],
    expected: &'static str,
) -> Result<(), SerializationError> {
    if accepted.contains(&header.kind) {
        Ok(())
    } else {
        Err(SerializationError::WrongObjectKind { expected, found: header.kind })
    }
}

/// Checks the header's fingerprint against the context's parameters.
pub(crate) fn expect_fingerprint(header: &Header, expected: u64) -> Result<(), SerializationError> {
    if header.fingerprint == expected {
        Ok(())
    } else {
        Err(SerializationError::ParameterMismatch { expected, found: header.fingerprint })
    }
}

/// Checks `min ≤ value ≤ max` for a size or count field.
pub(crate) fn check_range(field: &'static str, value: u64, min: u64, max: u64) -> Result<(), SerializationError> {
    if (min..=max).contains(&value) {
        Ok(())
    } else {
        Err(SerializationError::FieldOutOfRange { field, value, min, max })
    }
}
