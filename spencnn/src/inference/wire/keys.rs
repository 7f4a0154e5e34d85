//! [`EvaluationKeys`] as a stream of seeded `spencnn-ckks` key objects, one Galois key per
//! frame in ascending Galois element order: the client writes each key as it is generated and the server loads one at a time, so
//! neither side holds the keys twice (once as objects, once as bytes).

use std::io::{Read, Write};

use spencnn_ckks::serialization::{peek_header, sizes};
use spencnn_ckks::{Context, GaloisKeys, KeyStorage, ObjectKind, Parameters, RelinKey, SerializedForm};

use super::codec::{WireReader, WireWriter, check_range, parse_bytes};
use super::{MessageKind, WIRE_HEADER_LEN, WireError};
use crate::inference::binding::KeyFingerprint;
use crate::inference::messages::EvaluationKeys;

/// Size of an evaluation-keys message with a relinearization key at `relin_level` (if any)
/// and one Galois key per entry of `galois_levels`, in seeded or full `form`: the
/// exact length of what [`KeyStreamWriter`] writes, or (full form) an upper bound for a
/// receiver's limit.
pub fn evaluation_keys_len(
    params: &Parameters,
    relin_level: Option<usize>,
    galois_levels: &[usize],
    form: SerializedForm,
) -> usize {
    let relin = relin_level.map_or(0, |level| 8 + sizes::relin_key(params, level, form));
    let galois: usize = galois_levels.iter().map(|&level| 8 + sizes::galois_keys(params, [level], form)).sum();
    WIRE_HEADER_LEN + 8 + 1 + 4 + relin + galois
}

/// Writes an evaluation-keys message one key at a time.
///
/// The number of Galois keys is declared up front; [`KeyStreamWriter::finish`] checks that
/// exactly that many were written.
#[derive(Debug)]
pub struct KeyStreamWriter<'c, W: Write> {
    writer: WireWriter<W>,
    ctx: &'c Context,
    declared: u32,
    written: u32,
    last_element: Option<u64>,
    fingerprint: KeyFingerprint,
}

impl<W: Write> std::fmt::Debug for WireWriter<W> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("WireWriter").finish_non_exhaustive()
    }
}

impl<'c, W: Write> KeyStreamWriter<'c, W> {
    /// Starts a message of keys made for the interface of digest `interface_digest`, with the
    /// relinearization key (if any) and `galois_count` Galois keys to follow.
    ///
    /// # Errors
    /// [`WireError::Io`], [`WireError::Ckks`] when the key belongs to other parameters.
    pub fn new(
        out: W,
        ctx: &'c Context,
        interface_digest: u64,
        relin: Option<&RelinKey>,
        galois_count: u32,
    ) -> Result<Self, WireError> {
        let mut writer = WireWriter::new(out, MessageKind::EvaluationKeys, ctx.params().fingerprint())?;
        let mut fingerprint = KeyFingerprint::new(interface_digest);
        writer.u64(interface_digest)?;
        writer.u8(u8::from(relin.is_some()))?;
        writer.u32(galois_count)?;
        if let Some(relin) = relin {
            let bytes = relin.to_seeded_bytes(ctx).map_err(|source| WireError::Ckks {
                object: "relinearization key",
                index: 0,
                source,
            })?;
            writer.frame(&bytes)?;
            fingerprint.relin(relin);
        }
        Ok(Self { writer, ctx, declared: galois_count, written: 0, last_element: None, fingerprint })
    }

    /// The key fingerprint of the keys written so far (of the whole set once every declared key
    /// is written).
    pub fn key_fingerprint(&self) -> u64 {
        self.fingerprint.finish()
    }

    /// Writes the keys of `keys`, one frame each (seeded form). Keys must come in strictly
    /// ascending Galois element order across calls.
    ///
    /// # Errors
    /// [`WireError::FieldOutOfRange`] beyond the declared count, [`WireError::UnorderedKeys`],
    /// [`WireError::Io`],
    /// [`WireError::Ckks`] when the keys belong to other parameters.
    pub fn write(&mut self, keys: &GaloisKeys) -> Result<(), WireError> {
        for element in keys.elements() {
            let index = self.written as usize;
            if self.written >= self.declared {
                let declared = u64::from(self.declared);
                return Err(WireError::FieldOutOfRange {
                    field: "Galois keys",
                    value: declared + 1,
                    min: declared,
                    max: declared,
                });
            }
            if let Some(previous) = self.last_element
                && element <= previous
            {
                return Err(WireError::UnorderedKeys { previous, element });
            }
            self.last_element = Some(element);
            let bytes = keys.key_to_seeded_bytes(self.ctx, element).map_err(|source| WireError::Ckks {
                object: "Galois key",
                index,
                source,
            })?;
            self.writer.frame(&bytes)?;
            if let Some(key) = keys.get(element) {
                self.fingerprint.galois(key);
            }
            self.written += 1;
        }
        Ok(())
    }

    /// Flushes; returns the sink and the message length.
    ///
    /// # Errors
    /// [`WireError::FieldOutOfRange`] when fewer keys than declared were written,
    /// [`WireError::Io`].
    pub fn finish(self) -> Result<(W, u64), WireError> {
        check_range("Galois keys", u64::from(self.written), u64::from(self.declared), u64::from(self.declared))?;
        self.writer.finish()
    }
}

