//! Bit-reversal helpers for power-of-two sizes.

/// Reverses the low `bits` bits of `index` (`bits <= usize::BITS`).
#[inline]
pub fn bit_reverse(index: usize, bits: u32) -> usize {
    if bits == 0 { 0 } else { index.reverse_bits() >> (usize::BITS - bits) }
}

/// Permutes `values` (length a power of two) into bit-reversed order, in place.
pub fn bit_reverse_permute<T>(values: &mut [T]) {
    let n = values.len();
    debug_assert!(n.is_power_of_two());
    let bits = n.trailing_zeros();
    for i in 0..n {
        let j = bit_reverse(i, bits);
        if i < j {
            values.swap(i, j);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverses_bits() {
        assert_eq!(bit_reverse(0b0001, 4), 0b1000);
        assert_eq!(bit_reverse(0b0110, 4), 0b0110);
        assert_eq!(bit_reverse(5, 0), 0);
        let mut v: Vec<usize> = (0..8).collect();
        bit_reverse_permute(&mut v);
        assert_eq!(v, [0, 4, 2, 6, 1, 5, 3, 7]);
    }
}
