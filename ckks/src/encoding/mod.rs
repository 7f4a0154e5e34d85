//! Encoding: the canonical embedding via the special FFT.

mod complex;
mod encoder;
mod special_fft;

pub use complex::Complex;
pub use encoder::Encoder;
pub(crate) use encoder::rounded_integer;
pub use special_fft::SpecialFft;
