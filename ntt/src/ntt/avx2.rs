//! AVX2 negacyclic NTT kernels (four `u64` lanes), for CPUs without AVX-512.
//!
//! Radix-2 passes for the stages with butterfly distance `h >= 4`; the stages with `h = 2, 1`
//! run on 8 values (two vectors) regrouped in registers (`vperm2i128`, `vpunpck{l,h}qdq`). The
//! multiplier is the approximate Shoup product of [`crate::simd::avx2::mul_shoup_approx`]
//! (output in `[0, 4q)`, reduced to `[0, 2q)`), so the ranges are the classic Harvey ones for
//! every `q < 2^62`: forward values in `[0, 4q)`, inverse values in `[0, 2q)`. The last stage
//! writes the API range (`STRICT`: `[0, q)`).

use std::arch::x86_64::*;

use super::plan::Twiddles;
use crate::simd::avx2::{load, mul_shoup_approx, reduce_once, splat, store};

/// A twiddle with its Shoup companion halves, in every lane or per lane.
#[derive(Clone, Copy)]
struct Twiddle {
    value: __m256i,
    shoup: __m256i,
    shoup_hi: __m256i,
}

#[derive(Clone, Copy)]
struct Constants {
    q: __m256i,
    two_q: __m256i,
}

impl Constants {
    /// `y·w mod q` in `[0, 2q)` for any `y`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn product(&self, y: __m256i, w: Twiddle) -> __m256i {
        reduce_once(mul_shoup_approx(y, w.value, w.shoup, w.shoup_hi, self.q), self.two_q)
    }

    /// Cooley–Tukey butterfly; inputs and outputs in `[0, 4q)`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn forward(&self, x: &mut __m256i, y: &mut __m256i, w: Twiddle) {
        let product = self.product(*y, w);
        let x_reduced = reduce_once(*x, self.two_q);
        *x = _mm256_add_epi64(x_reduced, product);
        *y = _mm256_sub_epi64(_mm256_add_epi64(x_reduced, self.two_q), product);
    }

    /// Gentleman–Sande butterfly; inputs and outputs in `[0, 2q)`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn inverse(&self, x: &mut __m256i, y: &mut __m256i, w: Twiddle) {
        let difference = _mm256_sub_epi64(_mm256_add_epi64(*x, self.two_q), *y);
        *x = reduce_once(_mm256_add_epi64(*x, *y), self.two_q);
        *y = self.product(difference, w);
    }

    /// The final forward output: `[0, 4q)` to `[0, q)` when `STRICT`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn forward_output<const STRICT: bool>(&self, v: __m256i) -> __m256i {
        if STRICT { reduce_once(reduce_once(v, self.two_q), self.q) } else { v }
    }

    /// The final inverse output: `[0, 2q)` to `[0, q)` when `STRICT`.
    #[inline]
    #[target_feature(enable = "avx2")]
    fn inverse_output<const STRICT: bool>(&self, v: __m256i) -> __m256i {
        if STRICT { reduce_once(v, self.q) } else { v }
    }
}

/// `table[index]` in every lane.
///
/// # Safety
/// `index` within the tables.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn splat_twiddle(table: &Twiddles, index: usize) -> Twiddle {
    // SAFETY: the caller guarantees `index` is in bounds of the equal-length tables.
    unsafe {
        Twiddle {
            value: splat(*table.value.get_unchecked(index)),
            shoup: splat(*table.shoup.get_unchecked(index)),
            shoup_hi: splat(*table.shoup_hi.get_unchecked(index)),
        }
    }
}

/// Entries `index, index, index + 1, index + 1` (`PAIRS`) or `index .. index + 4` per lane.
///
/// # Safety
/// `index + 2` (`PAIRS`) or `index + 4` within the tables.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn lane_twiddles<const PAIRS: bool>(table: &Twiddles, index: usize) -> Twiddle {
    #[inline]
    #[target_feature(enable = "avx2")]
    unsafe fn read<const PAIRS: bool>(ptr: *const u64) -> __m256i {
        // SAFETY: the caller guarantees two or four readable entries.
        unsafe {
            if PAIRS {
                _mm256_permute4x64_epi64::<0b01_01_00_00>(_mm256_castsi128_si256(_mm_loadu_si128(ptr.cast())))
            } else {
                load(ptr)
            }
        }
    }
    // SAFETY: the caller guarantees the entries are in bounds.
    unsafe {
        let shoup = read::<PAIRS>(table.shoup.as_ptr().add(index));
        Twiddle {
            value: read::<PAIRS>(table.value.as_ptr().add(index)),
            shoup,
            shoup_hi: _mm256_srli_epi64::<32>(shoup),
        }
    }
}

/// One stage of `groups` groups of `2·half` values (`half >= 4`): Cooley–Tukey butterflies
/// when `FORWARD`, Gentleman–Sande ones otherwise.
///
/// # Safety
/// `data .. data + 2·half·groups` in bounds; `2·groups <= table length`; the CPU supports AVX2.
#[inline]
#[target_feature(enable = "avx2")]
unsafe fn radix2_stage<const FORWARD: bool>(
    data: *mut u64,
    table: &Twiddles,
    c: &Constants,
    groups: usize,
    half: usize,
) {
    for g in 0..groups {
        // SAFETY: group g spans [2·half·g, 2·half·(g+1)), in bounds by the caller's guarantee.
        unsafe {
            let w = splat_twiddle(table, groups + g);
            let x_ptr = data.add(2 * half * g);
            let y_ptr = x_ptr.add(half);
            for j in (0..half).step_by(4) {
                let (mut x, mut y) = (load(x_ptr.add(j)), load(y_ptr.add(j)));
                if FORWARD {
                    c.forward(&mut x, &mut y, w);
                } else {
                    c.inverse(&mut x, &mut y, w);
                }
                store(x_ptr.add(j), x);
                store(y_ptr.add(j), y);
            }
        }
    }
}

