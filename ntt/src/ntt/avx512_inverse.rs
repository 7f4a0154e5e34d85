//! The AVX-512 inverse-transform drivers, as a macro that `avx512.rs` instantiates once per
//! feature set (see there for the structure and the ranges).

/// Defines the inverse drivers compiled for the feature string `$features`.
macro_rules! inverse_drivers {
    ($features:literal) => {
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
                        inverse_radix4_pass::<L, STRICT>(
                            is_last,
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
                    inverse_radix4_pass::<L, STRICT>(is_last, data, table, lanes, groups, 0, groups / 2, half, last);
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

        /// [`inverse_radix4`] with `LAST` chosen at run time.
        ///
        /// # Safety
        /// As [`inverse_radix4`].
        #[allow(clippy::too_many_arguments)]
        #[inline]
        #[target_feature(enable = $features)]
        unsafe fn inverse_radix4_pass<L: NttLanes, const STRICT: bool>(
            is_last: bool,
            base: *mut u64,
            table: &Twiddles,
            lanes: L,
            groups: usize,
            first: usize,
            count: usize,
            half: usize,
            last: (L::Twiddle, L::Twiddle),
        ) {
            // SAFETY: forwarded caller guarantees.
            unsafe {
                if is_last {
                    inverse_radix4::<L, STRICT, true>(base, table, lanes, groups, first, count, half, last)
                } else {
                    inverse_radix4::<L, STRICT, false>(base, table, lanes, groups, first, count, half, last)
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
                        let [mut x0, mut x1, mut x2, mut x3] = load_columns!([p0, p1, p2, p3], columns);
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
                        store_columns!([p0, p1, p2, p3], columns, [x0, x1, x2, x3]);
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
pub(super) use inverse_drivers;
