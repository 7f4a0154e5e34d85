//! [`EncryptedImage`] and [`EncryptedLogits`] as bytes: the key fingerprint, a count and one
//! `spencnn-ckks` ciphertext per frame, seeded when the ciphertext is a fresh secret-key
//! encryption.

use spencnn_ckks::serialization::sizes;
use spencnn_ckks::{Ciphertext, Context};

use super::codec::{WireReader, WireWriter, check_range, parse_bytes};
use super::{MAX_CIPHERTEXTS, MessageKind, WIRE_HEADER_LEN, WireError};
use crate::inference::messages::{EncryptedImage, EncryptedLogits};

fn write(
    kind: MessageKind,
    ctx: &Context,
    key_fingerprint: u64,
    ciphertexts: &[Ciphertext],
) -> Result<Vec<u8>, WireError> {
    let count = u32::try_from(ciphertexts.len()).ok().filter(|&c| c as usize <= MAX_CIPHERTEXTS).ok_or(
        WireError::FieldOutOfRange {
            field: "ciphertexts",
            value: ciphertexts.len() as u64,
            min: 0,
            max: MAX_CIPHERTEXTS as u64,
        },
    )?;
    let mut w = WireWriter::new(Vec::new(), kind, ctx.params().fingerprint())?;
    w.u64(key_fingerprint)?;
    w.u32(count)?;
    for (index, ct) in ciphertexts.iter().enumerate() {
        let bytes = if ct.seed().is_some() { ct.to_seeded_bytes(ctx) } else { ct.to_bytes(ctx) };
        w.frame(&bytes.map_err(|source| WireError::Ckks { object: "ciphertext", index, source })?)?;
    }
    Ok(w.finish()?.0)
}

/// The key fingerprint and the ciphertexts of a message of `kind`.
fn read(kind: MessageKind, ctx: &Context, bytes: &[u8], max_bytes: usize) -> Result<(u64, Vec<Ciphertext>), WireError> {
    parse_bytes(bytes, max_bytes, |r: &mut WireReader<&[u8]>| {
        let params = ctx.params();
        r.open(kind, Some(params.fingerprint()))?;
        let key_fingerprint = r.u64()?;
        let count = u64::from(r.u32()?);
        check_range("ciphertexts", count, 0, MAX_CIPHERTEXTS as u64)?;
        // A ciphertext of two polynomials at the top level is the largest frame accepted.
        let max_frame = sizes::ciphertext(params, params.max_level(), 2);
        let mut out = Vec::new();
        for index in 0..count as usize {
            let frame = r.frame(max_frame)?;
            let ct = Ciphertext::from_bytes(ctx, &frame, frame.len()).map_err(|source| WireError::Ckks {
                object: "ciphertext",
                index,
                source,
            })?;
            out.push(ct);
        }
        Ok((key_fingerprint, out))
    })
}

/// Largest message of `count` ciphertexts of two polynomials at CKKS level `level` (full
/// form): a receiver's limit.
pub fn ciphertexts_len(ctx: &Context, count: usize, level: usize) -> usize {
    WIRE_HEADER_LEN + 8 + 4 + count * (8 + sizes::ciphertext(ctx.params(), level, 2))
}

impl EncryptedImage {
    /// The image as a message; fresh secret-key encryptions go in seeded form (half size).
    ///
    /// # Errors
    /// [`WireError::Ckks`] when a ciphertext belongs to other parameters,
    /// [`WireError::FieldOutOfRange`] for more than [`MAX_CIPHERTEXTS`] ciphertexts.
    pub fn to_bytes(&self, ctx: &Context) -> Result<Vec<u8>, WireError> {
        write(MessageKind::EncryptedImage, ctx, self.key_fingerprint, &self.ciphertexts)
    }

    /// Loads an image message made under `ctx`'s parameters (the server checks the key
    /// fingerprint, levels and scales against its keys and model:
    /// [`crate::inference::Server::receive_image`]).
    ///
    /// # Errors
    /// Any [`WireError`].
    pub fn from_bytes(ctx: &Context, bytes: &[u8], max_bytes: usize) -> Result<Self, WireError> {
        let (key_fingerprint, ciphertexts) = read(MessageKind::EncryptedImage, ctx, bytes, max_bytes)?;
        Ok(Self { key_fingerprint, ciphertexts })
    }
}

impl EncryptedLogits {
    /// The answer as a message.
    ///
    /// # Errors
    /// As [`EncryptedImage::to_bytes`].
    pub fn to_bytes(&self, ctx: &Context) -> Result<Vec<u8>, WireError> {
        write(MessageKind::EncryptedLogits, ctx, self.key_fingerprint, &self.ciphertexts)
    }

    /// Loads an answer made under `ctx`'s parameters (the client checks the key fingerprint,
    /// levels and scales: [`crate::inference::Client::decrypt`]).
    ///
    /// # Errors
    /// Any [`WireError`].
    pub fn from_bytes(ctx: &Context, bytes: &[u8], max_bytes: usize) -> Result<Self, WireError> {
        let (key_fingerprint, ciphertexts) = read(MessageKind::EncryptedLogits, ctx, bytes, max_bytes)?;
        Ok(Self { key_fingerprint, ciphertexts })
    }
}
