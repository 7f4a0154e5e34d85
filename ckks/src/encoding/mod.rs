//! Encoding: the canonical embedding via the special FFT, and the [`Plaintext`]s it produces.

mod complex;
mod encoder;
mod plaintext;
mod special_fft;

pub use complex::Complex;
pub use encoder::Encoder;
pub(crate) use encoder::rounded_integer;
pub use plaintext::Plaintext;
