//! Cache-line-aligned `u64` tables: a 512-bit load from an unaligned address touches two cache
//! lines, so the twiddle tables the AVX-512 kernels read start on a 64-byte boundary.

use std::fmt;
use std::ops::Deref;

/// Values per cache line.
const LINE: usize = 8;

/// A read-only `u64` table whose first element is 64-byte aligned.
pub(crate) struct AlignedTable {
    storage: Vec<u64>,
    offset: usize,
    len: usize,
}

impl AlignedTable {
    /// Copies `values` into a fresh aligned table.
    pub(crate) fn new(values: &[u64]) -> Self {
        let mut storage = vec![0u64; values.len() + LINE - 1];
        let misalignment = (storage.as_ptr() as usize / std::mem::size_of::<u64>()) % LINE;
        let offset = (LINE - misalignment) % LINE;
        storage[offset..offset + values.len()].copy_from_slice(values);
        Self { storage, offset, len: values.len() }
    }
}

impl Deref for AlignedTable {
    type Target = [u64];

    fn deref(&self) -> &[u64] {
        &self.storage[self.offset..self.offset + self.len]
    }
}

impl Clone for AlignedTable {
    /// A clone lives at another address, so it is re-aligned rather than copied verbatim.
    fn clone(&self) -> Self {
        Self::new(self)
    }
}

impl fmt::Debug for AlignedTable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("AlignedTable").field("len", &self.len).finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_and_their_clones_are_aligned_and_equal() {
        for len in [0usize, 1, 7, 8, 100] {
            let values: Vec<u64> = (0..len as u64).collect();
            let table = AlignedTable::new(&values);
            let copy = table.clone();
            for t in [&table, &copy] {
                assert_eq!(&t[..], &values[..]);
                assert_eq!(t.as_ptr() as usize % 64, 0);
            }
        }
    }
}
