//! The envelope codec: a bounded reader over any `Read` (a byte slice or a stream) and a
//! counting writer over any `Write`.

use std::io::{ErrorKind, Read, Write};

use super::{MessageHeader, MessageKind, WIRE_MAGIC, WIRE_VERSION, WireError};

/// Checks `min ≤ value ≤ max` for a size, count, index or level.
pub(crate) fn check_range(field: &'static str, value: u64, min: u64, max: u64) -> Result<(), WireError> {
    if (min..=max).contains(&value) { Ok(()) } else { Err(WireError::FieldOutOfRange { field, value, min, max }) }
}

/// Reads a message from untrusted input: every read is checked against the caller's limit
/// (and against the input's length when it is known) before anything is read or allocated.
pub(crate) struct WireReader<R> {
    inner: R,
    offset: u64,
    max_bytes: u64,
    /// Length of the whole input when known (a byte slice): a field that would run past it is
    /// reported as [`WireError::UnexpectedEnd`] rather than as a limit violation.
    available: Option<u64>,
}

impl<R: Read> WireReader<R> {
    /// A reader of at most `max_bytes` bytes from `inner`, of which `available` exist if known.
    pub(crate) fn new(inner: R, max_bytes: usize, available: Option<usize>) -> Self {
        Self { inner, offset: 0, max_bytes: max_bytes as u64, available: available.map(|a| a as u64) }
    }

    /// Bytes consumed so far.
    pub(crate) fn offset(&self) -> u64 {
        self.offset
    }

    /// Fails unless `len` more bytes may be read (consumes nothing).
    pub(crate) fn reserve(&self, len: u64) -> Result<(), WireError> {
        let end = self.offset.saturating_add(len);
        if self.available.is_some_and(|available| end > available) {
            return Err(WireError::UnexpectedEnd { offset: self.offset, needed: len });
        }
        if end > self.max_bytes {
            return Err(WireError::InputTooLarge { len: end, max_bytes: self.max_bytes });
        }
        Ok(())
    }

    fn fill(&mut self, buf: &mut [u8]) -> Result<(), WireError> {
        let needed = buf.len() as u64;
        self.reserve(needed)?;
        self.inner.read_exact(buf).map_err(|e| match e.kind() {
            ErrorKind::UnexpectedEof => WireError::UnexpectedEnd { offset: self.offset, needed },
            _ => WireError::Io(e),
        })?;
        self.offset += needed;
        Ok(())
    }

    pub(crate) fn array<const K: usize>(&mut self) -> Result<[u8; K], WireError> {
        let mut out = [0u8; K];
        self.fill(&mut out)?;
        Ok(out)
    }
    pub(crate) fn u8(&mut self) -> Result<u8, WireError> {
        Ok(self.array::<1>()?[0])
    }
    pub(crate) fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_le_bytes(self.array()?))
    }
    pub(crate) fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_le_bytes(self.array()?))
    }
    pub(crate) fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_le_bytes(self.array()?))
    }
    pub(crate) fn f64(&mut self) -> Result<f64, WireError> {
        Ok(f64::from_bits(self.u64()?))
    }

    /// `len` bytes into a fresh buffer (allocated only after the limit check).
    pub(crate) fn bytes(&mut self, len: usize) -> Result<Vec<u8>, WireError> {
        self.reserve(len as u64)?;
        let mut out = vec![0u8; len];
        self.fill(&mut out)?;
        Ok(out)
    }

    /// A frame (u64 length, then the bytes) of at most `max_len` bytes.
    pub(crate) fn frame(&mut self, max_len: usize) -> Result<Vec<u8>, WireError> {
        let len = self.u64()?;
        check_range("frame length", len, 1, max_len as u64)?;
        self.bytes(len as usize)
    }

    /// Parses the header: magic, version, kind, fingerprint.
    pub(crate) fn header(&mut self) -> Result<MessageHeader, WireError> {
        let magic: [u8; 8] = self.array()?;
        if magic != WIRE_MAGIC {
            return Err(WireError::BadMagic { found: magic });
        }
        let version = self.u16()?;
        if version != WIRE_VERSION {
            return Err(WireError::UnsupportedVersion { found: version, supported: WIRE_VERSION });
        }
        let tag = self.u16()?;
        let kind = MessageKind::from_tag(tag).ok_or(WireError::UnknownMessageKind { tag })?;
        Ok(MessageHeader { kind, fingerprint: self.u64()? })
    }

    /// Parses the header of a message of kind `expected` under parameters `fingerprint` (if
    /// known to the reader).
    pub(crate) fn open(&mut self, expected: MessageKind, fingerprint: Option<u64>) -> Result<MessageHeader, WireError> {
        let header = self.header()?;
        if header.kind != expected {
            return Err(WireError::WrongMessageKind { expected, found: header.kind });
        }
        if let Some(expected) = fingerprint
            && header.fingerprint != expected
        {
            return Err(WireError::ParameterMismatch { expected, found: header.fingerprint });
        }
        Ok(header)
    }

    /// For a byte slice: rejects bytes after the message.
    pub(crate) fn finish(&self) -> Result<(), WireError> {
        match self.available {
            Some(available) if available > self.offset => {
                Err(WireError::TrailingBytes { count: available - self.offset })
            }
            _ => Ok(()),
        }
    }
}

