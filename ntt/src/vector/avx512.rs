//! AVX-512 element-wise kernels (eight lanes; the tail of a slice runs on the scalar twins).
//! Ranges as in `vector/mod.rs`: inputs reduced unless stated, outputs reduced.

use std::arch::x86_64::*;

use super::scalar;
use crate::modulus::Modulus;
use crate::simd::avx512::{ShoupConstant, load, mul_shoup_approx, mul_wide, reduce_once, reduce_u64, splat, store};

/// `2^bits mod q` with its 64-bit Shoup companion.
fn power_of_two(bits: u32, modulus: &Modulus) -> (u64, u64) {
    let value = modulus.reduce_u128(1u128 << bits);
    (value, modulus.shoup(value))
}

/// Constants to reduce a `u64` or a two-word value modulo `q`.
#[derive(Clone, Copy)]
struct Reducer {
    q: __m512i,
    two_q: __m512i,
    one_shoup: __m512i,
    one_shoup_hi: __m512i,
    /// `2^64 mod q` (or `2^52 mod q` for IFMA limbs) with companions.
    word: ShoupConstant,
}

impl Reducer {
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    fn new(modulus: &Modulus, word_bits: u32) -> Self {
        let q = modulus.value();
        let one_shoup = modulus.shoup(1);
        let (word, word_shoup) = power_of_two(word_bits, modulus);
        Self {
            q: splat(q),
            two_q: splat(2 * q),
            one_shoup: splat(one_shoup),
            one_shoup_hi: splat(one_shoup >> 32),
            word: ShoupConstant::splat(word, word_shoup),
        }
    }

    /// `high·2^word_bits + low mod q` for any `high`, `low < 2^64`; output reduced.
    #[inline]
    #[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
    fn reduce_two_words(&self, high: __m512i, low: __m512i) -> __m512i {
        let high = reduce_once(mul_shoup_approx(high, self.word, self.q), self.two_q);
        let low = reduce_once(reduce_u64(low, self.one_shoup, self.one_shoup_hi, self.q), self.two_q);
        let sum = _mm512_add_epi64(high, low);
        reduce_once(reduce_once(sum, self.two_q), self.q)
    }
}

/// Applies `f` to the full vectors of `a` (and the matching vectors of `b`), returning the
/// length of that prefix.
///
/// # Safety
/// `b.len() >= a.len()`; `f` is an AVX-512 function the CPU supports.
#[inline]
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
unsafe fn zip_vectors(a: &mut [u64], b: &[u64], mut f: impl FnMut(__m512i, __m512i) -> __m512i) -> usize {
    let body = a.len() / 8 * 8;
    for j in (0..body).step_by(8) {
        // SAFETY: j + 8 <= body <= a.len() <= b.len().
        unsafe { store(a.as_mut_ptr().add(j), f(load(a.as_ptr().add(j)), load(b.as_ptr().add(j)))) };
    }
    body
}

/// `a + b mod q`.
///
/// # Safety
/// Equal lengths; the CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn add_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) {
    let q = splat(modulus.value());
    // SAFETY: equal lengths (caller).
    let body = unsafe { zip_vectors(a, b, |x, y| reduce_once(_mm512_add_epi64(x, y), q)) };
    scalar::add_assign(&mut a[body..], &b[body..], modulus);
}

/// `a − b mod q`.
///
/// # Safety
/// Equal lengths; the CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn sub_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) {
    let q = splat(modulus.value());
    // x − y wraps when x < y; adding q then gives the smaller, correct value.
    let sub = |x, y| {
        let d = _mm512_sub_epi64(x, y);
        _mm512_min_epu64(d, _mm512_add_epi64(d, q))
    };
    // SAFETY: equal lengths (caller).
    let body = unsafe { zip_vectors(a, b, sub) };
    scalar::sub_assign(&mut a[body..], &b[body..], modulus);
}

/// `−a mod q`.
///
/// # Safety
/// The CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn neg_assign(a: &mut [u64], modulus: &Modulus) {
    let q = splat(modulus.value());
    let body = a.len() / 8 * 8;
    for j in (0..body).step_by(8) {
        // SAFETY: j + 8 <= a.len(). q − 0 = q maps back to 0.
        unsafe {
            let ptr = a.as_mut_ptr().add(j);
            store(ptr, reduce_once(_mm512_sub_epi64(q, load(ptr)), q));
        }
    }
    scalar::neg_assign(&mut a[body..], modulus);
}

