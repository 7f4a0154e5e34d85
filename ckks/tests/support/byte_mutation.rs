//! Random edits of byte strings for the loaders' property tests (shared by `spencnn-ckks`'s
//! serialization tests and `spencnn`'s wire tests, which include this file by path).

use proptest::prelude::*;

/// One random edit of a byte string.
#[derive(Debug, Clone)]
pub enum Mutation {
    /// Overwrite a byte.
    Set(usize, u8),
    /// Flip one bit of a byte.
    Flip(usize, u8),
    /// Insert a byte.
    Insert(usize, u8),
    /// Remove a byte.
    Remove(usize),
    /// Cut the string.
    Truncate(usize),
}

/// Any [`Mutation`] (positions are reduced modulo the length when applied).
pub fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Set(i, b)),
        (any::<usize>(), 0u8..8).prop_map(|(i, bit)| Mutation::Flip(i, bit)),
        (any::<usize>(), any::<u8>()).prop_map(|(i, b)| Mutation::Insert(i, b)),
        any::<usize>().prop_map(Mutation::Remove),
        any::<usize>().prop_map(Mutation::Truncate),
    ]
}

/// Applies `m` to `bytes`; set, flip, insert and remove land in the first `window` bytes
/// (`usize::MAX`: anywhere), truncation anywhere.
pub fn apply(bytes: &mut Vec<u8>, m: &Mutation, window: usize) {
    let len = bytes.len().min(window).max(1);
    match *m {
        Mutation::Set(i, b) if !bytes.is_empty() => bytes[i % len] = b,
        Mutation::Flip(i, bit) if !bytes.is_empty() => bytes[i % len] ^= 1 << bit,
        Mutation::Insert(i, b) => bytes.insert(i % (len + 1).min(bytes.len() + 1), b),
        Mutation::Remove(i) if !bytes.is_empty() => drop(bytes.remove(i % len)),
        Mutation::Truncate(i) => bytes.truncate(i % bytes.len().max(1)),
        _ => {}
    }
}
