//! AVX2 lane arithmetic (four `u64` lanes).
