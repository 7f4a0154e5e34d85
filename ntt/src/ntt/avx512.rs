//! AVX-512 negacyclic NTT kernels (eight `u64` lanes, no IFMA needed).
//!
//! **Structure.** Stages with a butterfly distance `h >= 16` run as radix-4 passes (two stages
//! per pass over the data, four vectors in registers), plus one radix-2 pass when their count is
//! odd. The passes over groups larger than [`BLOCK`] sweep the whole array; below that each
//! block of [`BLOCK`] values goes through all its remaining stages while it sits in L1. The four
//! stages with `h <= 8` run on 16 values (two vectors) at a time: lanes are regrouped with one
//! `vpermt2q` per vector between stages (the same perfect shuffle each time), so that each
//! stage's twiddles are 1, 2, 4 or 8 consecutive table entries, loaded by broadcast loads.
//!
//! **Multiplier.** [`mul_shoup_approx`] (4 `vpmuludq`-class µops fewer than an exact Shoup
//! product; output in `[0, 4q)`).
//!
//! **Ranges.** Two variants, chosen by the plan from `q`:
//! * `FAST` (`q < 2^61`): forward values stay in `[0, 8q)` between stages (the butterfly reduces
//!   only `x` to `[0, 4q)` and adds the product unreduced); inverse values stay in `[0, 4q)`.
//! * general (`q < 2^62`): the classic Harvey ranges, `[0, 4q)` forward and `[0, 2q)` inverse,
//!   with the product reduced to `[0, 2q)`.
//!
//! The last stage maps its outputs to the documented API ranges (`STRICT`: `[0, q)`; lazy:
//! forward `[0, 4q)`, inverse `[0, 2q)`), so no extra pass over the data is needed.

use std::arch::x86_64::*;

use super::plan::Twiddles;
use crate::simd::avx512::{ShoupConstant, load, mul_shoup_approx, reduce_once, splat, store};

/// Values per cache block: the passes over groups of at most this size run block by block.
const BLOCK: usize = 1 << 11;

/// Broadcast constants of the modulus, and the butterfly bound of the chosen variant.
#[derive(Clone, Copy)]
struct Constants {
    q: __m512i,
    two_q: __m512i,
    four_q: __m512i,
}

impl Constants {
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    fn new(q: u64) -> Self {
        Self { q: splat(q), two_q: splat(2 * q), four_q: splat(4 * q) }
    }

    /// Forward butterfly half-range: values enter in `[0, 2·bound)`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    fn forward_bound<const FAST: bool>(&self) -> __m512i {
        if FAST { self.four_q } else { self.two_q }
    }

    /// Inverse butterfly range: values stay in `[0, bound)`.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    fn inverse_bound<const FAST: bool>(&self) -> __m512i {
        if FAST { self.four_q } else { self.two_q }
    }
}

/// Reads the twiddle `table[index]` into every lane.
///
/// # Safety
/// `index` must be in bounds of the three tables.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
unsafe fn twiddle_splat(table: &Twiddles, index: usize) -> ShoupConstant {
    debug_assert!(index < table.value.len());
    // SAFETY: the caller guarantees `index` is in bounds; the three tables have equal lengths.
    unsafe {
        ShoupConstant {
            value: splat(*table.value.get_unchecked(index)),
            shoup: splat(*table.shoup.get_unchecked(index)),
            shoup_hi: splat(*table.shoup_hi.get_unchecked(index)),
        }
    }
}

