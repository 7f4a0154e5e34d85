//! Encoding: the canonical embedding via the special FFT, and the [`Plaintext`]s it produces.

mod complex;
mod encoder;
mod plaintext;
mod special_fft;

pub use complex::Complex;
pub use encoder::{ENCODING_HEADROOM_BITS, Encoder, max_scaled_magnitude};
pub(crate) use encoder::{check_scaled_magnitude, rounded_integer};
pub use plaintext::Plaintext;
