//! `--relu` and its companions: how `Relu` nodes of an ONNX model are imported (refused, or
//! approximated by a polynomial on an interval given or calibrated on sample images).

use std::path::PathBuf;

use anyhow::{Context as _, bail};
use clap::{Args, ValueEnum};
use spencnn::Tensor3;
use spencnn::files::{MAX_IMAGE_FILE_BYTES, read_capped};
use spencnn::image::IdxImages;
use spencnn::import::onnx::{ImportOptions, ImportedModel, RELU_CALIBRATION_MARGIN, calibrate_relu};
use spencnn::model::{Layer, Model, ReluApprox, ReluPrecision};
use spencnn::reference::{ReluMode, relu_input_peaks};

use crate::image_source::{ImageSelection, ImageSource};

/// Most images a calibration reads.
const MAX_CALIBRATION_IMAGES: usize = 10_000;

/// `--relu`: what the importer does with `Relu` nodes.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, ValueEnum)]
pub(crate) enum ReluChoice {
    /// Refuse them (HE evaluates only polynomials).
    #[default]
    Reject,
    /// Replace each by a composite minimax polynomial on an interval (--relu-interval or
    /// --relu-calibrate).
    Approx,
}

/// The ReLU options of the commands that take `--model X.onnx`.
#[derive(Clone, Debug, Args)]
pub(crate) struct ReluArgs {
    /// Relu nodes of an ONNX model: reject (the default), or approx: a composite minimax
    /// polynomial on [-R, R] (about 10 levels each at the default precision), with R from
    /// --relu-interval or --relu-calibrate.
    #[arg(long, value_enum, default_value_t)]
    pub relu: ReluChoice,
    /// Interval A,B every Relu input stays in (the polynomial is built on [-R, R], R =
    /// max(|A|, |B|)); inputs outside it give wrong results (reported where seen).
    #[arg(long, value_parser = interval, allow_hyphen_values = true)]
    pub relu_interval: Option<(f64, f64)>,
    /// Calibrate each Relu's interval on images (a PNG, or the first --relu-calibrate-count
    /// images of an idx file): R = --relu-margin times the largest |input| the exact network
    /// gives it.
    #[arg(long)]
    pub relu_calibrate: Option<PathBuf>,
    /// Most images of an idx file the calibration reads, from the first (1 to 10000).
    #[arg(long, default_value_t = 64, value_parser = crate::bounds::count_in::<1, 10_000>)]
    pub relu_calibrate_count: usize,
    /// Factor between the largest calibrated |input| and R (1 to 100).
    #[arg(long, default_value_t = RELU_CALIBRATION_MARGIN, value_parser = margin)]
    pub relu_margin: f64,
    /// Precision of the sign inside the approximation, in bits (1 to 40): error at most
    /// R·2^-(bits+1) for |x| ≥ epsilon·R.
    #[arg(long, default_value_t = ReluPrecision::default().bits, value_parser = bits)]
    pub relu_bits: f64,
    /// Relative half-width of the gap around 0 where the error may reach epsilon·R (2^-30 to
    /// 0.5). Smaller is more precise and deeper.
    #[arg(long, default_value_t = ReluPrecision::default().epsilon, value_parser = epsilon)]
    pub relu_epsilon: f64,
}

fn number(text: &str) -> Result<f64, String> {
    let value: f64 = text.trim().parse().map_err(|e| format!("`{text}` is not a valid number ({e})"))?;
    if value.is_finite() { Ok(value) } else { Err(format!("`{text}` is not a finite number")) }
}

/// `A,B` with `A < B`, both finite, not both zero.
fn interval(text: &str) -> Result<(f64, f64), String> {
    let Some((a, b)) = text.split_once(',') else {
        return Err(format!("`{text}` is not an interval A,B (e.g. -8,8)"));
    };
    let (a, b) = (number(a)?, number(b)?);
    if a >= b {
        return Err(format!("the interval {a},{b} is empty: A must be below B"));
    }
    Ok((a, b))
}

fn in_range(text: &str, min: f64, max: f64) -> Result<f64, String> {
    let value = number(text)?;
    if (min..=max).contains(&value) { Ok(value) } else { Err(format!("{value} is outside [{min}, {max}]")) }
}

fn margin(text: &str) -> Result<f64, String> {
    in_range(text, 1.0, 100.0)
}

fn bits(text: &str) -> Result<f64, String> {
    in_range(text, 1.0, 40.0)
}

fn epsilon(text: &str) -> Result<f64, String> {
    in_range(text, (-30f64).exp2(), 0.5)
}

impl ReluArgs {
    /// Refuses the ReLU flags for a zoo network (its activations are polynomials already).
    ///
    /// # Errors
    /// When any ReLU flag is set.
    pub(crate) fn only_for_onnx(&self) -> anyhow::Result<()> {
        if self.relu != ReluChoice::Reject || self.relu_interval.is_some() || self.relu_calibrate.is_some() {
            bail!("--relu, --relu-interval and --relu-calibrate apply to ONNX models (--model FILE.onnx)");
        }
        Ok(())
    }