/// Reads `WIDTH` (1, 2, 4 or 8) consecutive twiddles from `index` on, repeated across the
/// lanes: lane `l` gets entry `index + l % WIDTH`.
///
/// # Safety
/// `index + WIDTH` must be in bounds of the three tables.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
unsafe fn twiddle_repeat<const WIDTH: usize>(table: &Twiddles, index: usize) -> ShoupConstant {
    debug_assert!(index + WIDTH <= table.value.len());
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    unsafe fn repeat<const WIDTH: usize>(ptr: *const u64) -> __m512i {
        // SAFETY: the caller guarantees WIDTH readable entries from `ptr`.
        unsafe {
            match WIDTH {
                1 => _mm512_set1_epi64(*ptr as i64),
                2 => _mm512_broadcast_i64x2(_mm_loadu_si128(ptr.cast())),
                4 => _mm512_broadcast_i64x4(_mm256_loadu_si256(ptr.cast())),
                _ => load(ptr),
            }
        }
    }
    // SAFETY: the caller guarantees `index + WIDTH` is in bounds of the three equal-length tables.
    unsafe {
        ShoupConstant {
            value: repeat::<WIDTH>(table.value.as_ptr().add(index)),
            shoup: repeat::<WIDTH>(table.shoup.as_ptr().add(index)),
            shoup_hi: repeat::<WIDTH>(table.shoup_hi.as_ptr().add(index)),
        }
    }
}

/// Cooley–Tukey butterfly `(x, y) ← (x + w·y, x − w·y)`.
/// `FAST`: inputs in `[0, 8q)`, outputs in `[0, 8q)`. General: `[0, 4q)` to `[0, 4q)`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn forward_butterfly<const FAST: bool>(x: &mut __m512i, y: &mut __m512i, w: ShoupConstant, c: &Constants) {
    let bound = c.forward_bound::<FAST>();
    let product = mul_shoup_approx(*y, w, c.q);
    let product = if FAST { product } else { reduce_once(product, c.two_q) };
    let x_reduced = reduce_once(*x, bound);
    *x = _mm512_add_epi64(x_reduced, product);
    *y = _mm512_sub_epi64(_mm512_add_epi64(x_reduced, bound), product);
}

/// Gentleman–Sande butterfly `(x, y) ← (x + y, w·(x − y))`.
/// `FAST`: inputs and outputs in `[0, 4q)`. General: `[0, 2q)`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn inverse_butterfly<const FAST: bool>(x: &mut __m512i, y: &mut __m512i, w: ShoupConstant, c: &Constants) {
    let bound = c.inverse_bound::<FAST>();
    let difference = _mm512_sub_epi64(_mm512_add_epi64(*x, bound), *y);
    *x = reduce_once(_mm512_add_epi64(*x, *y), bound);
    let product = mul_shoup_approx(difference, w, c.q);
    *y = if FAST { product } else { reduce_once(product, c.two_q) };
}

/// The last inverse butterfly with the `1/n` scaling folded in:
/// `(x, y) ← ((x + y)·n⁻¹, (x − y)·w·n⁻¹)`. Inputs in the inverse range; outputs in `[0, q)`
/// when `STRICT`, else in `[0, 2q)`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn inverse_last_butterfly<const FAST: bool, const STRICT: bool>(
    x: &mut __m512i,
    y: &mut __m512i,
    n_inv: ShoupConstant,
    w_n_inv: ShoupConstant,
    c: &Constants,
) {
    let bound = c.inverse_bound::<FAST>();
    let sum = _mm512_add_epi64(*x, *y);
    let difference = _mm512_sub_epi64(_mm512_add_epi64(*x, bound), *y);
    *x = inverse_output::<STRICT>(mul_shoup_approx(sum, n_inv, c.q), c);
    *y = inverse_output::<STRICT>(mul_shoup_approx(difference, w_n_inv, c.q), c);
}

/// Maps a product in `[0, 4q)` to the inverse API range.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn inverse_output<const STRICT: bool>(v: __m512i, c: &Constants) -> __m512i {
    let v = reduce_once(v, c.two_q);
    if STRICT { reduce_once(v, c.q) } else { v }
}

/// Maps a forward output (in `[0, 8q)` for `FAST`, `[0, 4q)` otherwise) to the forward API
/// range: `[0, q)` when `STRICT`, else `[0, 4q)`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn forward_output<const FAST: bool, const STRICT: bool>(v: __m512i, c: &Constants) -> __m512i {
    let v = if FAST { reduce_once(v, c.four_q) } else { v };
    if STRICT { reduce_once(reduce_once(v, c.two_q), c.q) } else { v }
}

