//! The f64 reference forward pass: direct convolution, no packing, no folding.
//!
//! This is the independent oracle the slot simulator is checked against.

use crate::model::{AvgPool, BatchNorm, Conv2d, Layer, Linear, Model, ModelError, PolyActivation};
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

/// Evaluates one layer on its input(s).
pub fn layer(layer: &Layer, input: &Tensor3, other: Option<&Tensor3>) -> Tensor3 {
    match layer {
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
        let out = layer(&node.layer, &values[node.input], other);
        values.push(out);
    }
    Ok(values)
}

/// Runs the model and returns its output, flattened.
pub fn forward(model: &Model, image: &Tensor3) -> Result<Vec<f64>, ModelError> {
    let mut values = forward_all(model, image)?;
    Ok(values.pop().map(|t| t.data).unwrap_or_default())
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
