//! A small dense `C × H × W` tensor of `f64`.

use serde::Serialize;

/// A dense `channels × height × width` tensor, row-major within each channel.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Tensor3 {
    /// Channels `C`.
    pub channels: usize,
    /// Rows `H`.
    pub height: usize,
    /// Columns `W`.
    pub width: usize,
    /// `C · H · W` values, index `(c · H + y) · W + x`.
    pub data: Vec<f64>,
}

impl Tensor3 {
    /// An all-zero tensor.
    pub fn zeros(channels: usize, height: usize, width: usize) -> Self {
        Self { channels, height, width, data: vec![0.0; channels * height * width] }
    }

    /// A tensor whose element `(c, y, x)` is `f(c, y, x)`.
    pub fn from_fn(
        channels: usize,
        height: usize,
        width: usize,
        mut f: impl FnMut(usize, usize, usize) -> f64,
    ) -> Self {
        let mut t = Self::zeros(channels, height, width);
        for c in 0..channels {
            for y in 0..height {
                for x in 0..width {
                    t.set(c, y, x, f(c, y, x));
                }
            }
        }
        t
    }

    /// A seeded pseudo-random tensor of `shape` with values in `[0, 1)` (xorshift; stands in
    /// for an image where none is given, e.g. latency runs and precision probes).
    pub fn random_unit(shape: [usize; 3], seed: u64) -> Self {
        let mut state = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
        Self::from_fn(shape[0], shape[1], shape[2], |_, _, _| {
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            (state >> 11) as f64 / (1u64 << 53) as f64
        })
    }

    /// `[C, H, W]`.
    pub fn shape(&self) -> [usize; 3] {
        [self.channels, self.height, self.width]
    }

    fn index(&self, c: usize, y: usize, x: usize) -> usize {
        (c * self.height + y) * self.width + x
    }

    /// Element `(c, y, x)`.
    pub fn get(&self, c: usize, y: usize, x: usize) -> f64 {
        self.data[self.index(c, y, x)]
    }

    /// Sets element `(c, y, x)`.
    pub fn set(&mut self, c: usize, y: usize, x: usize, value: f64) {
        let i = self.index(c, y, x);
        self.data[i] = value;
    }

    /// Largest absolute difference to another tensor of the same shape (infinite if shapes differ).
    pub fn max_abs_diff(&self, other: &Tensor3) -> f64 {
        if self.shape() != other.shape() {
            return f64::INFINITY;
        }
        self.data.iter().zip(&other.data).map(|(a, b)| (a - b).abs()).fold(0.0, f64::max)
    }
}
