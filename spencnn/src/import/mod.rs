//! Bringing models from other tools: ONNX import (and export), see [`onnx`].

pub mod onnx;
