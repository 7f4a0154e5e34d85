//! MNIST-style data sets: idx files (gzipped or not, parsed by [`spencnn::image`]) of images and
//! labels, kept as bytes and turned into `f32` batches in `[0, 1]` (`pixel / 255`, the same
//! normalisation as inference). Fashion-MNIST is distributed in the same format under the same
//! file names (gzipped), so everything here reads it as well: ten classes, labels `0..=9`.

use std::path::{Path, PathBuf};

use rand_chacha::ChaCha8Rng;
use rand_core::RngCore;

use super::TrainError;
use super::batch::Batch;
use spencnn::files::{MAX_IMAGE_FILE_BYTES, read_capped};
use spencnn::image::{IdxImages, parse_idx_labels};
use spencnn::tensor::Tensor3;

/// Which MNIST file pair.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// `train-images-idx3-ubyte`, `train-labels-idx1-ubyte` (60 000 images).
    Train,
    /// `t10k-images-idx3-ubyte`, `t10k-labels-idx1-ubyte` (10 000 images).
    Test,
}

impl Split {
    /// The file-name prefix of the MNIST distribution (`train` or `t10k`).
    pub fn prefix(self) -> &'static str {
        match self {
            Split::Train => "train",
            Split::Test => "t10k",
        }
    }
}

/// Stem of the 20 MNIST test digits bundled with `spencnn` (`spencnn/assets/`): a directory
/// holding only them serves both splits, for smoke runs.
pub const BUNDLED_STEM: &str = "mnist-test-20";

/// The idx files of one split, as found in a data directory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MnistFiles {
    /// The idx3 image file (named without `.gz`: the readers take `NAME.gz` when `NAME` is
    /// missing).
    pub images: PathBuf,
    /// The idx1 label file (named likewise).
    pub labels: PathBuf,
    /// Whether these are the 20 bundled test digits rather than the MNIST distribution's files.
    pub bundled: bool,
}

impl MnistFiles {
    /// Finds `split` in `dir`: the MNIST distribution's files (`train-images-idx3-ubyte`,
    /// `t10k-labels-idx1-ubyte`, ..., each gzipped or not), else the bundled digits
    /// (`mnist-test-20-images-idx3-ubyte` and its labels).
    ///
    /// # Errors
    /// [`TrainError::MissingData`], naming every file looked for and where MNIST comes from.
    pub fn locate(dir: &Path, split: Split) -> Result<Self, TrainError> {
        let prefix = split.prefix();
        let mnist = format!("{prefix}-images-idx3-ubyte");
        let candidates = [
            (mnist.clone(), prefix),
            (format!("{mnist}.gz"), prefix),
            (format!("{BUNDLED_STEM}-images-idx3-ubyte"), BUNDLED_STEM),
        ];
        match candidates.iter().find(|(name, _)| dir.join(name).is_file()) {
            Some(&(_, stem)) => Ok(Self {
                images: dir.join(format!("{stem}-images-idx3-ubyte")),
                labels: dir.join(format!("{stem}-labels-idx1-ubyte")),
                bundled: stem == BUNDLED_STEM,
            }),
            None => Err(TrainError::MissingData {
                dir: dir.display().to_string(),
                split: prefix,
                looked_for: candidates.map(|(name, _)| name).join(", "),
            }),
        }
    }
}

/// Grey images with labels.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    /// Image rows.
    pub rows: usize,
    /// Image columns.
    pub cols: usize,
    /// `len · rows · cols` pixels.
    pub pixels: Vec<u8>,
    /// One label per image.
    pub labels: Vec<u8>,
}

fn data_error(path: &Path, reason: impl Into<String>) -> TrainError {
    TrainError::Data { path: path.display().to_string(), reason: reason.into() }
}

/// Reads `path`, or `path.gz` when `path` does not exist.
fn read_file(path: &Path) -> Result<(PathBuf, Vec<u8>), TrainError> {
    let gz = PathBuf::from(format!("{}.gz", path.display()));
    let path = if path.exists() { path.to_path_buf() } else { gz };
    let bytes = read_capped(&path, MAX_IMAGE_FILE_BYTES).map_err(|e| data_error(&path, e.to_string()))?;
    Ok((path, bytes))
}

impl Dataset {
    /// Reads an idx3 image file and an idx1 label file (each gzipped or not).
    ///
    /// # Errors
    /// [`TrainError::Data`] when a file is missing, corrupt (bad header, truncated data or gzip
    /// stream), the counts differ, or a label is not a class `0..=9`.
    pub fn from_idx_files(images: &Path, labels: &Path) -> Result<Self, TrainError> {
        let (image_path, image_bytes) = read_file(images)?;
        let parsed = IdxImages::parse(&image_bytes).map_err(|e| data_error(&image_path, e.to_string()))?;
        let count = parsed.len();
        let (rows, cols, pixels) = parsed.into_parts();
        let (label_path, label_bytes) = read_file(labels)?;
        let label_data = parse_idx_labels(&label_bytes).map_err(|e| data_error(&label_path, e.to_string()))?;
        if label_data.len() != count {
            return Err(data_error(&label_path, format!("{} labels for {count} images", label_data.len())));
        }
        if let Some(&bad) = label_data.iter().find(|&&l| l > 9) {
            return Err(data_error(&label_path, format!("label {bad} is not a class 0-9")));
        }
        Ok(Self { rows, cols, pixels, labels: label_data })
    }

