//! `spencnn-ckks`: leveled RNS-CKKS homomorphic encryption built on `spencnn-ntt`:
//! approximate arithmetic on encrypted vectors of real or complex numbers.
//!
//! ```
//! use spencnn_ckks::{Conjugation, Context, Decryptor, Encoder, Encryptor, Evaluator, KeyGenerator, Preset};
//!
//! // N = 8192, depth 2, scale 2^40, within the 128-bit bound.
//! let params = Preset::N8192Depth2.build()?;
//! let (slots, top, scale) = (params.max_slots(), params.max_level(), params.default_scale());
//! let ctx = Context::new(params)?;
//! let mut keygen = KeyGenerator::new(&ctx);
//! let sk = keygen.secret_key();
//! let pk = keygen.public_key(&sk)?;
//! let relin_key = keygen.relin_key(&sk)?;
//! let galois_keys = keygen.galois_keys(&sk, &[1], Conjugation::Exclude)?;
//!
//! let encoder = Encoder::new(&ctx);
//! let x: Vec<f64> = (0..slots).map(|i| (i % 7) as f64 * 0.125).collect();
//! let ct = Encryptor::new(&ctx).encrypt(&encoder.encode_real(&x, slots, top, scale)?, &pk)?;
//!
//! let eval = Evaluator::new(&ctx);
//! let squared = eval.rescale(&eval.square_relin(&ct, &relin_key)?)?; // one level used
//! let rotated = eval.rotate(&squared, 1, &galois_keys)?; // slot i receives slot i + 1
//! assert_eq!(rotated.level(), top - 1);
//!
//! let out = encoder.decode_real(&Decryptor::new(&ctx).decrypt(&rotated, &sk)?)?;
//! assert!((out[0] - x[1] * x[1]).abs() < 1e-5);
//! # Ok::<(), spencnn_ckks::CkksError>(())
//! ```
//!
//! Homomorphic encryption is arithmetic-bound: a dependent's debug build should optimise this
//! crate (an unoptimised build runs about 36 times slower):
//!
//! ```toml
//! [profile.dev.package."*"]
//! opt-level = 3
//! ```
//!
//! # Levels
//!
//! A ciphertext or plaintext at level `ℓ` is over the primes `q_0, …, q_ℓ` of the chain `Q`
//! (their product is written `Q_ℓ`); the level is the number of rescales left. A fresh
//! ciphertext of a chain of `L` primes is at level `L − 1` ([`Parameters::max_level`]), every
//! [`Evaluator::rescale`] lowers it by one, and level 0 (only `q_0`) cannot be rescaled
//! ([`CkksError::LevelOutOfRange`]). Every API that takes or returns a level counts this way:
//! the encoders, [`Evaluator::drop_to_level`], the levels of keys
//! ([`KeyGenerator::relin_key_at_level`]), errors, and the serialized objects.
//!
//! # Layers
//!
//! Each module uses only the ones listed before it:
//! * [`params`]: validated parameters and presets (128-bit bound enforced);
//! * [`ring`]: RNS polynomials with their representation in the type;
//! * [`rlwe`]: the [`Context`] (parameters with their precomputed NTT, rescale and
//!   key-switching tables), keys, and key switching as named steps (decompose, inner product
//!   with the key, mod-down), plain, hoisted, and before the mod-down for double hoisting;
//! * [`encoding`]: the canonical embedding, the [`Encoder`] and the [`Plaintext`]s it makes;
//! * [`scheme`]: [`Ciphertext`]s, [`Encryptor`], [`Decryptor`], and the [`PublicDecryptor`]
//!   for results released to others;
//! * [`evaluator`]: homomorphic operations, hoisted rotations and double-hoisted sums of
//!   rotated products; exact scale and level adjustment, and the [`ManagedEvaluator`], which
//!   matches levels and scales of its operands and rescales by itself;
//! * [`circuits`]: polynomial evaluation (Chebyshev and monomial bases, baby-step giant-step,
//!   depth-optimal, scale-exact) and ready approximations (sigmoid, GELU, 1/x, sqrt, sign,
//!   ReLU); linear transformations (baby-step giant-step diagonal matrix-vector products,
//!   hoisted and double-hoisted); bootstrapping;
//! * [`serialization`]: versioned binary formats of every object, beside the layers.
//!
//! Before deploying, read the
//! [security notes](https://github.com/spencnn/spencnn/blob/main/docs/SECURITY.md).

#![forbid(unsafe_code)]

pub mod circuits;
pub mod encoding;
mod error;
pub mod evaluator;
pub mod params;
pub mod ring;
pub mod rlwe;
pub mod scheme;
pub mod serialization;

/// The examples of the README, run as documentation tests.
#[cfg(doctest)]
#[doc = include_str!("../README.md")]
struct ReadmeDoctests;

pub use encoding::{Complex, Encoder, Plaintext};
pub use error::CkksError;
pub use evaluator::{
    Evaluator, ExtendedCiphertext, HoistedCiphertext, ManagedEvaluator, RotationAccumulator, ScaleLadder,
};
pub use params::{Parameters, ParametersBuilder, Preset, SecretDistribution};
pub use rlwe::{Conjugation, Context, GaloisKeys, KeyGenerator, KeyStorage, PublicKey, RelinKey, SecretKey};
pub use scheme::{Ciphertext, Decryptor, Encryptor, NoiseFlooding, PublicDecoding, PublicDecryptor};
pub use serialization::{ObjectKind, SerializationError, SerializedForm};
