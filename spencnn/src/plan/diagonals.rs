//! The diagonal structure of a convolution between two slot layouts.
//!
//! A convolution maps input ciphertexts `x_k` to output ciphertexts `out_i`. Every weight
//! `w[o][i][t]` connects an output block `b_o` (a copy of channel `o` in ciphertext `i`) with an
//! input block `b_i` (a copy of input channel `ch` in ciphertext `k`); for every valid pixel it
//! reads the input at slot distance `j = (b_i − b_o) · B + s_t (mod S)`, where `s_t` is the tap's
//! offset on the input grid. All weights with the same `(i, k, j)` share one *diagonal*
//! plaintext: `out_i = Σ_k Σ_j D_{i,k,j} ⊙ Rot_j(x_k)`. A diagonal is the pruning sub-block.
//! When an input channel has several copies, the copy with the smallest block distance
//! `(b_i − b_o) mod c` is used.

use std::collections::HashMap;

use serde::Serialize;

use crate::layout::SlotLayout;
use crate::model::Conv2d;

/// The shape of a convolution (a dense layer is a convolution whose kernel covers the map).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct ConvGeometry {
    /// Input channels.
    pub in_channels: usize,
    /// Output channels.
    pub out_channels: usize,
    /// Kernel rows.
    pub kernel_h: usize,
    /// Kernel columns.
    pub kernel_w: usize,
    /// Stride.
    pub stride: usize,
    /// Zero padding above the map (output row `y` reads input rows from `y · stride − pad_top`).
    pub pad_top: usize,
    /// Zero padding left of the map.
    pub pad_left: usize,
    /// Channel groups.
    pub groups: usize,
}

impl ConvGeometry {
    /// The geometry of a model convolution.
    pub fn of_conv(conv: &Conv2d) -> Self {
        let [pad_top, pad_left, _, _] = conv.padding_sides();
        Self {
            in_channels: conv.in_channels,
            out_channels: conv.out_channels,
            kernel_h: conv.kernel,
            kernel_w: conv.kernel,
            stride: conv.stride,
            pad_top,
            pad_left,
            groups: conv.groups,
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

    /// Taps `K = kernel_h · kernel_w`.
    pub fn taps(&self) -> usize {
        self.kernel_h * self.kernel_w
    }

    /// Index of weight `(o, i, tap)` in `[C_out][C_in/groups][kh][kw]` order.
    pub fn weight_index(&self, o: usize, i_local: usize, tap: usize) -> usize {
        (o * self.group_in() + i_local) * self.taps() + tap
    }

    /// Global input channel of in-group index `i_local` for output `o`.
    pub fn input_channel(&self, o: usize, i_local: usize) -> usize {
        (o / self.group_out()) * self.group_in() + i_local
    }

    /// For each kernel offset along an axis padded by `pad` before the map, whether it reads
    /// inside the input for some output position `y ≡ phase (mod phases)`.
    pub fn valid_offsets(
        &self,
        kernel: usize,
        pad: usize,
        input: usize,
        output: usize,
        phases: usize,
        phase: usize,
    ) -> Vec<bool> {
        (0..kernel)
            .map(|d| {
                (phase..output).step_by(phases).any(|y| {
                    let pos = (y * self.stride + d) as i64 - pad as i64;
                    pos >= 0 && (pos as usize) < input
                })
            })
            .collect()
    }
}

/// One weight carried by a diagonal.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct DiagEntry {
    /// Output block inside the output ciphertext.
    pub out_block: u32,
    /// Output channel.
    pub out_channel: u32,
    /// In-group input index.
    pub in_local: u32,
    /// Tap index `dy · kernel_w + dx`.
    pub tap: u32,
}

/// The weights sharing one plaintext `D_{i,k,j}`.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Diagonal {
    /// Output ciphertext `i`.
    pub out_ct: usize,
    /// Input ciphertext `k`.
    pub in_ct: usize,
    /// Rotation step `j` in `[0, S)`.
    pub step: usize,
    /// Weights it carries.
    pub entries: Vec<DiagEntry>,
}

