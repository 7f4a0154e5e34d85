//! `spencnn-ckks`: leveled RNS-CKKS homomorphic encryption built on `spencnn-ntt`.
//!
//! Layers (each uses only the ones above it):
//! * [`params`] — validated parameters and presets (128-bit bound enforced);
//! * [`ring`] — RNS polynomials with their representation in the type, basis conversion,
//!   exact rescale and mod-down, CRT, samplers;
//! * [`rlwe`] — keys and hybrid key switching (decompose → inner product → mod-down);
//! * [`encoding`] — the canonical embedding (special FFT) and the [`Encoder`];
//! * [`scheme`] — plaintexts, ciphertexts, [`Encryptor`], [`Decryptor`];
//! * [`evaluator`] — homomorphic operations, hoisted rotations and the double-hoisted
//!   rotation sum; exact scale and level adjustment and the [`ManagedEvaluator`], which
//!   matches levels and scales and rescales by itself;
//! * [`circuits`] — polynomial evaluation (Chebyshev and monomial bases, baby-step giant-step,
//!   depth-optimal, scale-exact) and ready approximations; linear transformations
//!   (baby-step giant-step diagonal products, hoisted and double-hoisted); bootstrapping.
//!
//! ```
//! use spencnn_ckks::*;
//! let params = Parameters::builder().log_n(10).q_bits(&[50, 40]).p_bits(&[50])
//!     .insecure_for_testing_only().build().unwrap();
//! let ctx = Context::new(params).unwrap();
//! let mut keygen = KeyGenerator::from_seed(&ctx, [1; 32]);
//! let sk = keygen.secret_key();
//! let pk = keygen.public_key(&sk).unwrap();
//! let encoder = Encoder::new(&ctx);
//! let pt = encoder.encode_real(&[1.0, 2.0, 3.0], 4, 2, 2f64.powi(40)).unwrap();
//! let ct = Encryptor::from_seed(&ctx, [2; 32]).encrypt(&pt, &pk).unwrap();
//! let sum = Evaluator::new(&ctx).add(&ct, &ct).unwrap();
//! let out = encoder.decode_real(&Decryptor::new(&ctx).decrypt(&sum, &sk).unwrap()).unwrap();
//! assert!((out[2] - 6.0).abs() < 1e-6);
//! ```

pub mod circuits;
mod context;
pub mod encoding;
mod error;
pub mod evaluator;
pub mod params;
pub mod ring;
pub mod rlwe;
pub mod scheme;
pub mod serialization;

pub use context::Context;
pub use encoding::{Complex, Encoder};
pub use error::CkksError;
pub use evaluator::{
    Evaluator, ExtendedCiphertext, HoistedCiphertext, ManagedEvaluator, RotationAccumulator, ScaleLadder,
};
pub use params::{Parameters, ParametersBuilder, Preset, SecretDistribution};
pub use rlwe::{GaloisKeys, KeyGenerator, PublicKey, RelinKey, SecretKey};
pub use scheme::{Ciphertext, Decryptor, Encryptor, NoiseFlooding, Plaintext, PublicDecoding, PublicDecryptor};
pub use serialization::{ObjectKind, SerializationError};
