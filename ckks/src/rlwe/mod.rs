//! The RLWE layer: the [`Context`] of a parameter set, keys, and hybrid key switching split
//! into named steps: [`Decomposition::new`] (decompose into digits and extend to `Q_ℓ·P`),
//! [`key_switch_extended`] (inner product with the key), and [`mod_down`] (divide by `P`).
//! [`key_switch`] runs the three; hoisting is "decompose once, call [`key_switch_hoisted`] or
//! [`automorphism_hoisted`] for many keys"; [`automorphism_hoisted_extended`] stops before the
//! mod-down, so that a sum of many rotated terms needs one mod-down (double hoisting).

mod context;
mod decomposition;
mod evaluation_keys;
mod key_set;
mod key_set_generation;
mod key_switch;
mod keygen;
mod keys;
mod switching_key;
#[cfg(test)]
mod tests;

pub use context::Context;
pub use decomposition::Decomposition;
pub use evaluation_keys::{GaloisKey, GaloisKeys, RelinKey, galois_element_for_conjugation, galois_element_for_step};
pub use key_set::{GaloisKeySet, KeyGenCost, KeyGenProgress, KeySetEstimate};
pub use key_switch::{
    automorphism_hoisted, automorphism_hoisted_extended, key_switch, key_switch_extended, key_switch_hoisted,
    lift_to_extended, mod_down,
};
pub use keygen::{Conjugation, KeyGenerator};
pub use keys::{PublicKey, SecretKey};
pub use switching_key::{KeyStorage, SwitchingKey};
