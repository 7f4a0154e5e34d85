//! Run-time selection of the instruction set used by the kernels.

use crate::error::NttError;

/// An instruction-set tier for which the crate has kernels.
///
/// Plans and kernels pick [`Isa::detect`] by default; tests force each tier to compare it with
/// [`Isa::Scalar`].
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Isa {
    /// Portable Rust, no SIMD intrinsics.
    Scalar,
    /// x86-64 AVX2 (256-bit vectors).
    Avx2,
    /// x86-64 AVX-512 F + DQ + BW + VL (512-bit vectors).
    Avx512,
}

impl Isa {
    /// Every tier, from the most portable to the widest.
    pub const ALL: [Isa; 3] = [Isa::Scalar, Isa::Avx2, Isa::Avx512];

    /// The widest tier this CPU supports. The environment variable `SPENCNN_ISA`
    /// (`scalar`, `avx2`, `avx512`) lowers it, e.g. to benchmark one tier on its own.
    pub fn detect() -> Isa {
        let widest = Self::ALL.into_iter().rev().find(|isa| isa.is_available()).unwrap_or(Isa::Scalar);
        match std::env::var("SPENCNN_ISA").ok().and_then(|name| Self::from_name(&name)) {
            Some(requested) if requested <= widest => requested,
            _ => widest,
        }
    }

    /// Parses `scalar`, `avx2` or `avx512`.
    pub fn from_name(name: &str) -> Option<Isa> {
        match name.trim().to_ascii_lowercase().as_str() {
            "scalar" => Some(Isa::Scalar),
            "avx2" => Some(Isa::Avx2),
            "avx512" => Some(Isa::Avx512),
            _ => None,
        }
    }

    /// Lower-case name of the tier.
    pub const fn name(self) -> &'static str {
        match self {
            Isa::Scalar => "scalar",
            Isa::Avx2 => "avx2",
            Isa::Avx512 => "avx512",
        }
    }

    /// Whether this CPU can run the tier's kernels.
    pub fn is_available(self) -> bool {
        match self {
            Isa::Scalar => true,
            #[cfg(target_arch = "x86_64")]
            Isa::Avx2 => std::arch::is_x86_feature_detected!("avx2"),
            #[cfg(target_arch = "x86_64")]
            Isa::Avx512 => {
                std::arch::is_x86_feature_detected!("avx512f")
                    && std::arch::is_x86_feature_detected!("avx512dq")
                    && std::arch::is_x86_feature_detected!("avx512bw")
                    && std::arch::is_x86_feature_detected!("avx512vl")
            }
            #[cfg(not(target_arch = "x86_64"))]
            _ => false,
        }
    }

    /// `Ok(self)` when available, else [`NttError::IsaUnavailable`].
    pub fn require(self) -> Result<Isa, NttError> {
        if self.is_available() { Ok(self) } else { Err(NttError::IsaUnavailable { isa: self.name() }) }
    }
}
