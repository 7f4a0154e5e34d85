//! The CKKS scheme objects: plaintexts, ciphertexts, encryption and decryption.

mod decryptor;
mod encryptor;
mod plaintext;

pub use decryptor::Decryptor;
pub use encryptor::Encryptor;
pub use plaintext::{Ciphertext, Plaintext};
