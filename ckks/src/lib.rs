//! `spencnn-ckks`: leveled RNS-CKKS homomorphic encryption built on `spencnn-ntt`.
