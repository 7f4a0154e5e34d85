//! The images `infer` classifies, produced one at a time: a PNG, a range of an idx file (with
//! optional labels), or seeded random images. Everything about the selection is validated when
//! the source is opened (before any key is made); the pixels of an image are made only when it
//! is its turn, so `--count` costs no memory up front.

use std::path::Path;

use anyhow::{Context as _, bail};
use spencnn::Tensor3;
use spencnn::files::{MAX_IMAGE_FILE_BYTES, MAX_LABEL_FILE_BYTES, read_capped};
use spencnn::image::{IdxImages, load_png, parse_idx_labels};

/// What `--image`, `--index`, `--count`, `--labels` and `--seed` select.
pub(crate) struct ImageSelection<'a> {
    pub image: Option<&'a Path>,
    pub labels: Option<&'a Path>,
    pub index: usize,
    pub count: usize,
    pub seed: u64,
}

/// A validated sequence of images of one shape.
pub(crate) enum ImageSource {
    /// `count` seeded random images (`seed`, `seed + 1`, ...).
    Random { shape: [usize; 3], seed: u64, count: usize },
    /// One PNG.
    Png(Tensor3),
    /// Images `first..first + count` of an idx file, with their labels if given.
    Idx { images: IdxImages, labels: Option<Vec<u8>>, shape: [usize; 3], first: usize, count: usize },
}

/// Whether `path` names a PNG: by its extension, or by the PNG signature. An empty or broken
/// `.png` file is then reported as a malformed PNG, not as a malformed idx file.
fn is_png(path: &Path, bytes: &[u8]) -> bool {
    let by_name = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png"));
    by_name || bytes.starts_with(b"\x89PNG")
}

impl ImageSource {
    /// Opens and validates the selection for a model input of `shape`.
    pub(crate) fn open(selection: &ImageSelection<'_>, shape: [usize; 3]) -> anyhow::Result<Self> {
        let ImageSelection { image, labels, index, count, seed } = *selection;
        let Some(path) = image else {
            if index != 0 || labels.is_some() {
                bail!("--index and --labels select images of an idx file given with --image");
            }
            return Ok(ImageSource::Random { shape, seed, count });
        };
        let bytes = read_capped(path, MAX_IMAGE_FILE_BYTES).context("cannot read the image")?;
        let bad_image = || format!("cannot use {} as the model's input", path.display());
        if is_png(path, &bytes) {
            if index != 0 || count != 1 || labels.is_some() {
                bail!("--index, --count and --labels select images of an idx file; {} is a PNG", path.display());
            }
            return Ok(ImageSource::Png(load_png(&bytes, shape).with_context(bad_image)?));
        }
        let images = IdxImages::parse(&bytes).with_context(bad_image)?;
        drop(bytes);
        let held = images.len();
        let end = index
            .checked_add(count)
            .with_context(|| format!("--index {index} plus --count {count} is beyond any file"))?;
        if end > held {
            bail!(
                "--index {index} --count {count} selects images {index}..{end}, but {} holds {held} (indices 0..{})",
                path.display(),
                held.saturating_sub(1)
            );
        }
        // The shape is checked on the first image, so a mismatch is reported now.
        images.image(index, shape).with_context(bad_image)?;
        let labels = match labels {
            Some(label_path) => {
                let bytes = read_capped(label_path, MAX_LABEL_FILE_BYTES).context("cannot read the labels")?;
                let labels = parse_idx_labels(&bytes)
                    .with_context(|| format!("{} is not an idx label file", label_path.display()))?;
                if labels.len() < end {
                    bail!(
                        "{} holds {} labels, the images go up to index {}",
                        label_path.display(),
                        labels.len(),
                        end - 1
                    );
                }
                Some(labels)
            }
            None => None,
        };
        Ok(ImageSource::Idx { images, labels, shape, first: index, count })
    }

    /// Number of images.
    pub(crate) fn len(&self) -> usize {
        match self {
            ImageSource::Random { count, .. } | ImageSource::Idx { count, .. } => *count,
            ImageSource::Png(_) => 1,
        }
    }

    /// The `k`-th image of the selection (`k < len()`): its index in the file (or its number),
    /// the tensor and its label.
    pub(crate) fn get(&self, k: usize) -> anyhow::Result<(usize, Tensor3, Option<u8>)> {
        match self {
            ImageSource::Random { shape, seed, .. } => {
                Ok((k, Tensor3::random_unit(*shape, seed.wrapping_add(k as u64)), None))
            }
            ImageSource::Png(tensor) => Ok((0, tensor.clone(), None)),
            ImageSource::Idx { images, labels, shape, first, .. } => {
                let index = first + k;
                let tensor = images.image(index, *shape)?;
                Ok((index, tensor, labels.as_ref().and_then(|l| l.get(index).copied())))
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn asset(name: &str) -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../assets").join(name)
    }

    #[test]
    fn random_images_are_made_when_asked_for() {
        let selection = ImageSelection { image: None, labels: None, index: 0, count: 100_000, seed: 3 };
        let source = ImageSource::open(&selection, [1, 28, 28]).unwrap();
        // Opening holds no pixels: the largest count costs nothing up front.
        assert!(matches!(source, ImageSource::Random { count: 100_000, .. }));
        assert_eq!(source.len(), 100_000);
        let (index, last, label) = source.get(99_999).unwrap();
        assert_eq!((index, label), (99_999, None));
        assert_eq!(last.data, Tensor3::random_unit([1, 28, 28], 3 + 99_999).data);
    }

    #[test]
    fn an_idx_range_is_checked_when_opened_and_read_one_image_at_a_time() {
        let (images, labels) = (asset("mnist-test-20-images-idx3-ubyte"), asset("mnist-test-20-labels-idx1-ubyte"));
        let select = |index, count| ImageSelection {
            image: Some(images.as_path()),
            labels: Some(labels.as_path()),
            index,
            count,
            seed: 1,
        };
        let source = ImageSource::open(&select(18, 2), [1, 28, 28]).unwrap();
        assert_eq!(source.len(), 2);
        let (index, _, label) = source.get(1).unwrap();
        assert_eq!(index, 19);
        assert!(label.is_some_and(|l| l <= 9));
        for (index, count) in [(19, 2), (20, 1), (usize::MAX, 1)] {
            let err = ImageSource::open(&select(index, count), [1, 28, 28]).err().unwrap();
            assert!(err.to_string().contains("--index"), "{err}");
        }
        let wrong_shape = ImageSource::open(&select(0, 1), [3, 32, 32]).err().unwrap();
        assert!(wrong_shape.to_string().contains("cannot use"), "{wrong_shape}");
    }
}
