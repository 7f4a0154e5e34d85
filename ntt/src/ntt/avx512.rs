//! AVX-512 negacyclic NTT drivers (eight `u64` lanes), generic over the butterfly family
//! ([`NttLanes`]: 64-bit Shoup in `avx512_lanes.rs`, 52-bit IFMA in `avx512_ifma.rs`).
//!
//! **Structure.** Stages with a butterfly distance `h >= 16` run as radix-4 passes (two stages
//! per pass over the data, four vectors in registers), plus one radix-2 pass when their count is
//! odd. The passes over groups larger than [`BLOCK`] sweep the whole array; below that each
//! block of [`BLOCK`] values goes through all its remaining stages while it sits in L1. The four
//! stages with `h <= 8` run on 16 values (two vectors) at a time: lanes are regrouped with one
//! `vpermt2q` per vector between stages (the same perfect shuffle each time), so that each
//! stage's twiddles are 1, 2, 4 or 8 consecutive table entries, read by broadcast loads.
//!
//! The last stage maps its outputs to the API ranges (`STRICT`: `[0, q)`; lazy: forward
//! `[0, 4q)`, inverse `[0, 2q)`), so no extra pass over the data is needed.
//!
//! The drivers are instantiated twice by [`ntt_drivers`]: once for plain AVX-512 and once with
//! IFMA enabled, so that IFMA butterflies inline into their drivers while the plain drivers never
//! carry a feature the CPU may lack.

use super::avx512_lanes::{NttLanes, ScalarConstant, deinterleave, interleave};
use super::plan::Twiddles;
use crate::simd::avx512::{load, store};

/// Values per cache block: the passes over groups of at most this size run block by block.
const BLOCK: usize = 1 << 12;

/// Independent columns of 8 values interleaved per radix-4 iteration (when the group allows).
const COLUMNS: usize = 4;

/// The `1/n` constants of the last inverse stage: `n⁻¹` and `ψ^{-n/2}·n⁻¹`.
#[derive(Clone, Copy, Debug)]
pub(super) struct InverseScaling {
    pub(super) n_inv: ScalarConstant,
    pub(super) last_twiddle: ScalarConstant,
}

