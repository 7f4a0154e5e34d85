//! Tensor-to-slot layouts: channel-blocked, group-interleaved and replicated placements.
//!
//! A feature map `C × H × W` is cut into channels; each channel owns one block of
//! `B = block_height · block_width` slots (see [`SpatialGrid`]), and a ciphertext of `S` slots holds
//! `c = S / B` blocks. [`Placement`] says which channel sits in which block; a channel may occupy
//! several blocks (replication), which lets convolutions read every channel with few rotations.

mod grid;
mod placement;

pub use grid::SpatialGrid;
pub use placement::Placement;

use serde::Serialize;
use thiserror::Error;

use crate::tensor::Tensor3;

/// Errors building a layout.
#[derive(Debug, Error, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LayoutError {
    /// A map with no pixels or a zero stride.
    #[error("empty map {height}x{width}")]
    EmptyMap {
        /// Rows requested.
        height: usize,
        /// Columns requested.
        width: usize,
    },
    /// A block or slot count that must be a power of two is not.
    #[error("{what} = {value} is not a power of two")]
    NotPowerOfTwo {
        /// Which quantity.
        what: &'static str,
        /// Its value.
        value: usize,
    },
    /// The valid grid does not fit inside the block.
    #[error("a {height}x{width} map at stride {stride} does not fit a {block_height}x{block_width} block")]
    GridOverflow {
        /// Rows of the map.
        height: usize,
        /// Columns of the map.
        width: usize,
        /// Grid stride.
        stride: usize,
        /// Block rows.
        block_height: usize,
        /// Block columns.
        block_width: usize,
    },
    /// One channel block is larger than a ciphertext.
    #[error("a block of {block_len} slots does not fit a ciphertext of {slots} slots")]
    BlockTooLarge {
        /// Slots per block.
        block_len: usize,
        /// Slots per ciphertext.
        slots: usize,
    },
    /// A layout with no channels.
    #[error("a layout needs at least one channel")]
    NoChannels,
}

/// A complete map from a `C × H × W` tensor to slots of `num_cts` ciphertexts.
///
/// With a polyphase grid (`P² > 1` phases) the ciphertexts come in `P²` consecutive runs, one per
/// phase, each laid out like a plain layout of the phase maps (so the same block of run `φ` holds
/// phase `φ` of the same channel).
///
/// Invariant: every channel has at least one block per phase, and the first copy (in
/// `(ciphertext, block)` order) is the canonical one used to read the tensor back.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct SlotLayout {
    /// Slots per ciphertext `S`.
    pub slots: usize,
    /// Number of channels `C`.
    pub channels: usize,
    /// Placement inside each block.
    pub grid: SpatialGrid,
    /// Which channel goes to which block.
    pub placement: Placement,
    /// Channel held by block `ct · c + b`, if any.
    blocks: Vec<Option<u32>>,
    /// First `(ct, block)` of every channel in phase 0.
    canonical: Vec<(u32, u32)>,
    /// Ciphertexts per phase.
    cts_per_phase: usize,
}

/// A layout in a few numbers, for reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct LayoutSummary {
    /// Ciphertexts holding the tensor.
    pub ciphertexts: usize,
    /// Channel blocks per ciphertext `c`.
    pub blocks_per_ciphertext: usize,
    /// Block `[rows, columns]`.
    pub block: [usize; 2],
    /// Grid stride `d` of the valid pixels.
    pub stride: usize,
    /// Polyphase factor per axis.
    pub phases: usize,
    /// Channel placement.
    pub placement: Placement,
}

impl std::fmt::Display for LayoutSummary {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ct x {} blocks {}x{}",
            self.ciphertexts, self.blocks_per_ciphertext, self.block[0], self.block[1]
        )?;
        if self.stride > 1 {
            write!(f, " stride {}", self.stride)?;
        }
        if self.phases > 1 {
            write!(f, " {}-phase", self.phases * self.phases)?;
        }
        match self.placement {
            Placement::Contiguous => Ok(()),
            Placement::Interleaved { group_size } => write!(f, " interleaved s={group_size}"),
        }
    }
}

impl SlotLayout {
    /// The layout in a few numbers.
    pub fn summary(&self) -> LayoutSummary {
        LayoutSummary {
            ciphertexts: self.num_cts(),
            blocks_per_ciphertext: self.blocks_per_ct(),
            block: [self.grid.block_height, self.grid.block_width],
            stride: self.grid.stride,
            phases: self.grid.phases,
            placement: self.placement,
        }
    }