    /// The MNIST `split` from directory `dir` (files as [`MnistFiles::locate`] finds them).
    ///
    /// # Errors
    /// As [`MnistFiles::locate`] and [`Dataset::from_idx_files`].
    pub fn mnist(dir: &Path, split: Split) -> Result<Self, TrainError> {
        let files = MnistFiles::locate(dir, split)?;
        Self::from_idx_files(&files.images, &files.labels)
    }

    /// Number of images.
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    /// Whether there is no image.
    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    /// Images `start..end` as a new data set.
    pub fn slice(&self, start: usize, end: usize) -> Self {
        let (start, end) = (start.min(self.len()), end.min(self.len()));
        let px = self.rows * self.cols;
        Self {
            rows: self.rows,
            cols: self.cols,
            pixels: self.pixels[start * px..end.max(start) * px].to_vec(),
            labels: self.labels[start..end.max(start)].to_vec(),
        }
    }

    /// Image `i` as an `f64` tensor `1 × rows × cols` in `[0, 1]`.
    pub fn tensor(&self, i: usize) -> Tensor3 {
        let base = i * self.rows * self.cols;
        Tensor3::from_fn(1, self.rows, self.cols, |_, y, x| self.pixels[base + y * self.cols + x] as f64 / 255.0)
    }

    /// The images `indices` as a batch in `[0, 1]`, with their labels. With `shift = Some((rng,
    /// s))` every image is translated by a random offset in `[-s, s]²` (zeros enter at the
    /// border): the training augmentation.
    pub fn batch(&self, indices: &[usize], mut shift: Option<(&mut ChaCha8Rng, usize)>) -> (Batch, Vec<u8>) {
        let (rows, cols) = (self.rows, self.cols);
        let mut batch = Batch::zeros(indices.len(), 1, rows, cols);
        for (out, &i) in batch.data.chunks_mut(rows * cols).zip(indices) {
            let image = &self.pixels[i * rows * cols..(i + 1) * rows * cols];
            let (dy, dx) = match shift.as_mut() {
                Some((rng, s)) if *s > 0 => {
                    let mut offset = || (rng.next_u32() % (2 * *s as u32 + 1)) as isize - *s as isize;
                    (offset(), offset())
                }
                _ => (0, 0),
            };
            for y in 0..rows {
                let sy = y as isize - dy;
                if sy < 0 || sy >= rows as isize {
                    continue;
                }
                for x in 0..cols {
                    let sx = x as isize - dx;
                    if sx >= 0 && sx < cols as isize {
                        out[y * cols + x] = image[sy as usize * cols + sx as usize] as f32 / 255.0;
                    }
                }
            }
        }
        (batch, indices.iter().map(|&i| self.labels[i]).collect())
    }

