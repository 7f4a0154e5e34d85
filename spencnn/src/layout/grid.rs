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
/// Invariant (checked by [`SpatialGrid::new`]): `stride · (height − 1) < block_height` and
/// `stride · (width − 1) < block_width`, so every pixel lies inside its block.
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
}

impl SpatialGrid {
    /// A dense grid (`stride` 1) for an `height × width` map in the smallest power-of-two block.
    pub fn dense(height: usize, width: usize) -> Result<Self, LayoutError> {
        Self::new(
            height,
            width,
            height.max(1).next_power_of_two(),
            width.max(1).next_power_of_two(),
            1,
        )
    }

    /// A grid with explicit block dimensions and stride; errors when a pixel falls outside.
    pub fn new(
        height: usize,
        width: usize,
        block_height: usize,
        block_width: usize,
        stride: usize,
    ) -> Result<Self, LayoutError> {
        if height == 0 || width == 0 || stride == 0 {
            return Err(LayoutError::EmptyMap { height, width });
        }
        for (what, value) in [("block_height", block_height), ("block_width", block_width)] {
            if !value.is_power_of_two() {
                return Err(LayoutError::NotPowerOfTwo { what, value });
            }
        }
        let rows = stride.saturating_mul(height - 1);
        let cols = stride.saturating_mul(width - 1);
        if rows >= block_height || cols >= block_width {
            return Err(LayoutError::GridOverflow {
                height,
                width,
                stride,
                block_height,
                block_width,
            });
        }
        Ok(Self {
            height,
            width,
            block_height,
            block_width,
            stride,
        })
    }

    /// Slots per block, `block_height · block_width`.
    pub fn block_len(&self) -> usize {
        self.block_height * self.block_width
    }

    /// Offset of pixel `(y, x)` inside its block.
    pub fn offset(&self, y: usize, x: usize) -> usize {
        self.stride * (y * self.block_width + x)
    }

    /// Slot distance of a move by `(dy, dx)` pixels on this grid.
    pub fn step(&self, dy: i64, dx: i64) -> i64 {
        self.stride as i64 * (dy * self.block_width as i64 + dx)
    }

    /// The same block with a new valid extent and stride (after pooling or a strided layer).
    pub fn resized(&self, height: usize, width: usize, stride: usize) -> Result<Self, LayoutError> {
        Self::new(height, width, self.block_height, self.block_width, stride)
    }

    /// Number of valid pixels.
    pub fn pixels(&self) -> usize {
        self.height * self.width
    }
}