/// Parses a whole byte string with `parse`, after checking its length against `max_bytes`,
/// and rejects trailing bytes.
pub(crate) fn parse_bytes<T>(
    bytes: &[u8],
    max_bytes: usize,
    parse: impl FnOnce(&mut WireReader<&[u8]>) -> Result<T, WireError>,
) -> Result<T, WireError> {
    if bytes.len() > max_bytes {
        return Err(WireError::InputTooLarge { len: bytes.len() as u64, max_bytes: max_bytes as u64 });
    }
    let mut reader = WireReader::new(bytes, max_bytes, Some(bytes.len()));
    let value = parse(&mut reader)?;
    reader.finish()?;
    Ok(value)
}

/// Writes a message to any `Write`, counting the bytes.
pub(crate) struct WireWriter<W> {
    inner: W,
    written: u64,
}

impl<W: Write> WireWriter<W> {
    /// A writer that starts with the header of a `kind` message under `fingerprint`.
    pub(crate) fn new(inner: W, kind: MessageKind, fingerprint: u64) -> Result<Self, WireError> {
        let mut writer = Self { inner, written: 0 };
        writer.bytes(&WIRE_MAGIC)?;
        writer.u16(WIRE_VERSION)?;
        writer.u16(kind as u16)?;
        writer.u64(fingerprint)?;
        Ok(writer)
    }

    pub(crate) fn bytes(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.inner.write_all(bytes)?;
        self.written += bytes.len() as u64;
        Ok(())
    }
    pub(crate) fn u8(&mut self, v: u8) -> Result<(), WireError> {
        self.bytes(&[v])
    }
    pub(crate) fn u16(&mut self, v: u16) -> Result<(), WireError> {
        self.bytes(&v.to_le_bytes())
    }
    pub(crate) fn u32(&mut self, v: u32) -> Result<(), WireError> {
        self.bytes(&v.to_le_bytes())
    }
    pub(crate) fn u64(&mut self, v: u64) -> Result<(), WireError> {
        self.bytes(&v.to_le_bytes())
    }
    pub(crate) fn f64(&mut self, v: f64) -> Result<(), WireError> {
        self.u64(v.to_bits())
    }
    /// A frame: the length, then the bytes.
    pub(crate) fn frame(&mut self, bytes: &[u8]) -> Result<(), WireError> {
        self.u64(bytes.len() as u64)?;
        self.bytes(bytes)
    }

    /// Flushes and returns the sink and the number of bytes written.
    pub(crate) fn finish(mut self) -> Result<(W, u64), WireError> {
        self.inner.flush()?;
        Ok((self.inner, self.written))
    }
}
