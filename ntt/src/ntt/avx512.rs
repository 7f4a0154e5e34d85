//! AVX-512 negacyclic NTT drivers (eight `u64` lanes), generic over the butterfly family
//! ([`NttLanes`]: 64-bit Shoup in `avx512_lanes.rs`, 52-bit IFMA in `avx512_ifma.rs`).
//!
//! **Structure.** Stages with a butterfly distance `h >= 16` run as radix-4 passes (two stages
//! per pass over the data, four vectors per column in registers), plus one radix-8 (forward) or
//! radix-2 pass when their count is odd. Forward passes are software pipelined (see
//! `pipelined_radix4!`). The passes over groups larger than [`BLOCK`] sweep the whole array;
//! below that each block of [`BLOCK`] values goes through all its remaining stages while it
//! sits in L1. The four stages with `h <= 8` run on 16 values (two vectors) at a time: lanes are
//! regrouped with one `vpermt2q` per vector between stages (the same perfect shuffle each time),
//! so that each stage's twiddles are 1, 2, 4 or 8 consecutive table entries, read by broadcast
//! loads.
//!
//! The last stage maps its outputs to the API ranges (`STRICT`: `[0, q)`; lazy: forward
//! `[0, 4q)`, inverse `[0, 2q)`), so no extra pass over the data is needed.
//!
//! The drivers (`avx512_forward.rs`, `avx512_inverse.rs`) are macros instantiated twice here:
//! once for plain AVX-512 and once with IFMA enabled, so that IFMA butterflies inline into their
//! drivers while the plain drivers never carry a feature the CPU may lack.

use super::avx512_forward::forward_drivers;
use super::avx512_inverse::inverse_drivers;
use super::avx512_lanes::{NttLanes, ScalarConstant, deinterleave, interleave};
use super::plan::Twiddles;
use std::arch::x86_64::{__m512i, _mm512_setzero_si512};

use crate::simd::avx512::{load, store};

/// Values per cache block: the passes over groups of at most this size run block by block.
const BLOCK: usize = 1 << 12;

/// Independent columns of 8 values interleaved per inverse radix-4 iteration (when the group
/// allows).
const COLUMNS: usize = 4;

/// Columns of 8 values per step of the software-pipelined forward radix-4 loops (when the
/// group allows). Two steps are live at once, so two columns keep 16 vectors in registers;
/// four (32 vectors) spill. On Zen 5 two pipelined columns beat four unpipelined ones by
/// 5–6 % on the whole forward transform; the same pipelining made the inverse 4 % slower,
/// so the inverse keeps [`COLUMNS`] unpipelined columns.
const PIPELINED_COLUMNS: usize = 2;

/// The `1/n` constants of the last inverse stage: `n⁻¹` and `ψ^{-n/2}·n⁻¹`.
#[derive(Clone, Copy, Debug)]
pub(super) struct InverseScaling {
    pub(super) n_inv: ScalarConstant,
    pub(super) last_twiddle: ScalarConstant,
}

/// `[pointer.map(columns.map(load))]` for four quarter pointers: the column vectors a radix-4
/// iteration works on. A macro rather than a function so that the loads stay flat in the
/// caller's registers (a helper returning nested arrays was measured 2× slower).
macro_rules! load_columns {
    ([$($p:ident),*], $columns:expr) => {
        [$($columns.map(|c| load($p.add(c)))),*]
    };
}

/// Stores what [`load_columns`] loaded back to the same places.
macro_rules! store_columns {
    ([$($p:ident),*], $columns:expr, [$($x:ident),*]) => {
        for (c, &column) in $columns.iter().enumerate() {
            $(store($p.add(column), $x[c]);)*
        }
    };
}

/// The software-pipelined loop of the forward radix-4 passes over one group: four quarter pointers
/// `[p0, p1, p2, p3]`, `$len` values per quarter, steps of `$c` columns of 8 values. Each step
/// loads its columns (`[[__m512i; C]; 4]`, one row per quarter) and runs `$first` on them, then
/// `$second` on the previous step's columns and stores those, so that the two stages in flight
/// are independent. A macro rather than a function so that the columns stay flat in the
/// caller's registers (a helper returning nested arrays was measured 2× slower).
macro_rules! pipelined_radix4 {
    ([$($p:ident),*], $len:expr, $c:expr, $first:expr, $second:expr) => {{
        let pointers = [$($p),*];
        // Plain loops rather than `array::map`: the latter was not always inlined into the
        // IFMA drivers, which then went through memory (measured 2× slower).
        let load_step = |j: usize| {
            let mut x = [[_mm512_setzero_si512(); $c]; 4];
            for (row, p) in x.iter_mut().zip(pointers) {
                for (c, value) in row.iter_mut().enumerate() {
                    *value = load(p.add(j + 8 * c));
                }
            }
            x
        };
        let store_step = |j: usize, x: [[__m512i; $c]; 4]| {
            for (row, p) in x.iter().zip(pointers) {
                for (c, &value) in row.iter().enumerate() {
                    store(p.add(j + 8 * c), value);
                }
            }
        };
        let mut current = load_step(0);
        $first(&mut current);
        for j in (8 * $c..$len).step_by(8 * $c) {
            let mut next = load_step(j);
            $first(&mut next);
            $second(&mut current);
            store_step(j - 8 * $c, current);
            current = next;
        }
        $second(&mut current);
        store_step($len - 8 * $c, current);
    }};
}

/// Drivers compiled for AVX-512 F/DQ/BW/VL (64-bit Shoup butterflies).
pub(super) mod plain {
    use super::*;
    forward_drivers!("avx512f,avx512dq,avx512bw,avx512vl");
    inverse_drivers!("avx512f,avx512dq,avx512bw,avx512vl");
}

/// Drivers compiled with IFMA as well (52-bit butterflies).
pub(super) mod ifma {
    use super::*;
    forward_drivers!("avx512f,avx512dq,avx512bw,avx512vl,avx512ifma");
    inverse_drivers!("avx512f,avx512dq,avx512bw,avx512vl,avx512ifma");
}
