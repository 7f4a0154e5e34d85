//! The AVX-512 forward-transform drivers, as a macro that `avx512.rs` instantiates once per
//! feature set (see there for the structure and the ranges).

/// Defines the forward drivers compiled for the feature string `$features`.
macro_rules! forward_drivers {
    ($features:literal) => {
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
                let first_stage = |x: &mut [_; 8]| {
                    for k in 0..4 {
                        let (lo, hi) = x.split_at_mut(4);
                        lanes.forward(&mut lo[k], &mut hi[k], w1);
                    }
                };
                let last_stages = |x: &mut [_; 8]| {
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
                };
                // Software pipeline: the first stage of column j runs beside the last two of
                // column j - 8, so independent butterflies sit next to each other.
                let mut current = p.map(|ptr| load(ptr));
                first_stage(&mut current);
                for j in (8..eighth).step_by(8) {
                    let mut next = p.map(|ptr| load(ptr.add(j)));
                    first_stage(&mut next);
                    last_stages(&mut current);
                    for (ptr, value) in p.iter().zip(current) {
                        store(ptr.add(j - 8), value);
                    }
                    current = next;
                }
                last_stages(&mut current);
                for (ptr, value) in p.iter().zip(current) {
                    store(ptr.add(eighth - 8), value);
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
                if half / 16 < PIPELINED_COLUMNS {
                    forward_radix4_columns::<L, 1>(base, table, lanes, groups, first, count, half)
                } else {
                    forward_radix4_columns::<L, PIPELINED_COLUMNS>(base, table, lanes, groups, first, count, half)
                }
            }
        }

        /// [`forward_radix4`] with `C` independent columns of 8 values per step, software
        /// pipelined: each step runs the first stage of its columns beside the second stage of
        /// the previous step's, so that independent butterflies overlap in the pipeline.
        /// `8·C` divides `half/2`.
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
                    let first_stage = |x: &mut [[_; C]; 4]| {
                        let [x0, x1, x2, x3] = x;
                        for c in 0..C {
                            lanes.forward(&mut x0[c], &mut x2[c], w1);
                        }
                        for c in 0..C {
                            lanes.forward(&mut x1[c], &mut x3[c], w1);
                        }
                    };
                    let second_stage = |x: &mut [[_; C]; 4]| {
                        let [x0, x1, x2, x3] = x;
                        for c in 0..C {
                            lanes.forward(&mut x0[c], &mut x1[c], w2a);
                        }
                        for c in 0..C {
                            lanes.forward(&mut x2[c], &mut x3[c], w2b);
                        }
                    };
                    pipelined_radix4!([p0, p1, p2, p3], quarter, C, first_stage, second_stage);
                }
            }
        }

        /// The stages with `half = 8, 4, 2, 1` on `count` runs of 16 values, the first being
        /// the global run `first_run` at `base`; writes the API output range.
        ///
        /// Kept out of line: inlined into [`forward`] (the compiler's choice otherwise), the
        /// forward transform measured 3–9 % slower (60-bit, IFMA quotient, Zen 5).
        ///
        /// # Safety
        /// `base .. base + 16·count` in bounds; `n` is the transform size and table length.
        #[inline(never)]
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
    };
}
pub(super) use forward_drivers;
