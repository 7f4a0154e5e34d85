//! Where the pixels of one channel sit inside its slot block.

use serde::Serialize;

use super::LayoutError;

/// The spatial placement of one channel inside its block of slots.
///
/// A block has `block_height × block_width` slots (both powers of two), row-major. Pixel `(y, x)`
/// of an `height × width` map sits at block offset `stride · (y · block_width + x)`: after a
/// stride-2 layer the valid values lie on a stride-2 grid of the original block (the layout keeps
/// the block and doubles `stride` instead of repacking).
///
/// With `phases = P > 1` the map is stored *polyphase* (space-to-depth): pixel `(y, x)` belongs to
/// phase `(y mod P, x mod P)` and sits at reduced position `(y / P, x / P)`; each phase of a
/// channel has its own block (see [`super::SlotLayout`]). A 2×2 average pool of a `P = 2` map is
/// then a sum of its four phase blocks, with no rotation.
///
/// Invariant (checked by [`SpatialGrid::new`]): `stride · (reduced − 1) < block` on both axes,
/// `reduced = ceil(size / P)`, so every pixel lies inside its block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct SpatialGrid {
    /// Number of valid rows.
    pub height: usize,
    /// Number of valid columns.
    pub width: usize,
    /// Rows of the block (a power of two).
    pub block_height: usize,
    /// Columns of the block (a power of two); the slot distance between two rows.
    pub block_width: usize,
    /// Grid stride `d`: valid pixels sit every `d` rows and columns.
    pub stride: usize,
    /// Polyphase factor `P` per axis (1 = plain layout).
    pub phases: usize,
}

impl SpatialGrid {
    /// A dense grid (`stride` 1) for an `height × width` map in the smallest power-of-two block.
    pub fn dense(height: usize, width: usize) -> Result<Self, LayoutError> {
        Self::polyphase(height, width, 1)
    }

    /// A `stride` 1 grid split into `phases × phases` phases, each in the smallest block that
    /// holds its reduced `ceil(height / phases) × ceil(width / phases)` map.
    pub fn polyphase(height: usize, width: usize, phases: usize) -> Result<Self, LayoutError> {
        let p = phases.max(1);
        let block = |n: usize| n.div_ceil(p).max(1).next_power_of_two();
        Self::build(height, width, block(height), block(width), 1, p)
    }

    /// The same grid with polyphase factor `phases`.
    pub fn with_phases(self, phases: usize) -> Result<Self, LayoutError> {
        Self::build(self.height, self.width, self.block_height, self.block_width, self.stride, phases.max(1))
    }

    /// A plain (single-phase) grid with explicit block dimensions and stride; errors when a
    /// pixel falls outside its block.
    pub fn new(
        height: usize,
        width: usize,
        block_height: usize,
        block_width: usize,
        stride: usize,
    ) -> Result<Self, LayoutError> {
        Self::build(height, width, block_height, block_width, stride, 1)
    }

    fn build(
        height: usize,
        width: usize,
        block_height: usize,
        block_width: usize,
        stride: usize,
        phases: usize,
    ) -> Result<Self, LayoutError> {
        if height == 0 || width == 0 || stride == 0 {
            return Err(LayoutError::EmptyMap { height, width });
        }
        for (what, value) in [("block_height", block_height), ("block_width", block_width)] {
            if !value.is_power_of_two() {
                return Err(LayoutError::NotPowerOfTwo { what, value });
            }
        }
        Self { height, width, block_height, block_width, stride, phases }.check()
    }

    fn check(self) -> Result<Self, LayoutError> {
        let rows = self.stride.saturating_mul(self.reduced_height() - 1);
        let cols = self.stride.saturating_mul(self.reduced_width() - 1);
        if rows >= self.block_height || cols >= self.block_width {
            return Err(LayoutError::GridOverflow {
                height: self.height,
                width: self.width,
                stride: self.stride,
                block_height: self.block_height,
                block_width: self.block_width,
            });
        }
        Ok(self)
    }

    /// Rows of one phase map, `ceil(height / phases)`.
    pub fn reduced_height(&self) -> usize {
        self.height.div_ceil(self.phases)
    }

    /// Columns of one phase map, `ceil(width / phases)`.
    pub fn reduced_width(&self) -> usize {
        self.width.div_ceil(self.phases)
    }

    /// Number of phases `P²`.
    pub fn phase_count(&self) -> usize {
        self.phases * self.phases
    }

    /// Phase index `(y mod P) · P + (x mod P)` of pixel `(y, x)`.
    pub fn phase(&self, y: usize, x: usize) -> usize {
        (y % self.phases) * self.phases + x % self.phases
    }

    /// Slots per block, `block_height · block_width`.
    pub fn block_len(&self) -> usize {
        self.block_height * self.block_width
    }

    /// Offset of pixel `(y, x)` inside its (phase) block.
    pub fn offset(&self, y: usize, x: usize) -> usize {
        self.reduced_offset(y / self.phases, x / self.phases)
    }

    /// Offset of reduced position `(ry, rx)` inside a block.
    pub fn reduced_offset(&self, ry: usize, rx: usize) -> usize {
        self.stride * (ry * self.block_width + rx)
    }

    /// Slot distance of a move by `(dy, dx)` reduced pixels on this grid.
    pub fn step(&self, dy: i64, dx: i64) -> i64 {
        self.stride as i64 * (dy * self.block_width as i64 + dx)
    }

    /// The same block with a new valid extent and stride (after pooling or a strided layer).
    /// The phase factor is kept; use [`Self::with_phases`] to change it.
    pub fn resized(&self, height: usize, width: usize, stride: usize) -> Result<Self, LayoutError> {
        Self::build(height, width, self.block_height, self.block_width, stride, self.phases)
    }

    /// Number of valid pixels.
    pub fn pixels(&self) -> usize {
        self.height * self.width
    }
}