    /// Builds the layout of `channels` channels on `grid` in ciphertexts of `slots` slots.
    pub fn new(slots: usize, channels: usize, grid: SpatialGrid, placement: Placement) -> Result<Self, LayoutError> {
        if !slots.is_power_of_two() {
            return Err(LayoutError::NotPowerOfTwo { what: "slots", value: slots });
        }
        if channels == 0 {
            return Err(LayoutError::NoChannels);
        }
        let block_len = grid.block_len();
        if block_len > slots {
            return Err(LayoutError::BlockTooLarge { block_len, slots });
        }
        let per_ct = slots / block_len;
        let base = placement.block_table(channels, per_ct);
        let cts_per_phase = base.len() / per_ct;
        let blocks = base.repeat(grid.phase_count());
        let mut canonical = vec![(u32::MAX, u32::MAX); channels];
        for (index, channel) in blocks.iter().enumerate() {
            if let Some(ch) = channel {
                let entry = &mut canonical[*ch as usize];
                if entry.0 == u32::MAX {
                    *entry = ((index / per_ct) as u32, (index % per_ct) as u32);
                }
            }
        }
        debug_assert!(canonical.iter().all(|c| c.0 != u32::MAX));
        Ok(Self { slots, channels, grid, placement, blocks, canonical, cts_per_phase })
    }

    /// Blocks per ciphertext `c = S / B`.
    pub fn blocks_per_ct(&self) -> usize {
        self.slots / self.grid.block_len()
    }

    /// Number of ciphertexts `n`.
    pub fn num_cts(&self) -> usize {
        self.blocks.len() / self.blocks_per_ct()
    }

    /// Channel in block `block` of ciphertext `ct`, if any.
    pub fn channel_at(&self, ct: usize, block: usize) -> Option<usize> {
        self.blocks.get(ct * self.blocks_per_ct() + block).copied().flatten().map(|c| c as usize)
    }

    /// Ciphertexts per phase (all of them for a plain layout).
    pub fn cts_per_phase(&self) -> usize {
        self.cts_per_phase
    }

    /// Phase `(row phase, column phase)` stored in ciphertext `ct`.
    pub fn ct_phase(&self, ct: usize) -> (usize, usize) {
        let p = self.grid.phases;
        let phase = ct / self.cts_per_phase;
        (phase / p, phase % p)
    }

    /// The canonical `(ciphertext, block)` of channel `ch` (phase 0).
    pub fn canonical_block(&self, ch: usize) -> (usize, usize) {
        let (ct, b) = self.canonical[ch];
        (ct as usize, b as usize)
    }

    /// Canonical `(ciphertext, slot)` of element `(ch, y, x)`.
    pub fn slot_of(&self, ch: usize, y: usize, x: usize) -> (usize, usize) {
        let (ct, b) = self.canonical_block(ch);
        let ct = ct + self.grid.phase(y, x) * self.cts_per_phase;
        (ct, b * self.grid.block_len() + self.grid.offset(y, x))
    }

    /// The element `(ch, y, x)` stored at `(ct, slot)`, if the slot holds a valid pixel.
    pub fn element_at(&self, ct: usize, slot: usize) -> Option<(usize, usize, usize)> {
        let block_len = self.grid.block_len();
        let ch = self.channel_at(ct, slot / block_len)?;
        let offset = slot % block_len;
        let g = &self.grid;
        let (row, col) = (offset / g.block_width, offset % g.block_width);
        if row % g.stride != 0 || col % g.stride != 0 {
            return None;
        }
        let (py, px) = self.ct_phase(ct);
        let (y, x) = ((row / g.stride) * g.phases + py, (col / g.stride) * g.phases + px);
        (y < g.height && x < g.width).then_some((ch, y, x))
    }

    /// Encodes a tensor into slot vectors: every copy of every channel, zeros elsewhere.
    ///
    /// The tensor must have this layout's shape (checked by the caller; see [`Self::shape`]).
    pub fn pack(&self, tensor: &Tensor3) -> Vec<Vec<f64>> {
        let per_ct = self.blocks_per_ct();
        let block_len = self.grid.block_len();
        let mut out = vec![vec![0.0; self.slots]; self.num_cts()];
        for (index, channel) in self.blocks.iter().enumerate() {
            let Some(ch) = channel else { continue };
            let (ct, b) = (index / per_ct, index % per_ct);
            let (py, px) = self.ct_phase(ct);
            let p = self.grid.phases;
            for y in (py..self.grid.height).step_by(p) {
                for x in (px..self.grid.width).step_by(p) {
                    out[ct][b * block_len + self.grid.offset(y, x)] = tensor.get(*ch as usize, y, x);
                }
            }
        }
        out
    }

