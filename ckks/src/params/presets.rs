//! Named parameter sets.

use super::builder::{Parameters, ParametersBuilder};
use crate::error::CkksError;

/// Named parameter sets within the 128-bit bound; see `docs/parameters.md` for how each `P`
/// and `dnum` was chosen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Preset {
    /// `N = 2^13`, `Q = 60 + 40 + 40` (depth 2), `P = 60`, `dnum = 3`, scale `2^40`;
    /// `log QP = 200 ≤ 218`. The benchmark configuration shared with SEAL.
    N8192Depth2,
    /// `N = 2^14`, `Q = 60 + 7×40` (depth 7), `P = 49 + 49`, `dnum = 4`, scale `2^40`;
    /// `log QP = 438 ≤ 438`. The benchmark configuration shared with SEAL and OpenFHE.
    N16384Depth7,
    /// `N = 2^15`, `Q = 60 + 16×40` (depth 16), `P = 3×60`, `dnum = 5`, scale `2^40`;
    /// `log QP = 880 ≤ 881`.
    N32768Depth16,
}

impl Preset {
    /// Every preset.
    pub const ALL: [Preset; 3] = [Preset::N8192Depth2, Preset::N16384Depth7, Preset::N32768Depth16];

    /// The builder of the preset, to adjust (e.g. the secret distribution) before building.
    pub fn builder(self) -> ParametersBuilder {
        let forty = |count: usize| std::iter::once(60).chain(std::iter::repeat_n(40, count)).collect::<Vec<u32>>();
        match self {
            Preset::N8192Depth2 => Parameters::builder().log_n(13).q_bits(&forty(2)).p_bits(&[60]).dnum(3),
            Preset::N16384Depth7 => Parameters::builder().log_n(14).q_bits(&forty(7)).p_bits(&[49, 49]).dnum(4),
            Preset::N32768Depth16 => Parameters::builder().log_n(15).q_bits(&forty(16)).p_bits(&[60, 60, 60]).dnum(5),
        }
        .log_scale(40.0)
    }

    /// Builds the preset's parameters (generating its primes).
    ///
    /// # Errors
    /// None in practice: presets are validated by the tests.
    pub fn build(self) -> Result<Parameters, CkksError> {
        self.builder().build()
    }
}