/// All diagonals of `geom` from `input` to `output`, sorted by `(out_ct, in_ct, step)`,
/// independent of the weight values. `output` must be on the input grid scaled by the stride
/// (checked by the planner when it builds the layouts). Polyphase layouts (same phase factor on
/// both sides, stride 1) are supported: output phase `φ` and tap `t` read input phase
/// `(φ + t − p) mod P` shifted by `floor((φ + t − p) / P)` reduced pixels.
pub fn diagonal_structure(geom: &ConvGeometry, input: &SlotLayout, output: &SlotLayout) -> Vec<Diagonal> {
    let slots = input.slots;
    let per_ct = input.blocks_per_ct();
    let block_len = input.grid.block_len();
    let phases = input.grid.phases;
    let valid_y: Vec<Vec<bool>> = (0..phases)
        .map(|ph| geom.valid_offsets(geom.kernel_h, geom.pad_top, input.grid.height, output.grid.height, phases, ph))
        .collect();
    let valid_x: Vec<Vec<bool>> = (0..phases)
        .map(|ph| geom.valid_offsets(geom.kernel_w, geom.pad_left, input.grid.width, output.grid.width, phases, ph))
        .collect();
    let (pad_y, pad_x) = (geom.pad_top as i64, geom.pad_left as i64);
    let cpp = input.cts_per_phase();
    // Copies of every input channel: (ct, block).
    let mut copies: Vec<Vec<(usize, usize)>> = vec![Vec::new(); input.channels];
    for ct in 0..input.num_cts() {
        for b in 0..per_ct {
            if let Some(ch) = input.channel_at(ct, b) {
                copies[ch].push((ct, b));
            }
        }
    }
    let mut map: HashMap<(usize, usize, usize), Vec<DiagEntry>> = HashMap::new();
    for out_ct in 0..output.num_cts() {
        let (py, px) = output.ct_phase(out_ct);
        for out_block in 0..per_ct {
            let Some(o) = output.channel_at(out_ct, out_block) else {
                continue;
            };
            for i_local in 0..geom.group_in() {
                let ch = geom.input_channel(o, i_local);
                for dy in (0..geom.kernel_h).filter(|&d| valid_y[py][d]) {
                    let ry = (py + dy) as i64 - pad_y;
                    let (phase_y, shift_y) = (ry.rem_euclid(phases as i64), ry.div_euclid(phases as i64));
                    for dx in (0..geom.kernel_w).filter(|&d| valid_x[px][d]) {
                        let rx = (px + dx) as i64 - pad_x;
                        let (phase_x, shift_x) = (rx.rem_euclid(phases as i64), rx.div_euclid(phases as i64));
                        let phase = (phase_y * phases as i64 + phase_x) as usize;
                        let Some(&(in_ct, in_block)) = copies[ch]
                            .iter()
                            .filter(|(k, _)| k / cpp == phase)
                            .min_by_key(|(k, b)| ((b + per_ct - out_block) % per_ct, *k))
                        else {
                            continue;
                        };
                        let delta = (in_block + per_ct - out_block) % per_ct;
                        let tap_step = input.grid.step(shift_y, shift_x);
                        let step = (delta as i64 * block_len as i64 + tap_step).rem_euclid(slots as i64) as usize;
                        map.entry((out_ct, in_ct, step)).or_default().push(DiagEntry {
                            out_block: out_block as u32,
                            out_channel: o as u32,
                            in_local: i_local as u32,
                            tap: (dy * geom.kernel_w + dx) as u32,
                        });
                    }
                }
            }
        }
    }
    let mut diagonals: Vec<Diagonal> =
        map.into_iter().map(|((out_ct, in_ct, step), entries)| Diagonal { out_ct, in_ct, step, entries }).collect();
    diagonals.sort_by_key(|d| (d.out_ct, d.in_ct, d.step));
    diagonals
}