/// `a·b mod q` from the exact 128-bit product (or, for `q < 2^50` on IFMA CPUs, from the
/// 104-bit product in 52-bit limbs, see [`mul_assign_ifma`]).
///
/// # Safety
/// Equal lengths; the CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn mul_assign(a: &mut [u64], b: &[u64], modulus: &Modulus) {
    if modulus.value() < IFMA_MAC_LIMIT && std::arch::is_x86_feature_detected!("avx512ifma") {
        // SAFETY: IFMA was just detected; lengths as the caller guarantees.
        unsafe { mul_assign_ifma(a, b, modulus) };
        return;
    }
    let reducer = Reducer::new(modulus, 64);
    let mul = |x, y| {
        let (high, low) = mul_wide(x, y);
        reducer.reduce_two_words(high, low)
    };
    // SAFETY: equal lengths (caller).
    let body = unsafe { zip_vectors(a, b, mul) };
    scalar::mul_assign(&mut a[body..], &b[body..], modulus);
}

/// `a·b mod q` for `q < 2^50`: the product `h·2^52 + l` comes from `vpmadd52{hi,lo}uq`; `l` is
/// reduced to `[0, 2q)` by a 52-bit Shoup product by 1, `h·(2^52 mod q)` is added with a
/// 52-bit Shoup product folded into the same accumulator (the sum stays below `4q < 2^52`, so
/// the `mod 2^52` arithmetic is exact), and two conditional subtractions finish.
///
/// # Safety
/// Equal lengths; `q < 2^50`; inputs reduced; the CPU supports AVX-512 F/DQ/BW/VL + IFMA.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
unsafe fn mul_assign_ifma(a: &mut [u64], b: &[u64], modulus: &Modulus) {
    let q_value = modulus.value();
    let shoup52 = |w: u64| ((u128::from(w) << 52) / u128::from(q_value)) as u64;
    let word = modulus.reduce_u128(1 << 52);
    let (q, two_q) = (splat(q_value), splat(2 * q_value));
    let (minus_q, mask) = (splat((1 << 52) - q_value), splat((1 << 52) - 1));
    let (one_shoup, word_value, word_shoup) = (splat(shoup52(1)), splat(word), splat(shoup52(word)));
    let zero = _mm512_setzero_si512();
    let mul = |x, y| {
        let low = _mm512_madd52lo_epu64(zero, x, y);
        let high = _mm512_madd52hi_epu64(zero, x, y);
        let low_reduced =
            _mm512_and_si512(_mm512_madd52lo_epu64(low, _mm512_madd52hi_epu64(zero, one_shoup, low), minus_q), mask);
        let quotient = _mm512_madd52hi_epu64(zero, word_shoup, high);
        let sum = _mm512_madd52lo_epu64(_mm512_madd52lo_epu64(low_reduced, word_value, high), quotient, minus_q);
        reduce_once(reduce_once(_mm512_and_si512(sum, mask), two_q), q)
    };
    // SAFETY: equal lengths (caller).
    let body = unsafe { zip_vectors(a, b, mul) };
    scalar::mul_assign(&mut a[body..], &b[body..], modulus);
}

/// `a·w mod q` with Shoup companions; `a` any `u64`.
///
/// # Safety
/// Equal lengths; the CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn mul_shoup_assign(a: &mut [u64], w: &[u64], w_shoup: &[u64], modulus: &Modulus) {
    let (q, two_q) = (splat(modulus.value()), splat(2 * modulus.value()));
    let body = a.len() / 8 * 8;
    for j in (0..body).step_by(8) {
        // SAFETY: j + 8 <= a.len() = w.len() = w_shoup.len().
        unsafe {
            let shoup = load(w_shoup.as_ptr().add(j));
            let constant =
                ShoupConstant { value: load(w.as_ptr().add(j)), shoup, shoup_hi: _mm512_srli_epi64::<32>(shoup) };
            let ptr = a.as_mut_ptr().add(j);
            let product = mul_shoup_approx(load(ptr), constant, q);
            store(ptr, reduce_once(reduce_once(product, two_q), q));
        }
    }
    scalar::mul_shoup_assign(&mut a[body..], &w[body..], &w_shoup[body..], modulus);
}

