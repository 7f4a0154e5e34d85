//! The trained LeNet weights (dense and SpENCNN) and the first 20 MNIST test digits with their
//! labels, compiled into the crate (feature `bundled`, on by default): everything an example,
//! a test or the `spencnn demo` command needs without a download.
//!
//! The weights were trained with `spencnn train` (crate `spencnn-train`) on the 60 000 MNIST
//! training images: the SpENCNN file has conv2 in 4 groups with half of its sub-blocks pruned
//! (99.03 % test accuracy), the dense file 99.10 %.
//!
//! ```
//! use spencnn::bundled;
//! use spencnn::model::zoo::Variant;
//!
//! let model = bundled::lenet(Variant::SpEncnn)?;
//! let (image, label) = bundled::digit(0)?;
//! let logits = spencnn::reference::forward(&model, &image)?;
//! assert_eq!(spencnn::inference::precision::argmax(&logits), usize::from(label));
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```

use crate::image::{IdxImages, ImageError, parse_idx_labels};
use crate::model::zoo::{Network, Variant};
use crate::model::{Model, ModelError, load_safetensors};
use crate::tensor::Tensor3;

/// The trained SpENCNN LeNet (safetensors).
pub const LENET_SPENCNN_WEIGHTS: &[u8] = include_bytes!("../assets/lenet-spencnn.safetensors");
/// The trained dense LeNet (safetensors).
pub const LENET_DENSE_WEIGHTS: &[u8] = include_bytes!("../assets/lenet-dense.safetensors");
/// The first 20 MNIST test images (idx3, 28×28 grey).
pub const MNIST_TEST_IMAGES: &[u8] = include_bytes!("../assets/mnist-test-20-images-idx3-ubyte");
/// Their labels (idx1).
pub const MNIST_TEST_LABELS: &[u8] = include_bytes!("../assets/mnist-test-20-labels-idx1-ubyte");
/// Number of bundled digits.
pub const DIGITS: usize = 20;

/// The trained LeNet of `variant` (weights loaded, ready to plan).
///
/// # Errors
/// None in practice (the files are checked by the crate's tests); typed as loading any
/// weights file is.
pub fn lenet(variant: Variant) -> Result<Model, ModelError> {
    let mut model = Network::LeNet.build(variant);
    let bytes = match variant {
        Variant::Dense => LENET_DENSE_WEIGHTS,
        Variant::SpEncnn => LENET_SPENCNN_WEIGHTS,
    };
    load_safetensors(&mut model, bytes)?;
    Ok(model)
}

/// Bundled test digit `index` (`0..DIGITS`) as a `1 × 28 × 28` tensor in `[0, 1]`, with its
/// label.
///
/// # Errors
/// [`ImageError::Index`] for an index out of range.
pub fn digit(index: usize) -> Result<(Tensor3, u8), ImageError> {
    let image = IdxImages::parse(MNIST_TEST_IMAGES)?.image(index, [1, 28, 28])?;
    let labels = parse_idx_labels(MNIST_TEST_LABELS)?;
    Ok((image, labels[index]))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_bundled_digit_loads_with_its_label_and_the_index_is_checked() {
        let labels: Vec<u8> = (0..DIGITS).map(|i| digit(i).unwrap().1).collect();
        assert_eq!(&labels[..4], &[7, 2, 1, 0]);
        assert!(labels.iter().all(|&l| l <= 9));
        assert!(matches!(digit(DIGITS), Err(ImageError::Index { .. })));
    }

    #[test]
    fn both_bundled_models_load() {
        for variant in Variant::ALL {
            assert_eq!(lenet(variant).unwrap().nodes.len(), Network::LeNet.build(variant).nodes.len());
        }
    }
}
