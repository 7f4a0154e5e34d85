//! The CKKS scheme objects: ciphertexts, encryption, and decryption (with the encoder, for
//! results released to others).

mod ciphertext;
mod decryptor;
mod encryptor;
mod public_decryption;

pub use ciphertext::Ciphertext;
pub use decryptor::Decryptor;
pub use encryptor::Encryptor;
pub use public_decryption::{MAX_LOG2_FLOODING, MAX_PRECISION_BITS, NoiseFlooding, PublicDecoding, PublicDecryptor};