    /// The data set as idx3 image bytes and idx1 label bytes (uncompressed).
    pub fn to_idx(&self) -> (Vec<u8>, Vec<u8>) {
        let mut images = Vec::with_capacity(16 + self.pixels.len());
        for word in [0x0803u32, self.len() as u32, self.rows as u32, self.cols as u32] {
            images.extend_from_slice(&word.to_be_bytes());
        }
        images.extend_from_slice(&self.pixels);
        let mut labels = Vec::with_capacity(8 + self.len());
        for word in [0x0801u32, self.len() as u32] {
            labels.extend_from_slice(&word.to_be_bytes());
        }
        labels.extend_from_slice(&self.labels);
        (images, labels)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand_core::SeedableRng;

    fn tiny() -> Dataset {
        Dataset { rows: 3, cols: 3, pixels: (0..18).map(|v| v * 10).collect(), labels: vec![4, 7] }
    }

    #[test]
    fn idx_round_trip_gzip_and_typed_errors() {
        let dir = std::env::temp_dir().join(format!("spencnn-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (images, labels) = tiny().to_idx();
        std::fs::write(dir.join("t10k-images-idx3-ubyte"), &images).unwrap();
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
        std::io::Write::write_all(&mut gz, &labels).unwrap();
        std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), gz.finish().unwrap()).unwrap();
        assert_eq!(Dataset::mnist(&dir, Split::Test).unwrap(), tiny());
        let err = Dataset::mnist(&dir, Split::Train).unwrap_err();
        assert!(matches!(err, TrainError::MissingData { split: "train", .. }), "{err}");
        let message = err.to_string();
        for name in
            ["train-images-idx3-ubyte, train-images-idx3-ubyte.gz, mnist-test-20-images-idx3-ubyte", "MNIST database"]
        {
            assert!(message.contains(name), "{message}");
        }
        std::fs::write(dir.join("t10k-images-idx3-ubyte"), &images[..20]).unwrap();
        let err = Dataset::mnist(&dir, Split::Test).unwrap_err().to_string();
        assert!(err.contains("header announces 18"), "{err}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    fn gzip(bytes: &[u8]) -> Vec<u8> {
        let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
        std::io::Write::write_all(&mut gz, bytes).unwrap();
        gz.finish().unwrap()
    }

    /// Fashion-MNIST ships the four files gzipped only (as its Debian package does): they are
    /// read as such, and malformed data of that shape gets a typed error naming the file.
    #[test]
    fn gzipped_only_files_read_and_malformed_ones_are_typed_errors() {
        let dir = std::env::temp_dir().join(format!("spencnn-gz-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (images, labels) = tiny().to_idx();
        let (images_gz, labels_gz) = (gzip(&images), gzip(&labels));
        let write = |name: &str, bytes: &[u8]| std::fs::write(dir.join(name), bytes).unwrap();
        write("train-images-idx3-ubyte.gz", &images_gz);
        write("train-labels-idx1-ubyte.gz", &labels_gz);
        assert_eq!(Dataset::mnist(&dir, Split::Train).unwrap(), tiny());
        let data_error = |needle: &str| {
            let err = Dataset::mnist(&dir, Split::Train).unwrap_err();
            let TrainError::Data { path, reason } = &err else { panic!("not a data error: {err}") };
            assert!(reason.contains(needle), "{reason}");
            path.clone()
        };
        // A gzip stream cut short (a partial download).
        write("train-images-idx3-ubyte.gz", &images_gz[..images_gz.len() / 2]);
        assert!(data_error("gzip").ends_with("train-images-idx3-ubyte.gz"));
        // Gzip magic followed by garbage.
        write("train-images-idx3-ubyte.gz", &[0x1f, 0x8b, 8, 0, 0xde, 0xad, 0xbe, 0xef]);
        data_error("gzip");
        // Well-formed gzip of a wrong idx file: a label file where the images belong.
        write("train-images-idx3-ubyte.gz", &labels_gz);
        data_error("");
        write("train-images-idx3-ubyte.gz", &images_gz);
        // A label outside the ten classes.
        let mut bad = labels.clone();
        *bad.last_mut().unwrap() = 10;
        write("train-labels-idx1-ubyte.gz", &gzip(&bad));
        assert!(data_error("label 10 is not a class 0-9").ends_with("train-labels-idx1-ubyte.gz"));
        // Fewer labels than images.
        write(
            "train-labels-idx1-ubyte.gz",
            &gzip(&Dataset { pixels: vec![0; 9], labels: vec![1], ..tiny() }.to_idx().1),
        );
        data_error("1 labels for 2 images");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn the_bundled_digits_serve_both_splits_and_a_missing_label_file_is_named() {
        let dir = std::env::temp_dir().join(format!("spencnn-bundled-data-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (images, labels) = tiny().to_idx();
        std::fs::write(dir.join("mnist-test-20-images-idx3-ubyte"), &images).unwrap();
        let err = Dataset::mnist(&dir, Split::Test).unwrap_err().to_string();
        assert!(err.contains("mnist-test-20-labels-idx1-ubyte"), "{err}");
        std::fs::write(dir.join("mnist-test-20-labels-idx1-ubyte"), &labels).unwrap();
        for split in [Split::Train, Split::Test] {
            assert!(MnistFiles::locate(&dir, split).unwrap().bundled);
            assert_eq!(Dataset::mnist(&dir, split).unwrap(), tiny());
        }
        // The distribution's files take precedence.
        std::fs::write(dir.join("t10k-images-idx3-ubyte"), &images).unwrap();
        assert!(!MnistFiles::locate(&dir, Split::Test).unwrap().bundled);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn batches_scale_pixels_and_shift_with_zero_fill() {
        let data = tiny();
        let (batch, labels) = data.batch(&[1], None);
        assert_eq!(labels, vec![7]);
        assert_eq!(batch.data[0], 90.0 / 255.0);
        assert_eq!(data.tensor(1).data[8], 170.0 / 255.0);
        let mut rng = ChaCha8Rng::seed_from_u64(3);
        let translated = |dy: isize, dx: isize| -> Vec<f32> {
            (0..9isize)
                .map(|i| {
                    let (y, x) = (i / 3 - dy, i % 3 - dx);
                    if (0..3).contains(&y) && (0..3).contains(&x) { (10 * (3 * y + x)) as f32 / 255.0 } else { 0.0 }
                })
                .collect()
        };
        let mut seen = std::collections::BTreeSet::new();
        for _ in 0..20 {
            let (shifted, _) = data.batch(&[0], Some((&mut rng, 1)));
            let offset = (-1..=1)
                .flat_map(|dy| (-1..=1).map(move |dx| (dy, dx)))
                .find(|&(dy, dx)| translated(dy, dx) == shifted.data)
                .expect("a translation by at most one pixel");
            seen.insert(offset);
        }
        assert!(seen.len() > 3, "offsets drawn: {seen:?}");
    }
}
