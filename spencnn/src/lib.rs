//! `spencnn`: encrypted CNN inference with HE-group convolution, group-interleaved encoding
//! and plaintext-aligned sub-block pruning (SpENCNN, ICML 2023).
