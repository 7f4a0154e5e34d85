//! Input images: PNG files and MNIST-style idx files (optionally gzipped).
//!
//! Pixels are mapped to `[0, 1]` (`value / 255`), the normalisation the models expect. A PNG must
//! have exactly the model's height and width (other sizes are rejected with
//! [`ImageError::Size`], not resized: resizing would silently change what is classified).
//! Grey images feed 3-channel models by replication; colour images feed 1-channel models by
//! luminance (`0.299 R + 0.587 G + 0.114 B`); alpha is ignored. Every size is validated
//! before anything is allocated for the pixels.

use std::io::Read;

use thiserror::Error;

use crate::tensor::Tensor3;

/// Largest decompressed idx file accepted (the MNIST training images are 47 MiB).
pub const MAX_IDX_BYTES: usize = 256 << 20;

/// Errors reading an image.
#[derive(Debug, Error)]
#[non_exhaustive]
pub enum ImageError {
    /// The PNG decoder rejected the data.
    #[error("malformed PNG: {reason}")]
    Png {
        /// Decoder message.
        reason: String,
    },
    /// The image has the wrong size.
    #[error("image is {found_height}x{found_width}, the model expects {height}x{width}")]
    Size {
        /// Expected rows.
        height: usize,
        /// Expected columns.
        width: usize,
        /// Rows found.
        found_height: usize,
        /// Columns found.
        found_width: usize,
    },
    /// The model needs a channel count no image format here provides.
    #[error("the model expects {expected} input channels (1 or 3 supported)")]
    Channels {
        /// Channels of the model input.
        expected: usize,
    },
    /// Not an idx file of unsigned bytes with the expected number of dimensions.
    #[error("not an idx{dims} file of unsigned bytes (magic {magic:#010x})")]
    IdxMagic {
        /// Dimensions expected (3 for images, 1 for labels).
        dims: u8,
        /// Magic number found.
        magic: u32,
    },
    /// The idx file is shorter (or longer) than its header says.
    #[error("idx file holds {found} bytes of data, its header announces {expected}")]
    IdxLength {
        /// Bytes announced.
        expected: usize,
        /// Bytes present.
        found: usize,
    },
    /// The file is too short for its header.
    #[error("file of {found} bytes is too short for an idx header")]
    Truncated {
        /// Bytes present.
        found: usize,
    },
    /// Decompressed data above [`MAX_IDX_BYTES`].
    #[error("decompressed data exceeds {limit} bytes")]
    TooLarge {
        /// The limit.
        limit: usize,
    },
    /// The gzip stream is corrupt.
    #[error("corrupt gzip data: {reason}")]
    Gzip {
        /// Decoder message.
        reason: String,
    },
    /// An image index beyond the file.
    #[error("image index {index} is out of range (the file holds {count})")]
    Index {
        /// Requested index.
        index: usize,
        /// Images in the file.
        count: usize,
    },
}

/// Decodes a PNG into a `channels × height × width` tensor in `[0, 1]`.
///
/// # Errors
/// [`ImageError::Png`], [`ImageError::Size`], [`ImageError::Channels`].
pub fn load_png(bytes: &[u8], shape: [usize; 3]) -> Result<Tensor3, ImageError> {
    let [channels, height, width] = shape;
    if channels != 1 && channels != 3 {
        return Err(ImageError::Channels { expected: channels });
    }
    let png_error = |e: png::DecodingError| ImageError::Png { reason: e.to_string() };
    // The decoder never allocates more than a few model-sized frames.
    let limits = png::Limits { bytes: (height * width * 8).max(1 << 16) };
    let mut decoder = png::Decoder::new_with_limits(bytes, limits);
    decoder.set_transformations(png::Transformations::EXPAND | png::Transformations::STRIP_16);
    let mut reader = decoder.read_info().map_err(png_error)?;
    let (found_width, found_height) = (reader.info().width as usize, reader.info().height as usize);
    if (found_height, found_width) != (height, width) {
        return Err(ImageError::Size { height, width, found_height, found_width });
    }
    let mut buffer = vec![0u8; reader.output_buffer_size()];
    let frame = reader.next_frame(&mut buffer).map_err(png_error)?;
    let samples = frame.color_type.samples();
    let data = &buffer[..frame.buffer_size()];
    let pixel = |y: usize, x: usize| &data[y * frame.line_size + x * samples..][..samples];
    let rgb = |p: &[u8]| -> [f64; 3] {
        match p.len() {
            1 | 2 => [f64::from(p[0]); 3],
            _ => [f64::from(p[0]), f64::from(p[1]), f64::from(p[2])],
        }
    };
    Ok(Tensor3::from_fn(channels, height, width, |c, y, x| {
        let p = pixel(y, x);
        let [r, g, b] = rgb(p);
        // A grey pixel is its own luminance: taken as is, so a grey PNG gives exactly the
        // tensor of the same pixels in an idx file.
        let grey = p.len() <= 2;
        let value = if channels == 1 && !grey { 0.299 * r + 0.587 * g + 0.114 * b } else { [r, g, b][c] };
        value / 255.0
    }))
}

