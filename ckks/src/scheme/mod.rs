//! The CKKS scheme objects: plaintexts, ciphertexts, encryption and decryption.

mod decryptor;
mod encryptor;
mod plaintext;
mod public_decryption;

pub use decryptor::Decryptor;
pub use encryptor::Encryptor;
pub use plaintext::{Ciphertext, Plaintext};
pub use public_decryption::{MAX_LOG2_FLOODING, MAX_PRECISION_BITS, NoiseFlooding, PublicDecoding, PublicDecryptor};
