//! The layer kinds of a network, with their parameters.

use serde::Serialize;

/// A 2-D convolution with square `kernel × kernel` taps.
///
/// `weight` is `[out_channels][in_channels / groups][kernel][kernel]` (PyTorch order). Output pixel
/// `(y, x)` reads input `(y · stride + dy − top, x · stride + dx − left)`; reads outside the map are
/// zero. The padding is `padding` on every side unless `pads` gives `[top, left, bottom, right]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Conv2d {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Kernel side `k`.
    pub kernel: usize,
    /// Stride (1 or 2 in our networks; any positive value is accepted).
    pub stride: usize,
    /// Zero padding on every side (unless `pads` is set).
    pub padding: usize,
    /// Asymmetric zero padding `[top, left, bottom, right]` (ONNX `pads` order); replaces `padding`.
    pub pads: Option<[usize; 4]>,
    /// Channel groups `g` (1 = dense); both channel counts are multiples of `g`.
    pub groups: usize,
    /// Weights, see the type documentation.
    #[serde(skip)]
    pub weight: Vec<f64>,
    /// Optional per-output-channel bias.
    #[serde(skip)]
    pub bias: Option<Vec<f64>>,
}

impl Conv2d {
    /// A convolution with zero weights and no bias.
    pub fn new(
        in_channels: usize,
        out_channels: usize,
        kernel: usize,
        stride: usize,
        padding: usize,
        groups: usize,
    ) -> Self {
        let len = out_channels * (in_channels / groups.max(1)) * kernel * kernel;
        Self {
            in_channels,
            out_channels,
            kernel,
            stride,
            padding,
            pads: None,
            groups,
            weight: vec![0.0; len],
            bias: None,
        }
    }

    /// Input channels per group.
    pub fn group_in(&self) -> usize {
        self.in_channels / self.groups
    }

    /// Output channels per group.
    pub fn group_out(&self) -> usize {
        self.out_channels / self.groups
    }

    /// Shape of `weight`.
    pub fn weight_shape(&self) -> [usize; 4] {
        [self.out_channels, self.group_in(), self.kernel, self.kernel]
    }

    /// Weight of output `o`, in-group input `i`, tap `(dy, dx)`.
    pub fn w(&self, o: usize, i: usize, dy: usize, dx: usize) -> f64 {
        self.weight[((o * self.group_in() + i) * self.kernel + dy) * self.kernel + dx]
    }

    /// Zero padding `[top, left, bottom, right]`.
    pub fn padding_sides(&self) -> [usize; 4] {
        self.pads.unwrap_or([self.padding; 4])
    }

    /// Output size `[height, width]` for an `height × width` input (`None` if the kernel does not
    /// fit the padded input).
    pub fn out_shape(&self, height: usize, width: usize) -> Option<[usize; 2]> {
        let [top, left, bottom, right] = self.padding_sides();
        let out = |n: usize, before: usize, after: usize| {
            (n + before + after).checked_sub(self.kernel).map(|r| r / self.stride + 1)
        };
        Some([out(height, top, bottom)?, out(width, left, right)?])
    }
}

/// Average pooling with a `kernel × kernel` window, a stride and zero padding.
///
/// Output pixel `(y, x)` averages the window starting at input `(y · stride − top,
/// x · stride − left)`. With `count_include_pad` the divisor is always `kernel²` (padding counts
/// as zeros); without it, only the window positions inside the map are counted.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AvgPool {
    /// Window side `k`.
    pub kernel: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding `[top, left, bottom, right]`.
    pub pads: [usize; 4],
    /// Whether padded positions count in the divisor.
    pub count_include_pad: bool,
}

impl AvgPool {
    /// Output size `[height, width]` for an `height × width` input (`None` if the window does not
    /// fit the padded input).
    pub fn out_shape(&self, height: usize, width: usize) -> Option<[usize; 2]> {
        let [top, left, bottom, right] = self.pads;
        let out = |n: usize, before: usize, after: usize| {
            (n + before + after).checked_sub(self.kernel).map(|r| r / self.stride + 1)
        };
        Some([out(height, top, bottom)?, out(width, left, right)?])
    }

    /// Whether the window ever reads padding.
    pub fn is_padded(&self) -> bool {
        self.pads.iter().any(|&p| p > 0)
    }