/// Perfect shuffle of two vectors: `(a, b) → ([a0 b0 a1 b1 a2 b2 a3 b3], [a4 b4 … a7 b7])`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn interleave(a: __m512i, b: __m512i) -> (__m512i, __m512i) {
    let low = _mm512_set_epi64(11, 3, 10, 2, 9, 1, 8, 0);
    let high = _mm512_set_epi64(15, 7, 14, 6, 13, 5, 12, 4);
    (_mm512_permutex2var_epi64(a, low, b), _mm512_permutex2var_epi64(a, high, b))
}

/// Inverse perfect shuffle: `(a, b) → (even lanes of a‖b, odd lanes of a‖b)`.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
fn deinterleave(a: __m512i, b: __m512i) -> (__m512i, __m512i) {
    let even = _mm512_set_epi64(14, 12, 10, 8, 6, 4, 2, 0);
    let odd = _mm512_set_epi64(15, 13, 11, 9, 7, 5, 3, 1);
    (_mm512_permutex2var_epi64(a, even, b), _mm512_permutex2var_epi64(a, odd, b))
}

/// Forward transform in place: natural order in, bit-reversed order out.
/// Input in `[0, 4q)`; output in `[0, q)` when `STRICT`, else in `[0, 4q)`.
/// `FAST` requires `q < 2^61`; the general variant `q < 2^62`.
///
/// # Safety
/// `values.len()` is a power of two `>= 16` and the tables have `values.len()` entries.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn forward<const FAST: bool, const STRICT: bool>(values: &mut [u64], table: &Twiddles, q: u64) {
    let n = values.len();
    debug_assert!(n.is_power_of_two() && n >= 16 && table.value.len() == n);
    let c = Constants::new(q);
    let data = values.as_mut_ptr();
    let block = BLOCK.min(n);
    // Stage (groups, half): `groups` butterfly groups of `2·half` values.
    let (mut groups, mut half) = (1usize, n / 2);
    // SAFETY (all blocks below): every pass touches indices below n inside `values` and reads
    // twiddles below n (groups + local group < 2·groups <= n), as the pass functions require.
    if (n.trailing_zeros() - 4) % 2 == 1 {
        unsafe { forward_radix2::<FAST>(data, table, groups, 0, groups, half, &c) };
        (groups, half) = (2 * groups, half / 2);
    }
    while half >= 16 && 2 * half > block {
        unsafe { forward_radix4::<FAST>(data, table, groups, 0, groups, half, &c) };
        (groups, half) = (4 * groups, half / 4);
    }
    // Every group now spans at most one block: finish each block while it is in cache.
    let per_block = block / (2 * half);
    for first in (0..groups).step_by(per_block) {
        // SAFETY: `first·2·half + block <= n`.
        let base = unsafe { data.add(first * 2 * half) };
        let (mut g, mut h, mut first_group) = (groups, half, first);
        while h >= 16 {
            unsafe { forward_radix4::<FAST>(base, table, g, first_group, per_block * g / groups, h, &c) };
            (g, h, first_group) = (4 * g, h / 4, 4 * first_group);
        }
        debug_assert_eq!(h, 8);
        unsafe { forward_last_four::<FAST, STRICT>(base, table, n, first * 2 * half / 16, block / 16, &c) };
    }
}

/// One radix-2 stage on `count` groups starting at global group `first` (of `groups`), the
/// first of them at `base`.
///
/// # Safety
/// `base .. base + count·2·half` in bounds; `groups + first + count <= table length`.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
unsafe fn forward_radix2<const FAST: bool>(
    base: *mut u64,
    table: &Twiddles,
    groups: usize,
    first: usize,
    count: usize,
    half: usize,
    c: &Constants,
) {
    for k in 0..count {
        // SAFETY: the caller guarantees the group and twiddle indices are in bounds.
        unsafe {
            let w = twiddle_splat(table, groups + first + k);
            let x_ptr = base.add(2 * half * k);
            let y_ptr = x_ptr.add(half);
            for j in (0..half).step_by(8) {
                let (mut x, mut y) = (load(x_ptr.add(j)), load(y_ptr.add(j)));
                forward_butterfly::<FAST>(&mut x, &mut y, w, c);
                store(x_ptr.add(j), x);
                store(y_ptr.add(j), y);
            }
        }
    }
}

