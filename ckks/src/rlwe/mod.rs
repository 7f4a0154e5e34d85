//! The RLWE layer: keys, and hybrid key switching split into reusable steps —
//! [`Decomposition`] (decompose into digits and extend to `Q·P`), [`SwitchingKey::inner_product`]
//! (inner product with the key), and the mod-down by `P` (`crate::ring::DivideRound`).
//! Hoisting is "decompose once, reuse for many keys".

mod context;
mod decomposition;
mod evaluation_keys;
mod keygen;
mod keys;
mod switching_key;

pub use context::Context;
pub use decomposition::{Decomposition, DecompositionTables};
pub use evaluation_keys::{GaloisKey, GaloisKeys, RelinKey, galois_element_for_conjugation, galois_element_for_step};
pub use keygen::KeyGenerator;
pub use keys::{PublicKey, SecretKey};
pub use switching_key::SwitchingKey;