/// `a·c mod q` for a reduced constant with companion; `a` any `u64`.
///
/// # Safety
/// The CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn mul_scalar_assign(a: &mut [u64], c: u64, c_shoup: u64, modulus: &Modulus) {
    let (q, two_q) = (splat(modulus.value()), splat(2 * modulus.value()));
    let constant = ShoupConstant::splat(c, c_shoup);
    let body = a.len() / 8 * 8;
    for j in (0..body).step_by(8) {
        // SAFETY: j + 8 <= a.len().
        unsafe {
            let ptr = a.as_mut_ptr().add(j);
            store(ptr, reduce_once(reduce_once(mul_shoup_approx(load(ptr), constant, q), two_q), q));
        }
    }
    scalar::mul_scalar_assign(&mut a[body..], c, c_shoup, modulus);
}

/// Multiply-accumulate with exact 128-bit sums (`(high, low)` words with carries), reduced
/// once per [`scalar::terms_per_reduction`] products. With IFMA and `q < 2^50` the sums are
/// kept in 52-bit limbs by `vpmadd52{lo,hi}uq` instead (see [`multiply_accumulate_ifma`]).
///
/// # Safety
/// Every slice has `acc.len()` entries; the CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn multiply_accumulate(acc: &mut [u64], pairs: &[(&[u64], &[u64])], modulus: &Modulus) {
    if modulus.value() < IFMA_MAC_LIMIT && std::arch::is_x86_feature_detected!("avx512ifma") {
        // SAFETY: IFMA was just detected; lengths as the caller guarantees.
        unsafe { multiply_accumulate_ifma(acc, pairs, modulus) };
        return;
    }
    let reducer = Reducer::new(modulus, 64);
    let terms = scalar::terms_per_reduction(modulus);
    let ones = splat(1);
    // Two vectors per iteration for independent carry chains.
    let body = acc.len() / 16 * 16;
    for j in (0..body).step_by(16) {
        let columns = [j, j + 8];
        // SAFETY: j + 16 <= acc.len() = every a_i.len() = every b_i.len().
        unsafe {
            let mut value = columns.map(|c| load(acc.as_ptr().add(c)));
            for chunk in pairs.chunks(terms) {
                let mut high = [_mm512_setzero_si512(); 2];
                let mut low = value;
                for (a, b) in chunk {
                    for (k, &c) in columns.iter().enumerate() {
                        let (h, l) = mul_wide(load(a.as_ptr().add(c)), load(b.as_ptr().add(c)));
                        low[k] = _mm512_add_epi64(low[k], l);
                        let carry = _mm512_cmplt_epu64_mask(low[k], l);
                        let sum = _mm512_add_epi64(high[k], h);
                        high[k] = _mm512_mask_add_epi64(sum, carry, sum, ones);
                    }
                }
                value = std::array::from_fn(|k| reducer.reduce_two_words(high[k], low[k]));
            }
            for (k, &c) in columns.iter().enumerate() {
                store(acc.as_mut_ptr().add(c), value[k]);
            }
        }
    }
    scalar::multiply_accumulate(&mut acc[body..], pairs, modulus, body);
}

/// Moduli below this bound use the IFMA multiply-accumulate (when the CPU has IFMA).
const IFMA_MAC_LIMIT: u64 = 1 << 50;

/// Products summed between two reductions in the IFMA multiply-accumulate: the low limb sum
/// stays below `q + 4000·2^52 < 2^64`.
const IFMA_TERMS_PER_REDUCTION: usize = 4000;

