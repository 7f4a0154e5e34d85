//! A small per-thread pool of large `u64` buffers for polynomial storage.
//!
//! Ciphertext-sized allocations (hundreds of KiB to MiB) are freed and re-requested many times
//! per homomorphic operation. Returned to the allocator, they are often unmapped and mapped
//! again, and the page faults cost as much as an NTT. Polynomials therefore take their storage
//! from this pool and give it back on drop. The pool is per thread (no locking), keeps only
//! buffers of at least [`MIN_POOLED_LEN`] words, and at most [`MAX_POOLED_BYTES`] per thread.

use std::cell::RefCell;

/// Buffers shorter than this (in `u64` words, 128 KiB) go straight back to the allocator.
pub(crate) const MIN_POOLED_LEN: usize = 1 << 14;
/// Upper bound on the bytes kept by one thread's pool.
pub(crate) const MAX_POOLED_BYTES: usize = 256 << 20;

thread_local! {
    static POOL: RefCell<Vec<Vec<u64>>> = const { RefCell::new(Vec::new()) };
}

fn take_with_capacity(len: usize) -> Option<Vec<u64>> {
    if len < MIN_POOLED_LEN {
        return None;
    }
    // `try_with`: during thread teardown the pool may already be gone; then allocate normally.
    POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        // Best fit: the smallest buffer that is large enough.
        let index = pool
            .iter()
            .enumerate()
            .filter(|(_, buffer)| buffer.capacity() >= len)
            .min_by_key(|(_, buffer)| buffer.capacity())
            .map(|(i, _)| i)?;
        Some(pool.swap_remove(index))
    })
    .ok()
    .flatten()
}

/// A buffer of `len` zeros.
pub(crate) fn take_zeroed(len: usize) -> Vec<u64> {
    match take_with_capacity(len) {
        Some(mut buffer) => {
            buffer.clear();
            buffer.resize(len, 0);
            buffer
        }
        None => vec![0; len],
    }
}

/// A buffer of `len` words with unspecified contents (a recycled buffer's old values, zeros
/// beyond them), for callers that overwrite every word: no pass over the memory to clear it.
pub(crate) fn take_for_overwrite(len: usize) -> Vec<u64> {
    match take_with_capacity(len) {
        Some(mut buffer) => {
            // Truncates, or extends with zeros only past the recycled buffer's old length.
            buffer.resize(len, 0);
            buffer
        }
        None => vec![0; len],
    }
}

/// A buffer holding a copy of `values`.
pub(crate) fn take_copy(values: &[u64]) -> Vec<u64> {
    match take_with_capacity(values.len()) {
        Some(mut buffer) => {
            buffer.clear();
            buffer.extend_from_slice(values);
            buffer
        }
        None => values.to_vec(),
    }
}

/// Gives a buffer back (kept if large and the pool has room, else freed). Contents are not
/// cleared here: callers holding secrets zeroize before dropping, and every `take_*` overwrites.
pub(crate) fn recycle(buffer: Vec<u64>) {
    if buffer.capacity() < MIN_POOLED_LEN {
        return;
    }
    let _ = POOL.try_with(|pool| {
        let mut pool = pool.borrow_mut();
        let pooled: usize = pool.iter().map(|b| b.capacity() * 8).sum();
        if pooled + buffer.capacity() * 8 <= MAX_POOLED_BYTES {
            pool.push(buffer);
        }
    });
}

/// A pooled scratch buffer, given back to the pool when dropped.
#[derive(Debug)]
pub(crate) struct Scratch(Vec<u64>);

impl Scratch {
    /// `len` zeros.
    pub(crate) fn zeroed(len: usize) -> Self {
        Self(take_zeroed(len))
    }
    /// A copy of `values`.
    pub(crate) fn copy_of(values: &[u64]) -> Self {
        Self(take_copy(values))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        recycle(std::mem::take(&mut self.0));
    }
}

impl std::ops::Deref for Scratch {
    type Target = [u64];
    fn deref(&self) -> &[u64] {
        &self.0
    }
}

impl std::ops::DerefMut for Scratch {
    fn deref_mut(&mut self) -> &mut [u64] {
        &mut self.0
    }
}

impl zeroize::Zeroize for Scratch {
    fn zeroize(&mut self) {
        self.0.iter_mut().for_each(zeroize::Zeroize::zeroize);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn recycled_buffers_come_back_zeroed_or_copied() {
        let len = MIN_POOLED_LEN + 3;
        let mut dirty = take_zeroed(len);
        dirty.iter_mut().for_each(|x| *x = 7);
        let capacity = dirty.capacity();
        recycle(dirty);
        let clean = take_zeroed(len - 1);
        assert_eq!(clean.capacity(), capacity, "the pooled buffer is reused");
        assert!(clean.iter().all(|&x| x == 0) && clean.len() == len - 1);
        recycle(clean);
        let values: Vec<u64> = (0..len as u64).collect();
        assert_eq!(*take_copy(&values), *values);
        // Small buffers are not pooled.
        recycle(vec![1; 8]);
        assert_eq!(take_zeroed(8), vec![0; 8]);
        let scratch = Scratch::copy_of(&values);
        assert_eq!(scratch[5], 5);
    }
}