    /// Reads a tensor back from the canonical copies.
    pub fn unpack(&self, cts: &[Vec<f64>]) -> Tensor3 {
        let g = &self.grid;
        let mut t = Tensor3::zeros(self.channels, g.height, g.width);
        for ch in 0..self.channels {
            for y in 0..g.height {
                for x in 0..g.width {
                    let (ct, slot) = self.slot_of(ch, y, x);
                    t.set(ch, y, x, cts[ct][slot]);
                }
            }
        }
        t
    }

    /// `(C, H, W)` of the tensor this layout holds.
    pub fn shape(&self) -> [usize; 3] {
        [self.channels, self.grid.height, self.grid.width]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `unpack(pack(t)) == t`, and every slot holds the element `element_at` names (or zero).
    fn assert_packing_is_consistent(layout: &SlotLayout, t: &Tensor3) {
        let packed = layout.pack(t);
        assert_eq!(&layout.unpack(&packed), t);
        for (ct, v) in packed.iter().enumerate() {
            for (slot, value) in v.iter().enumerate() {
                match layout.element_at(ct, slot) {
                    Some((c, y, x)) => assert_eq!(*value, t.get(c, y, x)),
                    None => assert_eq!(*value, 0.0),
                }
            }
        }
    }

    #[test]
    fn pack_unpack_round_trip_for_every_placement() {
        let grid = SpatialGrid::dense(5, 3).unwrap();
        for (channels, placement) in [
            (12, Placement::Contiguous),
            (3, Placement::Contiguous),
            (16, Placement::Interleaved { group_size: 4 }),
            (8, Placement::Interleaved { group_size: 2 }),
        ] {
            let layout = SlotLayout::new(128, channels, grid, placement).unwrap();
            let t = Tensor3::from_fn(channels, 5, 3, |c, y, x| (c * 100 + y * 10 + x) as f64);
            assert_packing_is_consistent(&layout, &t);
        }
    }

    #[test]
    fn polyphase_layouts_round_trip_and_stack_phases() {
        let grid = SpatialGrid::polyphase(7, 6, 2).unwrap();
        assert_eq!((grid.block_height, grid.block_width), (4, 4));
        let layout = SlotLayout::new(64, 6, grid, Placement::Contiguous).unwrap();
        // 6 channels, 4 blocks per ciphertext: 2 ciphertexts per phase, 8 in all.
        assert_eq!((layout.cts_per_phase(), layout.num_cts()), (2, 8));
        let t = Tensor3::from_fn(6, 7, 6, |c, y, x| (c * 100 + y * 10 + x) as f64);
        assert_packing_is_consistent(&layout, &t);
        // Pixel (3, 2) of channel 5 is phase (1, 0), reduced (1, 1): ciphertext 2·2 + 1.
        assert_eq!(layout.slot_of(5, 3, 2), (5, 16 + 4 + 1));
    }

    #[test]
    fn interleaved_groups_share_a_ciphertext() {
        // c = 8 blocks, groups of 2: member t of group q sits at block t * 4 + q.
        let grid = SpatialGrid::dense(4, 4).unwrap();
        let layout = SlotLayout::new(128, 16, grid, Placement::Interleaved { group_size: 2 }).unwrap();
        assert_eq!(layout.num_cts(), 2);
        assert_eq!(layout.canonical_block(1), (0, 4)); // group 0, member 1
        assert_eq!(layout.canonical_block(2), (0, 1)); // group 1, member 0
        assert_eq!(layout.canonical_block(9), (1, 4)); // group 4, member 1
    }

    #[test]
    fn oversized_grid_is_an_error() {
        assert!(matches!(SpatialGrid::new(5, 5, 8, 8, 2), Err(LayoutError::GridOverflow { .. })));
        let grid = SpatialGrid::dense(32, 32).unwrap();
        assert!(matches!(SlotLayout::new(512, 1, grid, Placement::Contiguous), Err(LayoutError::BlockTooLarge { .. })));
    }
}