    /// The divisor of output pixel `(y, x)` for an `height × width` input.
    pub fn divisor(&self, y: usize, x: usize, height: usize, width: usize) -> usize {
        if self.count_include_pad {
            return self.kernel * self.kernel;
        }
        let inside = |o: usize, before: usize, n: usize| {
            let start = (o * self.stride) as i64 - before as i64;
            (0..self.kernel as i64).filter(|d| (0..n as i64).contains(&(start + d))).count()
        };
        inside(y, self.pads[0], height) * inside(x, self.pads[1], width)
    }
}

/// Inference-mode batch normalisation: `y = gamma · (x − mean) / sqrt(var + eps) + beta`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct BatchNorm {
    /// Channels.
    pub channels: usize,
    /// Scale γ.
    #[serde(skip)]
    pub gamma: Vec<f64>,
    /// Shift β.
    #[serde(skip)]
    pub beta: Vec<f64>,
    /// Running mean.
    #[serde(skip)]
    pub mean: Vec<f64>,
    /// Running variance.
    #[serde(skip)]
    pub var: Vec<f64>,
    /// Variance epsilon.
    pub eps: f64,
}

impl BatchNorm {
    /// Identity batch norm (γ = 1, β = 0, mean 0, var 1 − eps).
    pub fn identity(channels: usize) -> Self {
        Self {
            channels,
            gamma: vec![1.0; channels],
            beta: vec![0.0; channels],
            mean: vec![0.0; channels],
            var: vec![1.0; channels],
            eps: 1e-5,
        }
    }

    /// The per-channel affine map `(scale, shift)` this layer applies.
    pub fn affine(&self, ch: usize) -> (f64, f64) {
        let scale = self.gamma[ch] / (self.var[ch] + self.eps).sqrt();
        (scale, self.beta[ch] - scale * self.mean[ch])
    }
}

/// Per-channel polynomial activation `a·x² + b·x + c`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct PolyActivation {
    /// Channels (1 = shared by all channels).
    pub channels: usize,
    /// Quadratic coefficients.
    #[serde(skip)]
    pub a: Vec<f64>,
    /// Linear coefficients.
    #[serde(skip)]
    pub b: Vec<f64>,
    /// Constants.
    #[serde(skip)]
    pub c: Vec<f64>,
}

impl PolyActivation {
    /// Coefficients `(a, b, c)` for channel `ch` (shared when `channels == 1`).
    pub fn coeffs(&self, ch: usize) -> (f64, f64, f64) {
        let i = if self.channels == 1 { 0 } else { ch };
        (self.a[i], self.b[i], self.c[i])
    }
}

/// A dense layer `y = W x + b` on a flat input; `weight` is `[out_features][in_features]`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Linear {
    /// Input features.
    pub in_features: usize,
    /// Output features.
    pub out_features: usize,
    /// Weights.
    #[serde(skip)]
    pub weight: Vec<f64>,
    /// Optional bias.
    #[serde(skip)]
    pub bias: Option<Vec<f64>>,
}

/// One layer of a network.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub enum Layer {
    /// 2-D convolution.
    Conv2d(Conv2d),
    /// Batch normalisation (folded into neighbours by the planner).
    BatchNorm(BatchNorm),
    /// Polynomial activation.
    Activation(PolyActivation),
    /// ReLU approximated by a composite polynomial on a bounded interval.
    Relu(super::ReluApprox),
    /// 2×2 average pooling with stride 2 (odd trailing rows/columns are dropped).
    AvgPool2,
    /// Average pooling of any window, stride and padding.
    AvgPool(AvgPool),
    /// Average over the whole map, giving `C × 1 × 1`.
    GlobalAvgPool,
    /// Reshape `C × H × W` to `(C·H·W) × 1 × 1` in `(c, y, x)` order.
    Flatten,
    /// Dense layer on a flattened input.
    Linear(Linear),
    /// Element-wise sum with an earlier value (residual connection).
    Add {
        /// The other operand (a value index, see [`super::Node`]).
        other: usize,
    },
}

impl Layer {
    /// A short kind name for reports.
    pub fn kind(&self) -> &'static str {
        match self {
            Layer::Conv2d(_) => "conv",
            Layer::BatchNorm(_) => "bn",
            Layer::Activation(_) => "act",
            Layer::Relu(_) => "relu",
            Layer::AvgPool2 | Layer::AvgPool(_) => "avgpool",
            Layer::GlobalAvgPool => "gap",
            Layer::Flatten => "flatten",
            Layer::Linear(_) => "fc",
            Layer::Add { .. } => "add",
        }
    }
}