    /// The import options these flags ask for.
    ///
    /// # Errors
    /// Flags that contradict each other (an interval or calibration without `--relu approx`,
    /// both or neither with it).
    pub(crate) fn import_options(&self) -> anyhow::Result<ImportOptions> {
        let precision = ReluPrecision { epsilon: self.relu_epsilon, bits: self.relu_bits };
        match (self.relu, self.relu_interval, &self.relu_calibrate) {
            (ReluChoice::Reject, None, None) => Ok(ImportOptions::default()),
            (ReluChoice::Reject, _, _) => {
                bail!("--relu-interval and --relu-calibrate choose the ReLU approximation: add --relu approx")
            }
            (ReluChoice::Approx, Some(_), Some(_)) => {
                bail!("--relu-interval and --relu-calibrate both set the ReLU interval: give one")
            }
            (ReluChoice::Approx, None, None) => {
                bail!(
                    "--relu approx needs the interval of the ReLU inputs: --relu-interval A,B or --relu-calibrate IMAGES"
                )
            }
            (ReluChoice::Approx, interval, _) => {
                // Calibration replaces the radius of every node; 1 until then.
                let radius = interval.map_or(1.0, |(a, b)| a.abs().max(b.abs()));
                Ok(ImportOptions { relu: Some(ReluApprox::new(radius, precision)?) })
            }
        }
    }

    /// Calibrates the ReLU intervals of `imported` when `--relu-calibrate` is given, printing
    /// each node's peak and radius to standard error unless `quiet`.
    ///
    /// # Errors
    /// Unreadable images, images of another shape, calibration errors.
    pub(crate) fn calibrate(&self, imported: &mut ImportedModel, quiet: bool) -> anyhow::Result<()> {
        let Some(path) = &self.relu_calibrate else { return Ok(()) };
        let unreadable = || format!("cannot read the calibration images {}", path.display());
        let bytes = read_capped(path, MAX_IMAGE_FILE_BYTES).with_context(unreadable)?;
        let png = path.extension().is_some_and(|e| e.eq_ignore_ascii_case("png")) || bytes.starts_with(b"\x89PNG");
        let count = if png {
            1
        } else {
            let held = IdxImages::parse(&bytes).with_context(unreadable)?.len();
            self.relu_calibrate_count.min(MAX_CALIBRATION_IMAGES).min(held.max(1))
        };
        drop(bytes);
        let selection = ImageSelection { image: Some(path), labels: None, index: 0, count, seed: 0 };
        let source = ImageSource::open(&selection, imported.model.input_shape).with_context(unreadable)?;
        let images: Vec<Tensor3> = (0..source.len()).map(|k| source.get(k).map(|i| i.1)).collect::<Result<_, _>>()?;
        let peaks = calibrate_relu(imported, &images, self.relu_margin)?;
        if !quiet {
            for p in &peaks {
                eprintln!(
                    "note: ReLU {}: largest |input| {:.4} over {} calibration images, interval [-{:.4}, {:.4}]",
                    p.name,
                    p.peak,
                    images.len(),
                    p.radius,
                    p.radius
                );
            }
        }
        Ok(())
    }
}

/// Warns on standard error when a ReLU input of `model` on `image` (the model's input, image
/// `index`) leaves its interval: the plaintext pass sees what the encrypted one cannot.
///
/// # Errors
/// An image of the wrong shape.
pub(crate) fn warn_outside_intervals(model: &Model, image: &Tensor3, index: usize) -> anyhow::Result<()> {
    if !model.nodes.iter().any(|n| matches!(n.layer, Layer::Relu(_))) {
        return Ok(());
    }
    for p in relu_input_peaks(model, image, ReluMode::Approximate)?.iter().filter(|p| p.outside()) {
        eprintln!(
            "warning: image {index}: ReLU {} receives |x| up to {:.4}, outside its interval [-{:.4}, {:.4}]: the \
             encrypted result is unreliable (widen --relu-interval, or calibrate on images like this one)",
            p.name, p.peak, p.radius, p.radius
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_and_ranges_are_checked() {
        assert_eq!(interval("-8,8"), Ok((-8.0, 8.0)));
        assert_eq!(interval(" -1.5 , 3"), Ok((-1.5, 3.0)));
        for bad in ["8", "8,-8", "1,1", "a,2", "-inf,2", "NaN,1"] {
            assert!(interval(bad).is_err(), "{bad}");
        }
        assert!(margin("0.5").is_err() && margin("2").is_ok());
        assert!(bits("0").is_err() && bits("41").is_err() && bits("12").is_ok());
        assert!(epsilon("0.6").is_err() && epsilon("0").is_err() && epsilon("0.01").is_ok());
    }
}