macro_rules! ntt_drivers {
    ($features:literal) => {
        use super::*;

        /// Forward transform in place: natural order in, bit-reversed order out.
        /// Input in `[0, 4q)`; output in `[0, q)` when `STRICT`, else in `[0, 4q)`.
        ///
        /// # Safety
        /// `values.len()` is a power of two `>= 16`, the tables have `values.len()` entries and
        /// the CPU supports `lanes`' family.
        #[target_feature(enable = $features)]
        pub(in crate::ntt) unsafe fn forward<L: NttLanes, const STRICT: bool>(
            values: &mut [u64],
            table: &Twiddles,
            lanes: L,
        ) {
            let n = values.len();
            debug_assert!(n.is_power_of_two() && n >= 16 && table.value.len() == n);
            let data = values.as_mut_ptr();
            let block = BLOCK.min(n);
            // Stage (groups, half): `groups` butterfly groups of `2·half` values.
            let (mut groups, mut half) = (1usize, n / 2);
            if (n.trailing_zeros() - 4) % 2 == 1 {
                if half >= 64 {
                    // One sweep for three stages instead of two sweeps (radix-2 + radix-4).
                    // SAFETY: the pass touches indices below n and twiddles below 8 <= n.
                    unsafe { forward_radix8_first(data, table, lanes, half) };
                    (groups, half) = (8, half / 8);
                } else {
                    // SAFETY: the pass touches indices below n and twiddles below 2·groups <= n.
                    unsafe { forward_radix2(data, table, lanes, groups, 0, groups, half) };
                    (groups, half) = (2 * groups, half / 2);
                }
            }
            while half >= 16 && 2 * half > block {
                // SAFETY: the pass touches indices below n and twiddles below 4·groups <= n.
                unsafe { forward_radix4(data, table, lanes, groups, 0, groups, half) };
                (groups, half) = (4 * groups, half / 4);
            }
            // Every group now spans at most one block: finish each block while it is in cache.
            let per_block = block / (2 * half);
            for first in (0..groups).step_by(per_block) {
                // SAFETY: `first·2·half + block <= n`.
                let base = unsafe { data.add(first * 2 * half) };
                let (mut g, mut h, mut first_group) = (groups, half, first);
                while h >= 16 {
                    // SAFETY: the groups lie inside this block; twiddles below 4·g <= n.
                    unsafe { forward_radix4(base, table, lanes, g, first_group, per_block * g / groups, h) };
                    (g, h, first_group) = (4 * g, h / 4, 4 * first_group);
                }
                debug_assert_eq!(h, 8);
                // SAFETY: the runs lie inside this block; twiddles below n.
                unsafe { forward_last_four::<L, STRICT>(base, table, lanes, n, first * 2 * half / 16, block / 16) };
            }
        }

        /// The first three stages (one group of `2·half` values, then 2, then 4) in one sweep.
        /// Needs `half >= 64`.
        ///
        /// # Safety
        /// `base .. base + 2·half` in bounds; the table has at least 8 entries.
        #[target_feature(enable = $features)]
        unsafe fn forward_radix8_first<L: NttLanes>(base: *mut u64, table: &Twiddles, lanes: L, half: usize) {
            let eighth = half / 4;
            // SAFETY: twiddles 1..8 exist; every pointer below stays inside the 2·half values.
            unsafe {
                let w1 = lanes.twiddles::<1>(table, 1);
                let w2 = [lanes.twiddles::<1>(table, 2), lanes.twiddles::<1>(table, 3)];
                let w3 = [4, 5, 6, 7].map(|i| lanes.twiddles::<1>(table, i));
                let p: [*mut u64; 8] = std::array::from_fn(|k| base.add(k * eighth));
                for j in (0..eighth).step_by(8) {
                    let mut x = p.map(|ptr| load(ptr.add(j)));
                    for k in 0..4 {
                        let (lo, hi) = x.split_at_mut(4);
                        lanes.forward(&mut lo[k], &mut hi[k], w1);
                    }
                    for (quad, &w) in w2.iter().enumerate() {
                        for k in 0..2 {
                            let (lo, hi) = x[4 * quad..].split_at_mut(2);
                            lanes.forward(&mut lo[k], &mut hi[k], w);
                        }
                    }
                    for (pair, &w) in w3.iter().enumerate() {
                        let (lo, hi) = x[2 * pair..].split_at_mut(1);
                        lanes.forward(&mut lo[0], &mut hi[0], w);
                    }
                    for (ptr, value) in p.iter().zip(x) {
                        store(ptr.add(j), value);
                    }
                }
            }
        }

        /// One radix-2 stage on `count` groups starting at global group `first` (of `groups`),
        /// the first of them at `base`.
        ///
        /// # Safety
        /// `base .. base + count·2·half` in bounds; `groups + first + count <= table length`.
        #[target_feature(enable = $features)]
        unsafe fn forward_radix2<L: NttLanes>(
            base: *mut u64,
            table: &Twiddles,
            lanes: L,
            groups: usize,
            first: usize,
            count: usize,
            half: usize,
        ) {
            for k in 0..count {
                // SAFETY: the caller guarantees the group and twiddle indices are in bounds.
                unsafe {
                    let w = lanes.twiddles::<1>(table, groups + first + k);
                    let x_ptr = base.add(2 * half * k);
                    let y_ptr = x_ptr.add(half);
                    for j in (0..half).step_by(8) {
                        let (mut x, mut y) = (load(x_ptr.add(j)), load(y_ptr.add(j)));
                        lanes.forward(&mut x, &mut y, w);
                        store(x_ptr.add(j), x);
                        store(y_ptr.add(j), y);
                    }
                }
            }
        }

        /// Two stages (`(groups, half)` then `(2·groups, half/2)`) on `count` groups of
        /// `2·half` values starting at global group `first`, the first of them at `base`.
        /// Needs `half >= 16`.
        ///
        /// # Safety
        /// `base .. base + count·2·half` in bounds; `2·(groups + first + count) <= table length`.
        #[target_feature(enable = $features)]
        unsafe fn forward_radix4<L: NttLanes>(
            base: *mut u64,
            table: &Twiddles,
            lanes: L,
            groups: usize,
            first: usize,
            count: usize,
            half: usize,
        ) {
            // SAFETY: forwarded caller guarantees; the column counts divide half/2.
            unsafe {
                match (half / 16).min(COLUMNS) {
                    1 => forward_radix4_columns::<L, 1>(base, table, lanes, groups, first, count, half),
                    2 => forward_radix4_columns::<L, 2>(base, table, lanes, groups, first, count, half),
                    4 => forward_radix4_columns::<L, 4>(base, table, lanes, groups, first, count, half),
                    _ => forward_radix4_columns::<L, COLUMNS>(base, table, lanes, groups, first, count, half),
                }
            }
        }

        /// [`forward_radix4`] with `C` independent columns of 8 values interleaved per
        /// iteration, so that their butterflies overlap in the pipeline. `8·C` divides `half/2`.
        ///
        /// # Safety
        /// As [`forward_radix4`].
        #[inline]
        #[target_feature(enable = $features)]
        unsafe fn forward_radix4_columns<L: NttLanes, const C: usize>(
            base: *mut u64,
            table: &Twiddles,
            lanes: L,
            groups: usize,
            first: usize,
            count: usize,
            half: usize,
        ) {
            let quarter = half / 2;
            debug_assert!(quarter % (8 * C) == 0);
            for k in 0..count {
                let g = first + k;
                // SAFETY: the caller guarantees the group and twiddle indices are in bounds.
                unsafe {
                    let w1 = lanes.twiddles::<1>(table, groups + g);
                    let w2a = lanes.twiddles::<1>(table, 2 * (groups + g));
                    let w2b = lanes.twiddles::<1>(table, 2 * (groups + g) + 1);
                    let p0 = base.add(2 * half * k);
                    let (p1, p2, p3) = (p0.add(quarter), p0.add(half), p0.add(half + quarter));
                    for j in (0..quarter).step_by(8 * C) {
                        let columns: [usize; C] = std::array::from_fn(|c| j + 8 * c);
                        let mut x0 = columns.map(|c| load(p0.add(c)));
                        let mut x1 = columns.map(|c| load(p1.add(c)));
                        let mut x2 = columns.map(|c| load(p2.add(c)));
                        let mut x3 = columns.map(|c| load(p3.add(c)));
                        for c in 0..C {
                            lanes.forward(&mut x0[c], &mut x2[c], w1);
                        }
                        for c in 0..C {
                            lanes.forward(&mut x1[c], &mut x3[c], w1);
                        }
                        for c in 0..C {
                            lanes.forward(&mut x0[c], &mut x1[c], w2a);
                        }
                        for c in 0..C {
                            lanes.forward(&mut x2[c], &mut x3[c], w2b);
                        }
                        for (c, &column) in columns.iter().enumerate() {
                            store(p0.add(column), x0[c]);
                            store(p1.add(column), x1[c]);
                            store(p2.add(column), x2[c]);
                            store(p3.add(column), x3[c]);
                        }
                    }
                }
            }
        }

        /// The stages with `half = 8, 4, 2, 1` on `count` runs of 16 values, the first being
        /// the global run `first_run` at `base`; writes the API output range.
        ///
        /// # Safety
        /// `base .. base + 16·count` in bounds; `n` is the transform size and table length.
        #[target_feature(enable = $features)]
        unsafe fn forward_last_four<L: NttLanes, const STRICT: bool>(
            base: *mut u64,
            table: &Twiddles,
            lanes: L,
            n: usize,
            first_run: usize,
            count: usize,
        ) {
            if count < L::RUNS {
                for k in 0..count {
                    // SAFETY: run k lies inside the block.
                    unsafe { forward_runs::<L, STRICT, 1>(base.add(16 * k), table, lanes, n, first_run + k) };
                }
                return;
            }
            for k in (0..count).step_by(L::RUNS) {
                // SAFETY: runs k .. k + RUNS lie inside the block (RUNS divides the power of two count).
                unsafe {
                    let base = base.add(16 * k);
                    if L::RUNS == 8 {
                        forward_runs::<L, STRICT, 8>(base, table, lanes, n, first_run + k)
                    } else {
                        forward_runs::<L, STRICT, 4>(base, table, lanes, n, first_run + k)
                    }
                };
            }
        }

        /// `RUNS` consecutive runs of [`forward_last_four`], interleaved stage by stage.
        ///
        /// # Safety
        /// `base .. base + 16·RUNS` in bounds; `n` is the transform size and table length.
        #[inline]
        #[target_feature(enable = $features)]
        unsafe fn forward_runs<L: NttLanes, const STRICT: bool, const RUNS: usize>(
            base: *mut u64,
            table: &Twiddles,
            lanes: L,
            n: usize,
            first_run: usize,
        ) {
            let runs: [usize; RUNS] = std::array::from_fn(|r| r);
            // SAFETY: runs lie inside the block; twiddle indices are at most n/2 + 8·run + 8 <= n.
            unsafe {
                let mut x = runs.map(|r| load(base.add(16 * r)));
                let mut y = runs.map(|r| load(base.add(16 * r + 8)));
                for r in runs {
                    lanes.forward(&mut x[r], &mut y[r], lanes.twiddles::<1>(table, n / 16 + first_run + r));
                }
                for r in runs {
                    (x[r], y[r]) = interleave(x[r], y[r]);
                    lanes.forward(&mut x[r], &mut y[r], lanes.twiddles::<2>(table, n / 8 + 2 * (first_run + r)));
                }
                for r in runs {
                    (x[r], y[r]) = interleave(x[r], y[r]);
                    lanes.forward(&mut x[r], &mut y[r], lanes.twiddles::<4>(table, n / 4 + 4 * (first_run + r)));
                }
                for r in runs {
                    (x[r], y[r]) = interleave(x[r], y[r]);
                    lanes.forward(&mut x[r], &mut y[r], lanes.twiddles::<8>(table, n / 2 + 8 * (first_run + r)));
                }
                for r in runs {
                    let (a, b) = interleave(x[r], y[r]);
                    store(base.add(16 * r), lanes.forward_output::<STRICT>(a));
                    store(base.add(16 * r + 8), lanes.forward_output::<STRICT>(b));
                }
            }
        }

        /// Inverse transform in place: bit-reversed order in, natural order out, including `1/n`.
        /// Input in `[0, 2q)`; output in `[0, q)` when `STRICT`, else in `[0, 2q)`.
        ///
        /// # Safety
        /// `values.len()` is a power of two `>= 16`, the tables have `values.len()` entries and
        /// the CPU supports `lanes`' family.
        #[target_feature(enable = $features)]
        pub(in crate::ntt) unsafe fn inverse<L: NttLanes, const STRICT: bool>(
            values: &mut [u64],
            table: &Twiddles,
            scaling: InverseScaling,
            lanes: L,
        ) {
            let n = values.len();
            debug_assert!(n.is_power_of_two() && n >= 16 && table.value.len() == n);
            // SAFETY: the caller guarantees the CPU supports the family.
            let last = unsafe { (lanes.constant(scaling.n_inv), lanes.constant(scaling.last_twiddle)) };
            let data = values.as_mut_ptr();
            if n == 16 {
                // SAFETY: one run of 16 values; twiddle indices below 16.
                unsafe { inverse_first_four::<L, STRICT, true>(data, table, lanes, n, 0, 1, last) };
                return;
            }
            let block = BLOCK.min(n);
            // Radix-4 passes from half = 16 upwards; a radix-2 pass closes when the count is odd.
            let above = n.trailing_zeros() - 4;
            let radix4_passes = above / 2;
            let ends_with_radix2 = above % 2 == 1;
            // In-block part: passes whose groups (4·half values) fit in a block.
            let mut pass = 0;
            for first in (0..n).step_by(block) {
                // SAFETY: `first + block <= n`; every pass below stays inside this block.
                let base = unsafe { data.add(first) };
                // SAFETY: the runs lie inside this block; twiddles below n.
                unsafe { inverse_first_four::<L, STRICT, false>(base, table, lanes, n, first / 16, block / 16, last) };
                let (mut half, mut p) = (16usize, 0);
                while p < radix4_passes && 4 * half <= block {
                    let is_last = p + 1 == radix4_passes && !ends_with_radix2;
                    let (groups, first_group, count) = (n / (2 * half), first / (4 * half), block / (4 * half));
                    // SAFETY: groups of 4·half values inside the block; twiddles below 2·groups <= n.
                    unsafe {
                        if is_last {
                            inverse_radix4::<L, STRICT, true>(
                                base,
                                table,
                                lanes,
                                groups,
                                first_group,
                                count,
                                half,
                                last,
                            );
                        } else {
                            inverse_radix4::<L, STRICT, false>(
                                base,
                                table,
                                lanes,
                                groups,
                                first_group,
                                count,
                                half,
                                last,
                            );
                        }
                    }
                    (half, p) = (4 * half, p + 1);
                }
                pass = p;
            }
            // Whole-array part.
            let mut half = 16usize << (2 * pass);
            while pass < radix4_passes {
                let is_last = pass + 1 == radix4_passes && !ends_with_radix2;
                let groups = n / (2 * half);
                // SAFETY: the pass covers all n values; twiddles below 2·groups <= n.
                unsafe {
                    if is_last {
                        inverse_radix4::<L, STRICT, true>(data, table, lanes, groups, 0, groups / 2, half, last);
                    } else {
                        inverse_radix4::<L, STRICT, false>(data, table, lanes, groups, 0, groups / 2, half, last);
                    }
                }
                (half, pass) = (4 * half, pass + 1);
            }
            if ends_with_radix2 {
                debug_assert_eq!(half, n / 2);
                // SAFETY: one group of n values.
                unsafe { inverse_last_radix2::<L, STRICT>(data, lanes, half, last) };
            }
        }

        /// The stages with `half = 1, 2, 4, 8` on `count` runs of 16 values, the first being
        /// the global run `first_run` at `base`. With `LAST` (only for `n = 16`) the `half = 8`
        /// stage is the final one and applies the `1/n` scaling.
        ///
        /// # Safety
        /// `base .. base + 16·count` in bounds; `n` is the transform size and table length.
        #[target_feature(enable = $features)]
        unsafe fn inverse_first_four<L: NttLanes, const STRICT: bool, const LAST: bool>(
            base: *mut u64,
            table: &Twiddles,
            lanes: L,
            n: usize,
            first_run: usize,
            count: usize,
            last: (L::Twiddle, L::Twiddle),
        ) {
            if count < L::RUNS {
                for k in 0..count {
                    // SAFETY: run k lies inside the block.
                    unsafe {
                        inverse_runs::<L, STRICT, LAST, 1>(base.add(16 * k), table, lanes, n, first_run + k, last)
                    };
                }
                return;
            }
            for k in (0..count).step_by(L::RUNS) {
                // SAFETY: runs k .. k + RUNS lie inside the block (RUNS divides the power of two count).
                unsafe {
                    let base = base.add(16 * k);
                    if L::RUNS == 8 {
                        inverse_runs::<L, STRICT, LAST, 8>(base, table, lanes, n, first_run + k, last)
                    } else {
                        inverse_runs::<L, STRICT, LAST, 4>(base, table, lanes, n, first_run + k, last)
                    }
                };
            }
        }

        /// `R` consecutive runs of [`inverse_first_four`], interleaved stage by stage.
        ///
        /// # Safety
        /// `base .. base + 16·R` in bounds; `n` is the transform size and table length.
        #[inline]
        #[target_feature(enable = $features)]
        unsafe fn inverse_runs<L: NttLanes, const STRICT: bool, const LAST: bool, const R: usize>(
            base: *mut u64,
            table: &Twiddles,
            lanes: L,
            n: usize,
            first_run: usize,
            last: (L::Twiddle, L::Twiddle),
        ) {
            let runs: [usize; R] = std::array::from_fn(|r| r);
            // SAFETY: runs lie inside the block; twiddle indices are at most n/2 + 8·run + 8 <= n.
            unsafe {
                let loaded = runs.map(|r| deinterleave(load(base.add(16 * r)), load(base.add(16 * r + 8))));
                let (mut x, mut y) = (loaded.map(|v| v.0), loaded.map(|v| v.1));
                for r in runs {
                    lanes.inverse(&mut x[r], &mut y[r], lanes.twiddles::<8>(table, n / 2 + 8 * (first_run + r)));
                }
                for r in runs {
                    (x[r], y[r]) = deinterleave(x[r], y[r]);
                    lanes.inverse(&mut x[r], &mut y[r], lanes.twiddles::<4>(table, n / 4 + 4 * (first_run + r)));
                }
                for r in runs {
                    (x[r], y[r]) = deinterleave(x[r], y[r]);
                    lanes.inverse(&mut x[r], &mut y[r], lanes.twiddles::<2>(table, n / 8 + 2 * (first_run + r)));
                }
                for r in runs {
                    (x[r], y[r]) = deinterleave(x[r], y[r]);
                    if LAST {
                        lanes.inverse_last::<STRICT>(&mut x[r], &mut y[r], last.0, last.1);
                    } else {
                        lanes.inverse(&mut x[r], &mut y[r], lanes.twiddles::<1>(table, n / 16 + first_run + r));
                    }
                }
                for r in runs {
                    store(base.add(16 * r), x[r]);
                    store(base.add(16 * r + 8), y[r]);
                }
            }
        }

        /// Two stages (`(groups, half)` then `(groups/2, 2·half)`) on `count` groups of
        /// `4·half` values starting at global group `first` (of `groups/2`), the first at
        /// `base`. With `LAST` the second stage is the final one (`groups = 2`) and applies
        /// the `1/n` scaling.
        ///
        /// # Safety
        /// `base .. base + count·4·half` in bounds; `groups + 2·(first + count) <= table length`.
        #[allow(clippy::too_many_arguments)]
        #[target_feature(enable = $features)]
        unsafe fn inverse_radix4<L: NttLanes, const STRICT: bool, const LAST: bool>(
            base: *mut u64,
            table: &Twiddles,
            lanes: L,
            groups: usize,
            first: usize,
            count: usize,
            half: usize,
            last: (L::Twiddle, L::Twiddle),
        ) {
            // SAFETY: forwarded caller guarantees; the column counts divide half.
            unsafe {
                match (half / 8).min(COLUMNS) {
                    1 => inverse_radix4_columns::<L, STRICT, LAST, 1>(
                        base, table, lanes, groups, first, count, half, last,
                    ),
                    2 => inverse_radix4_columns::<L, STRICT, LAST, 2>(
                        base, table, lanes, groups, first, count, half, last,
                    ),
                    4 => inverse_radix4_columns::<L, STRICT, LAST, 4>(
                        base, table, lanes, groups, first, count, half, last,
                    ),
                    _ => inverse_radix4_columns::<L, STRICT, LAST, COLUMNS>(
                        base, table, lanes, groups, first, count, half, last,
                    ),
                }
            }
        }

        /// [`inverse_radix4`] with `C` independent columns of 8 values interleaved per
        /// iteration. `8·C` divides `half`.
        ///
        /// # Safety
        /// As [`inverse_radix4`].
        #[allow(clippy::too_many_arguments)]
        #[inline]
        #[target_feature(enable = $features)]
        unsafe fn inverse_radix4_columns<L: NttLanes, const STRICT: bool, const LAST: bool, const C: usize>(
            base: *mut u64,
            table: &Twiddles,
            lanes: L,
            groups: usize,
            first: usize,
            count: usize,
            half: usize,
            last: (L::Twiddle, L::Twiddle),
        ) {
            debug_assert!(half % (8 * C) == 0);
            for k in 0..count {
                let g = first + k;
                // SAFETY: the caller guarantees the group and twiddle indices are in bounds.
                unsafe {
                    let w1a = lanes.twiddles::<1>(table, groups + 2 * g);
                    let w1b = lanes.twiddles::<1>(table, groups + 2 * g + 1);
                    let w2 = if LAST { last.1 } else { lanes.twiddles::<1>(table, groups / 2 + g) };
                    let p0 = base.add(4 * half * k);
                    let (p1, p2, p3) = (p0.add(half), p0.add(2 * half), p0.add(3 * half));
                    for j in (0..half).step_by(8 * C) {
                        let columns: [usize; C] = std::array::from_fn(|c| j + 8 * c);
                        let mut x0 = columns.map(|c| load(p0.add(c)));
                        let mut x1 = columns.map(|c| load(p1.add(c)));
                        let mut x2 = columns.map(|c| load(p2.add(c)));
                        let mut x3 = columns.map(|c| load(p3.add(c)));
                        for c in 0..C {
                            lanes.inverse(&mut x0[c], &mut x1[c], w1a);
                        }
                        for c in 0..C {
                            lanes.inverse(&mut x2[c], &mut x3[c], w1b);
                        }
                        for c in 0..C {
                            if LAST {
                                lanes.inverse_last::<STRICT>(&mut x0[c], &mut x2[c], last.0, w2);
                            } else {
                                lanes.inverse(&mut x0[c], &mut x2[c], w2);
                            }
                        }
                        for c in 0..C {
                            if LAST {
                                lanes.inverse_last::<STRICT>(&mut x1[c], &mut x3[c], last.0, w2);
                            } else {
                                lanes.inverse(&mut x1[c], &mut x3[c], w2);
                            }
                        }
                        for (c, &column) in columns.iter().enumerate() {
                            store(p0.add(column), x0[c]);
                            store(p1.add(column), x1[c]);
                            store(p2.add(column), x2[c]);
                            store(p3.add(column), x3[c]);
                        }
                    }
                }
            }
        }

        /// The final inverse stage (`half = n/2`) as a radix-2 pass with the `1/n` scaling.
        ///
        /// # Safety
        /// `base .. base + 2·half` in bounds.
        #[target_feature(enable = $features)]
        unsafe fn inverse_last_radix2<L: NttLanes, const STRICT: bool>(
            base: *mut u64,
            lanes: L,
            half: usize,
            last: (L::Twiddle, L::Twiddle),
        ) {
            // half >= 16, so two columns always fit.
            for j in (0..half).step_by(16) {
                // SAFETY: j + 16 <= half, so all four vectors lie in the array.
                unsafe {
                    let columns = [j, j + 8];
                    let mut x = columns.map(|c| load(base.add(c)));
                    let mut y = columns.map(|c| load(base.add(half + c)));
                    for c in 0..2 {
                        lanes.inverse_last::<STRICT>(&mut x[c], &mut y[c], last.0, last.1);
                    }
                    for (c, &column) in columns.iter().enumerate() {
                        store(base.add(column), x[c]);
                        store(base.add(half + column), y[c]);
                    }
                }
            }
        }
    };
}

/// Drivers compiled for AVX-512 F/DQ/BW/VL (64-bit Shoup butterflies).
pub(super) mod plain {
    ntt_drivers!("avx512f,avx512dq,avx512bw,avx512vl");
}

/// Drivers compiled with IFMA as well (52-bit butterflies).
pub(super) mod ifma {
    ntt_drivers!("avx512f,avx512dq,avx512bw,avx512vl,avx512ifma");
}
