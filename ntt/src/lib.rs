//! `spencnn-ntt`: the arithmetic layer of spencnn.
//!
//! Word-size modular arithmetic, NTT-friendly prime generation, negacyclic number-theoretic
//! transforms, Galois automorphisms and element-wise vector kernels, with scalar, AVX2 and
//! AVX-512 implementations selected at run time.