impl EvaluationKeys {
    /// Writes the keys as a message (seeded forms) to `out`; returns the bytes written.
    ///
    /// # Errors
    /// [`WireError::Io`], [`WireError::Ckks`] when the keys belong to other parameters.
    pub fn write_to<W: Write>(&self, ctx: &Context, out: W) -> Result<u64, WireError> {
        let count = u32::try_from(self.galois.len()).map_err(|_| WireError::FieldOutOfRange {
            field: "Galois keys",
            value: self.galois.len() as u64,
            min: 0,
            max: u64::from(u32::MAX),
        })?;
        let mut writer = KeyStreamWriter::new(out, ctx, self.interface_digest, self.relin.as_ref(), count)?;
        writer.write(&self.galois)?;
        Ok(writer.finish()?.1)
    }

    /// The keys as one byte string (see [`EvaluationKeys::write_to`]).
    ///
    /// # Errors
    /// As [`EvaluationKeys::write_to`].
    pub fn to_bytes(&self, ctx: &Context) -> Result<Vec<u8>, WireError> {
        let mut out = Vec::new();
        self.write_to(ctx, &mut out)?;
        Ok(out)
    }

    /// Reads an evaluation-keys message made under `ctx`'s parameters from a stream, reading
    /// at most `max_bytes` (one frame is buffered at a time); returns the keys and the bytes
    /// read.
    ///
    /// # Errors
    /// Any [`WireError`]: the count is bounded by `N − 1`, every frame by the size of one
    /// seeded key at the top level and by the remaining limit, before it is read; a key in
    /// full form is refused ([`WireError::KeyNotSeeded`]).
    pub fn read_from<R: Read>(ctx: &Context, input: R, max_bytes: usize) -> Result<(Self, u64), WireError> {
        Self::read_from_with_storage(ctx, input, max_bytes, KeyStorage::Expanded)
    }

    /// [`EvaluationKeys::read_from`] into the given key storage: with
    /// [`KeyStorage::Compact`] the seeded keys of the message are kept as they arrive (half the
    /// memory of expanded keys; key switching expands them as it goes).
    ///
    /// # Errors
    /// As [`EvaluationKeys::read_from`].
    pub fn read_from_with_storage<R: Read>(
        ctx: &Context,
        input: R,
        max_bytes: usize,
        storage: KeyStorage,
    ) -> Result<(Self, u64), WireError> {
        let mut reader = WireReader::new(input, max_bytes, None);
        let keys = read_keys(ctx, &mut reader, storage)?;
        Ok((keys, reader.offset()))
    }

    /// Loads the keys from a byte string (no trailing bytes).
    ///
    /// # Errors
    /// As [`EvaluationKeys::read_from`], and [`WireError::TrailingBytes`].
    pub fn from_bytes(ctx: &Context, bytes: &[u8], max_bytes: usize) -> Result<Self, WireError> {
        parse_bytes(bytes, max_bytes, |r| read_keys(ctx, r, KeyStorage::Expanded))
    }
}

fn read_keys<R: Read>(ctx: &Context, r: &mut WireReader<R>, storage: KeyStorage) -> Result<EvaluationKeys, WireError> {
    let params = ctx.params();
    r.open(MessageKind::EvaluationKeys, Some(params.fingerprint()))?;
    let interface_digest = r.u64()?;
    let has_relin = r.u8()?;
    if has_relin > 1 {
        return Err(WireError::InvalidField { field: "relinearization key present", value: u64::from(has_relin) });
    }
    let count = u64::from(r.u32()?);
    check_range("Galois keys", count, 0, params.n() as u64 - 1)?;
    let top = params.max_level();
    let relin = if has_relin == 1 {
        let bytes = r.frame(sizes::relin_key(params, top, SerializedForm::Seeded))?;
        expect_seeded(&bytes, ObjectKind::SeededRelinKey, "relinearization key", 0)?;
        let key = RelinKey::from_bytes_with_storage(ctx, &bytes, bytes.len(), storage)
            .map_err(|source| WireError::Ckks { object: "relinearization key", index: 0, source })?;
        Some(key)
    } else {
        None
    };
    let max_frame = sizes::galois_keys(params, [top], SerializedForm::Seeded);
    let mut galois = GaloisKeys::default();
    for index in 0..count as usize {
        let bytes = r.frame(max_frame)?;
        expect_seeded(&bytes, ObjectKind::SeededGaloisKeys, "Galois key", index)?;
        let keys = GaloisKeys::from_bytes_with_storage(ctx, &bytes, bytes.len(), storage)
            .map_err(|source| WireError::Ckks { object: "Galois key", index, source })?;
        check_range("keys per frame", keys.len() as u64, 1, 1)?;
        // Canonical order: one key per frame, elements strictly ascending.
        let element = keys.elements().next().unwrap_or(0);
        if let Some(previous) = galois.elements().last()
            && element <= previous
        {
            return Err(WireError::UnorderedKeys { previous, element });
        }
        galois.merge(keys)?;
    }
    if count == 0 {
        // An empty set still belongs to these parameters.
        galois = GaloisKeys::empty(ctx);
    }
    Ok(EvaluationKeys { interface_digest, relin, galois })
}

/// Refuses a key frame that is not in the seeded form the writer produces: a full-form key
/// would load (`spencnn-ckks` reads both forms) but re-serialize differently, and the message
/// would not be canonical.
fn expect_seeded(bytes: &[u8], expected: ObjectKind, object: &'static str, index: usize) -> Result<(), WireError> {
    let found = peek_header(bytes).map_err(|source| WireError::Ckks { object, index, source })?.kind;
    if found != expected {
        return Err(WireError::KeyNotSeeded { object, index, found });
    }
    Ok(())
}