/// Two stages (`(groups, half)` then `(2·groups, half/2)`) on `count` groups of `2·half`
/// values starting at global group `first`, the first of them at `base`. Needs `half >= 16`.
///
/// # Safety
/// `base .. base + count·2·half` in bounds; `2·(groups + first + count) <= table length`.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
unsafe fn forward_radix4<const FAST: bool>(
    base: *mut u64,
    table: &Twiddles,
    groups: usize,
    first: usize,
    count: usize,
    half: usize,
    c: &Constants,
) {
    let quarter = half / 2;
    for k in 0..count {
        let g = first + k;
        // SAFETY: the caller guarantees the group and twiddle indices are in bounds.
        unsafe {
            let w1 = twiddle_splat(table, groups + g);
            let w2a = twiddle_splat(table, 2 * (groups + g));
            let w2b = twiddle_splat(table, 2 * (groups + g) + 1);
            let p0 = base.add(2 * half * k);
            let (p1, p2, p3) = (p0.add(quarter), p0.add(half), p0.add(half + quarter));
            for j in (0..quarter).step_by(8) {
                let (mut x0, mut x1) = (load(p0.add(j)), load(p1.add(j)));
                let (mut x2, mut x3) = (load(p2.add(j)), load(p3.add(j)));
                forward_butterfly::<FAST>(&mut x0, &mut x2, w1, c);
                forward_butterfly::<FAST>(&mut x1, &mut x3, w1, c);
                forward_butterfly::<FAST>(&mut x0, &mut x1, w2a, c);
                forward_butterfly::<FAST>(&mut x2, &mut x3, w2b, c);
                store(p0.add(j), x0);
                store(p1.add(j), x1);
                store(p2.add(j), x2);
                store(p3.add(j), x3);
            }
        }
    }
}

/// The stages with `half = 8, 4, 2, 1` on `count` runs of 16 values, the first being the
/// global run `first_run` at `base`; writes the API output range.
///
/// # Safety
/// `base .. base + 16·count` in bounds; `n` is the transform size and table length.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
unsafe fn forward_last_four<const FAST: bool, const STRICT: bool>(
    base: *mut u64,
    table: &Twiddles,
    n: usize,
    first_run: usize,
    count: usize,
    c: &Constants,
) {
    for k in 0..count {
        let run = first_run + k;
        // SAFETY: runs lie inside the block; twiddle indices are below n/16·(1+1) … n/2 + 8·run + 8 <= n.
        unsafe {
            let ptr = base.add(16 * k);
            let (mut a, mut b) = (load(ptr), load(ptr.add(8)));
            forward_butterfly::<FAST>(&mut a, &mut b, twiddle_splat(table, n / 16 + run), c);
            let (mut x, mut y) = interleave(a, b);
            forward_butterfly::<FAST>(&mut x, &mut y, twiddle_repeat::<2>(table, n / 8 + 2 * run), c);
            let (mut x, mut y) = interleave(x, y);
            forward_butterfly::<FAST>(&mut x, &mut y, twiddle_repeat::<4>(table, n / 4 + 4 * run), c);
            let (mut x, mut y) = interleave(x, y);
            forward_butterfly::<FAST>(&mut x, &mut y, twiddle_repeat::<8>(table, n / 2 + 8 * run), c);
            let (a, b) = interleave(x, y);
            store(ptr, forward_output::<FAST, STRICT>(a, c));
            store(ptr.add(8), forward_output::<FAST, STRICT>(b, c));
        }
    }
}

