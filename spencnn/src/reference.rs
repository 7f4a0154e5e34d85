//! The f64 reference forward pass: direct convolution, no packing, no folding.
//!
//! This is the independent oracle the slot simulator is checked against. A
//! [`Layer::Relu`] evaluates the same polynomial as the encrypted engine
//! ([`ReluMode::Approximate`]); [`ReluMode::Exact`] evaluates `max(x, 0)` instead, for
//! calibrating the interval and measuring the approximation's error against the exact network.

use serde::Serialize;

use crate::model::{AvgPool, BatchNorm, Conv2d, Layer, Linear, Model, ModelError, PolyActivation, ReluApprox};
use crate::tensor::Tensor3;

/// Direct convolution with zero padding, stride and groups.
pub fn conv2d(conv: &Conv2d, input: &Tensor3) -> Tensor3 {
    let [oh, ow] = conv.out_shape(input.height, input.width).unwrap_or([0, 0]);
    let [top, left, _, _] = conv.padding_sides();
    let (gi, go) = (conv.group_in(), conv.group_out());
    Tensor3::from_fn(conv.out_channels, oh, ow, |o, y, x| {
        let group = o / go;
        let mut sum = conv.bias.as_ref().map_or(0.0, |b| b[o]);
        for i in 0..gi {
            let ch = group * gi + i;
            for dy in 0..conv.kernel {
                for dx in 0..conv.kernel {
                    let iy = (y * conv.stride + dy) as i64 - top as i64;
                    let ix = (x * conv.stride + dx) as i64 - left as i64;
                    if iy >= 0 && ix >= 0 && (iy as usize) < input.height && (ix as usize) < input.width {
                        sum += conv.w(o, i, dy, dx) * input.get(ch, iy as usize, ix as usize);
                    }
                }
            }
        }
        sum
    })
}

fn batch_norm(bn: &BatchNorm, input: &Tensor3) -> Tensor3 {
    Tensor3::from_fn(input.channels, input.height, input.width, |c, y, x| {
        let (scale, shift) = bn.affine(c);
        scale * input.get(c, y, x) + shift
    })
}

fn activation(act: &PolyActivation, input: &Tensor3) -> Tensor3 {
    Tensor3::from_fn(input.channels, input.height, input.width, |c, y, x| {
        let (a, b, k) = act.coeffs(c);
        let v = input.get(c, y, x);
        a * v * v + b * v + k
    })
}

fn relu(relu: &ReluApprox, input: &Tensor3, mode: ReluMode) -> Tensor3 {
    let data = match mode {
        ReluMode::Approximate => input.data.iter().map(|&v| relu.evaluate(v)).collect(),
        ReluMode::Exact => input.data.iter().map(|&v| v.max(0.0)).collect(),
    };
    Tensor3 { data, ..input.clone() }
}

fn avg_pool2(input: &Tensor3) -> Tensor3 {
    Tensor3::from_fn(input.channels, input.height / 2, input.width / 2, |c, y, x| {
        let mut sum = 0.0;
        for (a, b) in [(0, 0), (0, 1), (1, 0), (1, 1)] {
            sum += input.get(c, 2 * y + a, 2 * x + b);
        }
        sum / 4.0
    })
}

/// Average pooling by the definition: the window sum over in-bounds pixels, divided by
/// [`AvgPool::divisor`].
fn avg_pool(pool: &AvgPool, input: &Tensor3) -> Tensor3 {
    let [oh, ow] = pool.out_shape(input.height, input.width).unwrap_or([0, 0]);
    let [top, left, _, _] = pool.pads;
    Tensor3::from_fn(input.channels, oh, ow, |c, y, x| {
        let mut sum = 0.0;
        for dy in 0..pool.kernel {
            for dx in 0..pool.kernel {
                let iy = (y * pool.stride + dy) as i64 - top as i64;
                let ix = (x * pool.stride + dx) as i64 - left as i64;
                if iy >= 0 && ix >= 0 && (iy as usize) < input.height && (ix as usize) < input.width {
                    sum += input.get(c, iy as usize, ix as usize);
                }
            }
        }
        sum / pool.divisor(y, x, input.height, input.width) as f64
    })
}

fn global_avg_pool(input: &Tensor3) -> Tensor3 {
    let n = (input.height * input.width) as f64;
    Tensor3::from_fn(input.channels, 1, 1, |c, _, _| {
        let plane = input.height * input.width;
        input.data[c * plane..(c + 1) * plane].iter().sum::<f64>() / n
    })
}

fn linear(fc: &Linear, input: &Tensor3) -> Tensor3 {
    Tensor3::from_fn(fc.out_features, 1, 1, |o, _, _| {
        let row = &fc.weight[o * fc.in_features..(o + 1) * fc.in_features];
        let dot: f64 = row.iter().zip(&input.data).map(|(w, v)| w * v).sum();
        dot + fc.bias.as_ref().map_or(0.0, |b| b[o])
    })
}

/// How [`Layer::Relu`] is evaluated by the reference.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum ReluMode {
    /// The polynomial the encrypted engine evaluates (the default).
    #[default]
    Approximate,
    /// `max(x, 0)`, as the original network (and onnxruntime) computes it.
    Exact,
}

