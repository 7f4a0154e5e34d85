//! A batch of feature maps: `n × c × h × w` `f32` values, NCHW.

/// `n` images of `c × h × w`, stored image after image, channel-major inside an image.
#[derive(Clone, Debug, PartialEq)]
pub struct Batch {
    /// Images.
    pub n: usize,
    /// Channels.
    pub c: usize,
    /// Rows.
    pub h: usize,
    /// Columns.
    pub w: usize,
    /// `n · c · h · w` values.
    pub data: Vec<f32>,
}

impl Batch {
    /// An all-zero batch.
    pub fn zeros(n: usize, c: usize, h: usize, w: usize) -> Self {
        Self { n, c, h, w, data: vec![0.0; n * c * h * w] }
    }

    /// Values per image.
    pub fn image_len(&self) -> usize {
        self.c * self.h * self.w
    }

    /// Values per channel plane.
    pub fn plane(&self) -> usize {
        self.h * self.w
    }

    /// Image `i`.
    pub fn image(&self, i: usize) -> &[f32] {
        let len = self.image_len();
        &self.data[i * len..(i + 1) * len]
    }

    /// An all-zero batch of the same shape.
    pub fn zeros_like(&self) -> Self {
        Self::zeros(self.n, self.c, self.h, self.w)
    }
}