/// Multiply-accumulate for `q < 2^50`: `vpmadd52luq`/`vpmadd52huq` add the low and high 52-bit
/// halves of each product into two 64-bit accumulators (two instructions per product), and the
/// pair `high·2^52 + low` is reduced once per [`IFMA_TERMS_PER_REDUCTION`] products.
///
/// # Safety
/// Every slice has `acc.len()` entries; `q < 2^50`; the CPU supports AVX-512 F/DQ/BW/VL + IFMA.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl,avx512ifma")]
unsafe fn multiply_accumulate_ifma(acc: &mut [u64], pairs: &[(&[u64], &[u64])], modulus: &Modulus) {
    /// Values per block: the block's accumulators stay in L1 while every term streams through
    /// it, so each input is read as one contiguous run per block.
    const BLOCK: usize = 512;
    let reducer = Reducer::new(modulus, 52);
    let zero = _mm512_setzero_si512();
    let mut low = [zero; BLOCK / 8];
    let mut high = [zero; BLOCK / 8];
    let body = acc.len() / 8 * 8;
    for start in (0..body).step_by(BLOCK) {
        let vectors = (body - start).min(BLOCK) / 8;
        // SAFETY: start + 8·vectors <= body <= acc.len() = every a_i.len() = every b_i.len();
        // inputs are below q < 2^52.
        unsafe {
            for (v, slot) in low[..vectors].iter_mut().enumerate() {
                *slot = load(acc.as_ptr().add(start + 8 * v));
            }
            for chunk in pairs.chunks(IFMA_TERMS_PER_REDUCTION) {
                high[..vectors].fill(zero);
                for (a, b) in chunk {
                    let (a, b) = (a.as_ptr().add(start), b.as_ptr().add(start));
                    for v in 0..vectors {
                        let (x, y) = (load(a.add(8 * v)), load(b.add(8 * v)));
                        low[v] = _mm512_madd52lo_epu64(low[v], x, y);
                        high[v] = _mm512_madd52hi_epu64(high[v], x, y);
                    }
                }
                for (l, &h) in low[..vectors].iter_mut().zip(&high[..vectors]) {
                    *l = reducer.reduce_two_words(h, *l);
                }
            }
            for (v, &value) in low[..vectors].iter().enumerate() {
                store(acc.as_mut_ptr().add(start + 8 * v), value);
            }
        }
    }
    scalar::multiply_accumulate(&mut acc[body..], pairs, modulus, body);
}

/// Multiply-accumulate with fixed operands: each term is an approximate Shoup product reduced
/// to `[0, 2q)`, summed in 64 bits and reduced once per `floor((2^64 − q)/(2q))` terms.
///
/// # Safety
/// Every slice has `acc.len()` entries; the CPU supports AVX-512 F/DQ/BW/VL.
#[target_feature(enable = "avx512f,avx512dq,avx512bw,avx512vl")]
pub(super) unsafe fn multiply_accumulate_shoup(acc: &mut [u64], terms: &[(&[u64], &[u64], &[u64])], modulus: &Modulus) {
    let q_value = modulus.value();
    let reducer = Reducer::new(modulus, 64);
    let per_reduction = (((u64::MAX - q_value) / (2 * q_value)) as usize).max(1);
    /// Vectors per iteration: four independent sums in registers.
    const COLUMNS: usize = 4;
    let body = acc.len() / (8 * COLUMNS) * (8 * COLUMNS);
    for j in (0..body).step_by(8 * COLUMNS) {
        // SAFETY: j + 8·COLUMNS <= acc.len() = every slice length.
        unsafe {
            let mut sum: [__m512i; COLUMNS] = std::array::from_fn(|c| load(acc.as_ptr().add(j + 8 * c)));
            for chunk in terms.chunks(per_reduction) {
                for (a, w, w_shoup) in chunk {
                    for (c, s) in sum.iter_mut().enumerate() {
                        let k = j + 8 * c;
                        let shoup = load(w_shoup.as_ptr().add(k));
                        let constant = ShoupConstant {
                            value: load(w.as_ptr().add(k)),
                            shoup,
                            shoup_hi: _mm512_srli_epi64::<32>(shoup),
                        };
                        let product = mul_shoup_approx(load(a.as_ptr().add(k)), constant, reducer.q);
                        *s = _mm512_add_epi64(*s, reduce_once(product, reducer.two_q));
                    }
                }
                for s in sum.iter_mut() {
                    let reduced = reduce_u64(*s, reducer.one_shoup, reducer.one_shoup_hi, reducer.q);
                    *s = reduce_once(reduce_once(reduced, reducer.two_q), reducer.q);
                }
            }
            for (c, &s) in sum.iter().enumerate() {
                store(acc.as_mut_ptr().add(j + 8 * c), s);
            }
        }
    }
    scalar::multiply_accumulate_shoup(&mut acc[body..], terms, modulus, body);
}