/// Evaluates one layer on its input(s) (a ReLU by its polynomial).
pub fn layer(layer: &Layer, input: &Tensor3, other: Option<&Tensor3>) -> Tensor3 {
    layer_with(layer, input, other, ReluMode::Approximate)
}

/// Evaluates one layer on its input(s), a ReLU as `mode` says.
pub fn layer_with(layer: &Layer, input: &Tensor3, other: Option<&Tensor3>, mode: ReluMode) -> Tensor3 {
    match layer {
        Layer::Relu(r) => relu(r, input, mode),
        Layer::Conv2d(conv) => conv2d(conv, input),
        Layer::BatchNorm(bn) => batch_norm(bn, input),
        Layer::Activation(act) => activation(act, input),
        Layer::AvgPool2 => avg_pool2(input),
        Layer::AvgPool(pool) => avg_pool(pool, input),
        Layer::GlobalAvgPool => global_avg_pool(input),
        Layer::Flatten => Tensor3 { channels: input.data.len(), height: 1, width: 1, data: input.data.clone() },
        Layer::Linear(fc) => linear(fc, input),
        Layer::Add { .. } => {
            let mut out = input.clone();
            if let Some(o) = other {
                out.data.iter_mut().zip(&o.data).for_each(|(a, b)| *a += b);
            }
            out
        }
    }
}

/// Runs the whole model; returns every value (index 0 = input, last = output).
pub fn forward_all(model: &Model, image: &Tensor3) -> Result<Vec<Tensor3>, ModelError> {
    forward_all_with(model, image, ReluMode::Approximate)
}

/// [`forward_all`] with ReLUs evaluated as `mode` says.
pub fn forward_all_with(model: &Model, image: &Tensor3, mode: ReluMode) -> Result<Vec<Tensor3>, ModelError> {
    model.shapes()?;
    if image.shape() != model.input_shape {
        return Err(ModelError::ImageShape { expected: model.input_shape, found: image.shape() });
    }
    let mut values = vec![image.clone()];
    for node in &model.nodes {
        let other = match node.layer {
            Layer::Add { other } => Some(&values[other]),
            _ => None,
        };
        let out = layer_with(&node.layer, &values[node.input], other, mode);
        values.push(out);
    }
    Ok(values)
}

/// Runs the model and returns its output, flattened.
pub fn forward(model: &Model, image: &Tensor3) -> Result<Vec<f64>, ModelError> {
    let mut values = forward_all(model, image)?;
    Ok(values.pop().map(|t| t.data).unwrap_or_default())
}

/// [`forward`] with ReLUs evaluated as `mode` says.
pub fn forward_with(model: &Model, image: &Tensor3, mode: ReluMode) -> Result<Vec<f64>, ModelError> {
    let mut values = forward_all_with(model, image, mode)?;
    Ok(values.pop().map(|t| t.data).unwrap_or_default())
}

/// The largest `|pre-activation|` one [`Layer::Relu`] node received, against its radius.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ReluPeak {
    /// Node index.
    pub node: usize,
    /// Node name.
    pub name: String,
    /// `max |x|` over the node's inputs.
    pub peak: f64,
    /// The radius `R` of the node's interval `[-R, R]`.
    pub radius: f64,
}

impl ReluPeak {
    /// Whether an input left the interval (the polynomial is then meaningless there).
    pub fn outside(&self) -> bool {
        self.peak.is_nan() || self.peak > self.radius
    }
}

/// The `|pre-activation|` peak of every ReLU node on `image`, ReLUs evaluated as `mode` says
/// ([`ReluMode::Exact`] to calibrate radii, [`ReluMode::Approximate`] to check that the
/// encrypted network's own inputs stay inside its intervals).
///
/// # Errors
/// As [`forward_all`].
pub fn relu_input_peaks(model: &Model, image: &Tensor3, mode: ReluMode) -> Result<Vec<ReluPeak>, ModelError> {
    let values = forward_all_with(model, image, mode)?;
    Ok(model
        .nodes
        .iter()
        .enumerate()
        .filter_map(|(n, node)| match &node.layer {
            Layer::Relu(r) => Some(ReluPeak {
                node: n,
                name: node.name.clone(),
                peak: values[node.input].data.iter().fold(0.0f64, |m, v| m.max(v.abs())),
                radius: r.radius,
            }),
            _ => None,
        })
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn conv_matches_a_hand_computed_example() {
        // 1 channel 3x3 input, 2x2 kernel of ones, padding 0: sums of 2x2 windows.
        let mut conv = Conv2d::new(1, 1, 2, 1, 0, 1);
        conv.weight = vec![1.0; 4];
        let input = Tensor3::from_fn(1, 3, 3, |_, y, x| (y * 3 + x) as f64);
        let out = conv2d(&conv, &input);
        assert_eq!(out.data, vec![8.0, 12.0, 20.0, 24.0]);
        // Stride 2 with padding 1 reads the zero border.
        let mut conv = Conv2d::new(1, 1, 3, 2, 1, 1);
        conv.weight = vec![1.0; 9];
        let out = conv2d(&conv, &input);
        assert_eq!(out.shape(), [1, 2, 2]);
        assert_eq!(out.data, vec![8.0, 12.0, 20.0, 24.0]);
    }
}