/// Reads a whole file, decompressing it when it starts with the gzip magic, up to
/// [`MAX_IDX_BYTES`].
///
/// # Errors
/// [`ImageError::Gzip`], [`ImageError::TooLarge`].
pub fn maybe_gunzip(bytes: &[u8]) -> Result<std::borrow::Cow<'_, [u8]>, ImageError> {
    if !bytes.starts_with(&[0x1f, 0x8b]) {
        return Ok(std::borrow::Cow::Borrowed(bytes));
    }
    let mut out = Vec::new();
    flate2::read::GzDecoder::new(bytes)
        .take(MAX_IDX_BYTES as u64 + 1)
        .read_to_end(&mut out)
        .map_err(|e| ImageError::Gzip { reason: e.to_string() })?;
    if out.len() > MAX_IDX_BYTES {
        return Err(ImageError::TooLarge { limit: MAX_IDX_BYTES });
    }
    Ok(std::borrow::Cow::Owned(out))
}

/// Parses an idx header of unsigned bytes with `dims` dimensions; returns the dimensions and
/// the data, checked against the header.
fn parse_idx(bytes: &[u8], dims: u8) -> Result<(Vec<usize>, &[u8]), ImageError> {
    let header_len = 4 + 4 * dims as usize;
    if bytes.len() < header_len {
        return Err(ImageError::Truncated { found: bytes.len() });
    }
    let word = |i: usize| u32::from_be_bytes([bytes[4 * i], bytes[4 * i + 1], bytes[4 * i + 2], bytes[4 * i + 3]]);
    let magic = word(0);
    if magic != 0x0800 | u32::from(dims) {
        return Err(ImageError::IdxMagic { dims, magic });
    }
    let sizes: Vec<usize> = (1..=dims as usize).map(|i| word(i) as usize).collect();
    let expected = sizes.iter().try_fold(1usize, |acc, &s| acc.checked_mul(s)).unwrap_or(usize::MAX);
    let data = &bytes[header_len..];
    if data.len() != expected {
        return Err(ImageError::IdxLength { expected, found: data.len() });
    }
    Ok((sizes, data))
}

/// The images of an idx3 file (MNIST's `*-images-idx3-ubyte`, gzipped or not).
#[derive(Clone, Debug)]
pub struct IdxImages {
    rows: usize,
    cols: usize,
    pixels: Vec<u8>,
}

impl IdxImages {
    /// Parses an idx3 file.
    ///
    /// # Errors
    /// [`ImageError::Gzip`], [`ImageError::TooLarge`], [`ImageError::Truncated`],
    /// [`ImageError::IdxMagic`], [`ImageError::IdxLength`].
    pub fn parse(bytes: &[u8]) -> Result<Self, ImageError> {
        let raw = maybe_gunzip(bytes)?;
        let (sizes, data) = parse_idx(&raw, 3)?;
        Ok(Self { rows: sizes[1], cols: sizes[2], pixels: data.to_vec() })
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.pixels.len().checked_div(self.rows * self.cols).unwrap_or(0)
    }

    /// Whether the file holds no image.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `(rows, columns, pixels)`: the raw bytes of every image, image after image, row-major
    /// (the trainer's data sets keep them as bytes).
    pub fn into_parts(self) -> (usize, usize, Vec<u8>) {
        (self.rows, self.cols, self.pixels)
    }

    /// Image `index` as a tensor of `shape` (its height and width must match the file's; grey
    /// replicated to 3 channels if asked).
    ///
    /// # Errors
    /// [`ImageError::Index`], [`ImageError::Size`], [`ImageError::Channels`].
    pub fn image(&self, index: usize, shape: [usize; 3]) -> Result<Tensor3, ImageError> {
        let [channels, height, width] = shape;
        if index >= self.len() {
            return Err(ImageError::Index { index, count: self.len() });
        }
        if (height, width) != (self.rows, self.cols) {
            return Err(ImageError::Size { height, width, found_height: self.rows, found_width: self.cols });
        }
        if channels != 1 && channels != 3 {
            return Err(ImageError::Channels { expected: channels });
        }
        let base = index * height * width;
        Ok(Tensor3::from_fn(channels, height, width, |_, y, x| f64::from(self.pixels[base + y * width + x]) / 255.0))
    }
}

/// The labels of an idx1 file (MNIST's `*-labels-idx1-ubyte`, gzipped or not).
///
/// # Errors
/// As [`IdxImages::parse`].
pub fn parse_idx_labels(bytes: &[u8]) -> Result<Vec<u8>, ImageError> {
    let raw = maybe_gunzip(bytes)?;
    Ok(parse_idx(&raw, 1)?.1.to_vec())
}
