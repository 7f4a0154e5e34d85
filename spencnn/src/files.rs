//! Reading files whose size is not trusted: every read is capped, so that a huge or endless
//! file (`/dev/zero`, a pipe that never closes its writer, a mistyped path to a disk image)
//! gives a typed error after at most the cap instead of exhausting memory.
//!
//! ```
//! use spencnn::files::{FileError, read_capped};
//! let dir = std::env::temp_dir().join(format!("spencnn-files-doc-{}", std::process::id()));
//! std::fs::write(&dir, [7u8; 100]).unwrap();
//! assert_eq!(read_capped(&dir, 100).unwrap().len(), 100);
//! assert!(matches!(read_capped(&dir, 99), Err(FileError::TooLarge { max_bytes: 99, .. })));
//! std::fs::remove_file(&dir).unwrap();
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};

/// Largest weights file read (safetensors): 256 MiB, 64 million `f32` parameters (the bundled
/// networks' are below 1 MiB).
pub const MAX_WEIGHTS_FILE_BYTES: u64 = 256 << 20;
/// Largest image file read: a PNG or an idx file, gzipped or not (the MNIST training images
/// are 47 MiB uncompressed; the decompressed size is capped separately by
/// [`crate::image::MAX_IDX_BYTES`]).
pub const MAX_IMAGE_FILE_BYTES: u64 = 256 << 20;
/// Largest label file read (the MNIST training labels are 60 KB).
pub const MAX_LABEL_FILE_BYTES: u64 = 16 << 20;

/// Why a file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum FileError {
    /// Opening or reading failed.
    #[error("cannot read {}: {source}", path.display())]
    Io {
        /// The file.
        path: PathBuf,
        /// The operating system's error.
        source: std::io::Error,
    },
    /// The file holds more than the cap for its kind.
    #[error("{} holds more than {max_bytes} bytes, the limit for this kind of file", path.display())]
    TooLarge {
        /// The file.
        path: PathBuf,
        /// The cap.
        max_bytes: u64,
    },
}

/// The contents of `path`, or [`FileError::TooLarge`] if it holds more than `max_bytes`: a
/// regular file is refused by its size before anything is read; anything else (a device, a
/// pipe) is read up to `max_bytes + 1` bytes at most.
///
/// # Errors
/// [`FileError::Io`], [`FileError::TooLarge`].
pub fn read_capped(path: &Path, max_bytes: u64) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io { path: path.to_path_buf(), source };
    let too_large = || FileError::TooLarge { path: path.to_path_buf(), max_bytes };
    let file = std::fs::File::open(path).map_err(io)?;
    let metadata = file.metadata().map_err(io)?;
    if metadata.is_file() && metadata.len() > max_bytes {
        return Err(too_large());
    }
    let expected = if metadata.is_file() { metadata.len() } else { 0 };
    let mut bytes = Vec::with_capacity(expected.min(max_bytes) as usize);
    file.take(max_bytes.saturating_add(1)).read_to_end(&mut bytes).map_err(io)?;
    if bytes.len() as u64 > max_bytes {
        return Err(too_large());
    }
    Ok(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn endless_and_oversized_inputs_stop_at_the_cap() {
        let zero = Path::new("/dev/zero");
        if zero.exists() {
            match read_capped(zero, 1 << 16) {
                Err(FileError::TooLarge { max_bytes, .. }) => assert_eq!(max_bytes, 1 << 16),
                other => panic!("{other:?}"),
            }
        } else {
            eprintln!("skipped the endless-device case: /dev/zero unavailable");
        }
        let path = std::env::temp_dir().join(format!("spencnn-files-test-{}", std::process::id()));
        std::fs::write(&path, vec![1u8; 4096]).unwrap();
        assert_eq!(read_capped(&path, 4096).unwrap().len(), 4096);
        assert!(matches!(read_capped(&path, 4095), Err(FileError::TooLarge { max_bytes: 4095, .. })));
        std::fs::remove_file(&path).unwrap();
        let missing = read_capped(&path, 10).unwrap_err();
        assert!(matches!(missing, FileError::Io { .. }));
        assert!(missing.to_string().starts_with("cannot read "), "{missing}");
        let dir = read_capped(&std::env::temp_dir(), 10).unwrap_err();
        assert!(matches!(dir, FileError::Io { .. }), "{dir:?}");
    }
}