/// The `1/n` constants of the last inverse stage: `n⁻¹` and `ψ^{-n/2}·n⁻¹` with companions.
#[derive(Clone, Copy)]
pub(super) struct InverseScaling {
    pub(super) n_inv: (u64, u64),
    pub(super) last_twiddle: (u64, u64),
}

/// Inverse transform in place: bit-reversed order in, natural order out, including `1/n`.
/// Input in `[0, 2q)`; output in `[0, q)` when `STRICT`, else in `[0, 2q)`.
/// `FAST` requires `q < 2^61`; the general variant `q < 2^62`.
///
/// # Safety
/// `values.len()` is a power of two `>= 16` and the tables have `values.len()` entries.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn inverse<const FAST: bool, const STRICT: bool>(
    values: &mut [u64],
    table: &Twiddles,
    scaling: InverseScaling,
    q: u64,
) {
    let n = values.len();
    debug_assert!(n.is_power_of_two() && n >= 16 && table.value.len() == n);
    let c = Constants::new(q);
    let last = (
        ShoupConstant::splat(scaling.n_inv.0, scaling.n_inv.1),
        ShoupConstant::splat(scaling.last_twiddle.0, scaling.last_twiddle.1),
    );
    let data = values.as_mut_ptr();
    if n == 16 {
        // SAFETY: one run of 16 values; twiddle indices below 16.
        unsafe { inverse_first_four::<FAST, STRICT, true>(data, table, n, 0, 1, last, &c) };
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
        unsafe { inverse_first_four::<FAST, STRICT, false>(base, table, n, first / 16, block / 16, last, &c) };
        let (mut half, mut p) = (16usize, 0);
        while p < radix4_passes && 4 * half <= block {
            let is_last = p + 1 == radix4_passes && !ends_with_radix2;
            let groups = n / (2 * half);
            let first_group = first / (4 * half);
            let count = block / (4 * half);
            // SAFETY: groups of 4·half values inside the block; twiddles below 2·groups <= n.
            unsafe {
                if is_last {
                    inverse_radix4::<FAST, STRICT, true>(base, table, groups, first_group, count, half, last, &c);
                } else {
                    inverse_radix4::<FAST, STRICT, false>(base, table, groups, first_group, count, half, last, &c);
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
                inverse_radix4::<FAST, STRICT, true>(data, table, groups, 0, groups / 2, half, last, &c);
            } else {
                inverse_radix4::<FAST, STRICT, false>(data, table, groups, 0, groups / 2, half, last, &c);
            }
        }
        (half, pass) = (4 * half, pass + 1);
    }
    if ends_with_radix2 {
        debug_assert_eq!(half, n / 2);
        // SAFETY: one group of n values.
        unsafe { inverse_last_radix2::<FAST, STRICT>(data, half, last, &c) };
    }
}

/// The stages with `half = 1, 2, 4, 8` on `count` runs of 16 values, the first being the
/// global run `first_run` at `base`. With `LAST` (only for `n = 16`) the `half = 8` stage is
/// the final one and applies the `1/n` scaling.
///
/// # Safety
/// `base .. base + 16·count` in bounds; `n` is the transform size and table length.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
unsafe fn inverse_first_four<const FAST: bool, const STRICT: bool, const LAST: bool>(
    base: *mut u64,
    table: &Twiddles,
    n: usize,
    first_run: usize,
    count: usize,
    last: (ShoupConstant, ShoupConstant),
    c: &Constants,
) {
    for k in 0..count {
        let run = first_run + k;
        // SAFETY: runs lie inside the block; twiddle indices are at most n/2 + 8·run + 8 <= n.
        unsafe {
            let ptr = base.add(16 * k);
            let (x, y) = deinterleave(load(ptr), load(ptr.add(8)));
            let (mut x, mut y) = (x, y);
            inverse_butterfly::<FAST>(&mut x, &mut y, twiddle_repeat::<8>(table, n / 2 + 8 * run), c);
            let (mut x, mut y) = deinterleave(x, y);
            inverse_butterfly::<FAST>(&mut x, &mut y, twiddle_repeat::<4>(table, n / 4 + 4 * run), c);
            let (mut x, mut y) = deinterleave(x, y);
            inverse_butterfly::<FAST>(&mut x, &mut y, twiddle_repeat::<2>(table, n / 8 + 2 * run), c);
            let (mut a, mut b) = deinterleave(x, y);
            if LAST {
                inverse_last_butterfly::<FAST, STRICT>(&mut a, &mut b, last.0, last.1, c);
            } else {
                inverse_butterfly::<FAST>(&mut a, &mut b, twiddle_splat(table, n / 16 + run), c);
            }
            store(ptr, a);
            store(ptr.add(8), b);
        }
    }
}

/// Two stages (`(groups, half)` then `(groups/2, 2·half)`) on `count` groups of `4·half`
/// values starting at global group `first` (of `groups/2`), the first at `base`. With `LAST`
/// the second stage is the final one (`groups = 2`) and applies the `1/n` scaling.
///
/// # Safety
/// `base .. base + count·4·half` in bounds; `groups + 2·(first + count) <= table length`.
#[allow(clippy::too_many_arguments)]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
unsafe fn inverse_radix4<const FAST: bool, const STRICT: bool, const LAST: bool>(
    base: *mut u64,
    table: &Twiddles,
    groups: usize,
    first: usize,
    count: usize,
    half: usize,
    last: (ShoupConstant, ShoupConstant),
    c: &Constants,
) {
    for k in 0..count {
        let g = first + k;
        // SAFETY: the caller guarantees the group and twiddle indices are in bounds.
        unsafe {
            let w1a = twiddle_splat(table, groups + 2 * g);
            let w1b = twiddle_splat(table, groups + 2 * g + 1);
            let w2 = if LAST { last.1 } else { twiddle_splat(table, groups / 2 + g) };
            let p0 = base.add(4 * half * k);
            let (p1, p2, p3) = (p0.add(half), p0.add(2 * half), p0.add(3 * half));
            for j in (0..half).step_by(8) {
                let (mut x0, mut x1) = (load(p0.add(j)), load(p1.add(j)));
                let (mut x2, mut x3) = (load(p2.add(j)), load(p3.add(j)));
                inverse_butterfly::<FAST>(&mut x0, &mut x1, w1a, c);
                inverse_butterfly::<FAST>(&mut x2, &mut x3, w1b, c);
                if LAST {
                    inverse_last_butterfly::<FAST, STRICT>(&mut x0, &mut x2, last.0, w2, c);
                    inverse_last_butterfly::<FAST, STRICT>(&mut x1, &mut x3, last.0, w2, c);
                } else {
                    inverse_butterfly::<FAST>(&mut x0, &mut x2, w2, c);
                    inverse_butterfly::<FAST>(&mut x1, &mut x3, w2, c);
                }
                store(p0.add(j), x0);
                store(p1.add(j), x1);
                store(p2.add(j), x2);
                store(p3.add(j), x3);
            }
        }
    }
}

/// The final inverse stage (`half = n/2`) as a radix-2 pass with the `1/n` scaling.
///
/// # Safety
/// `base .. base + 2·half` in bounds.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
unsafe fn inverse_last_radix2<const FAST: bool, const STRICT: bool>(
    base: *mut u64,
    half: usize,
    last: (ShoupConstant, ShoupConstant),
    c: &Constants,
) {
    for j in (0..half).step_by(8) {
        // SAFETY: j + 8 <= half, so both vectors lie in the array.
        unsafe {
            let (x_ptr, y_ptr) = (base.add(j), base.add(half + j));
            let (mut x, mut y) = (load(x_ptr), load(y_ptr));
            inverse_last_butterfly::<FAST, STRICT>(&mut x, &mut y, last.0, last.1, c);
            store(x_ptr, x);
            store(y_ptr, y);
        }
    }
}