/// Forward transform in place (natural order in, bit-reversed out). Input in `[0, 4q)`;
/// output in `[0, q)` when `STRICT`, else `[0, 4q)`. Any `q < 2^62`.
///
/// # Safety
/// `values.len()` is a power of two `>= 8`, the tables have `values.len()` entries and the
/// CPU supports AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn forward<const STRICT: bool>(values: &mut [u64], table: &Twiddles, q: u64) {
    let n = values.len();
    debug_assert!(n.is_power_of_two() && n >= 8 && table.value.len() == n);
    let c = Constants { q: splat(q), two_q: splat(2 * q) };
    let data = values.as_mut_ptr();
    let (mut groups, mut half) = (1usize, n / 2);
    while half >= 4 {
        // SAFETY: groups·2·half = n values; twiddle indices below 2·groups <= n.
        unsafe { radix2_stage::<true>(data, table, &c, groups, half) };
        (groups, half) = (2 * groups, half / 2);
    }
    // Stages half = 2 (n/4 groups, one per run of 4) and half = 1 (n/2 groups, two per run).
    for run in (0..n / 4).step_by(2) {
        // SAFETY: runs `run`, `run + 1` cover [4·run, 4·run + 8) ⊂ [0, n); twiddles below n.
        unsafe {
            let ptr = data.add(4 * run);
            let (a, b) = (load(ptr), load(ptr.add(4)));
            let (mut x, mut y) = (_mm256_permute2x128_si256::<0x20>(a, b), _mm256_permute2x128_si256::<0x31>(a, b));
            c.forward(&mut x, &mut y, lane_twiddles::<true>(table, n / 4 + run));
            let (mut u, mut v) = (_mm256_unpacklo_epi64(x, y), _mm256_unpackhi_epi64(x, y));
            c.forward(&mut u, &mut v, lane_twiddles::<false>(table, n / 2 + 2 * run));
            let (low, high) = (_mm256_unpacklo_epi64(u, v), _mm256_unpackhi_epi64(u, v));
            store(ptr, c.forward_output::<STRICT>(_mm256_permute2x128_si256::<0x20>(low, high)));
            store(ptr.add(4), c.forward_output::<STRICT>(_mm256_permute2x128_si256::<0x31>(low, high)));
        }
    }
}

/// Inverse transform in place (bit-reversed in, natural out, including `1/n` through
/// `n_inv = (n⁻¹, companion)` and `last = (ψ^{-n/2}·n⁻¹, companion)`). Input in `[0, 2q)`;
/// output in `[0, q)` when `STRICT`, else `[0, 2q)`. Any `q < 2^62`.
///
/// # Safety
/// `values.len()` is a power of two `>= 8`, the tables have `values.len()` entries and the
/// CPU supports AVX2.
#[target_feature(enable = "avx2")]
pub(super) unsafe fn inverse<const STRICT: bool>(
    values: &mut [u64],
    table: &Twiddles,
    n_inv: (u64, u64),
    last: (u64, u64),
    q: u64,
) {
    let n = values.len();
    debug_assert!(n.is_power_of_two() && n >= 8 && table.value.len() == n);
    let c = Constants { q: splat(q), two_q: splat(2 * q) };
    let data = values.as_mut_ptr();
    for run in (0..n / 4).step_by(2) {
        // SAFETY: runs `run`, `run + 1` cover [4·run, 4·run + 8) ⊂ [0, n); twiddles below n.
        unsafe {
            let ptr = data.add(4 * run);
            let (a, b) = (load(ptr), load(ptr.add(4)));
            let (low, high) = (_mm256_permute2x128_si256::<0x20>(a, b), _mm256_permute2x128_si256::<0x31>(a, b));
            let (mut u, mut v) = (_mm256_unpacklo_epi64(low, high), _mm256_unpackhi_epi64(low, high));
            c.inverse(&mut u, &mut v, lane_twiddles::<false>(table, n / 2 + 2 * run));
            let (mut x, mut y) = (_mm256_unpacklo_epi64(u, v), _mm256_unpackhi_epi64(u, v));
            c.inverse(&mut x, &mut y, lane_twiddles::<true>(table, n / 4 + run));
            store(ptr, _mm256_permute2x128_si256::<0x20>(x, y));
            store(ptr.add(4), _mm256_permute2x128_si256::<0x31>(x, y));
        }
    }
    let (mut groups, mut half) = (n / 8, 4usize);
    while groups > 1 {
        // SAFETY: groups·2·half = n values; twiddle indices below 2·groups <= n.
        unsafe { radix2_stage::<false>(data, table, &c, groups, half) };
        (groups, half) = (groups / 2, half * 2);
    }
    let scale = Twiddle { value: splat(n_inv.0), shoup: splat(n_inv.1), shoup_hi: splat(n_inv.1 >> 32) };
    let last = Twiddle { value: splat(last.0), shoup: splat(last.1), shoup_hi: splat(last.1 >> 32) };
    for j in (0..half).step_by(4) {
        // SAFETY: half = n/2, so both vectors lie in the array.
        unsafe {
            let (x_ptr, y_ptr) = (data.add(j), data.add(half + j));
            let (x, y) = (load(x_ptr), load(y_ptr));
            let sum = _mm256_add_epi64(x, y);
            let difference = _mm256_sub_epi64(_mm256_add_epi64(x, c.two_q), y);
            store(x_ptr, c.inverse_output::<STRICT>(c.product(sum, scale)));
            store(y_ptr, c.inverse_output::<STRICT>(c.product(difference, last)));
        }
    }
}
