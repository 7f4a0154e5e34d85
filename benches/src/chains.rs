//! The parameter sets of the benchmark binaries, by ring degree.

use spencnn_ckks::{CkksError, Parameters, Preset};

/// The parameters of ring degree `n`: the peers' chains at `N = 2^13, 2^14` (the presets) and,
/// at `N = 2^16`, the chain of the encrypted ResNet-20 (`Q = 54 + 39×34`, `P = 6×60`, dnum 4,
/// scale `2^34`), where keys are largest. `None` for other degrees.
pub fn params_for(n: usize) -> Option<Result<Parameters, CkksError>> {
    match n {
        8192 => Some(Preset::N8192Depth2.build()),
        16384 => Some(Preset::N16384Depth7.build()),
        65536 => {
            let mut q_bits = vec![54];
            q_bits.extend([34; 39]);
            Some(Parameters::builder().log_n(16).q_bits(&q_bits).p_bits(&[60; 6]).dnum(4).log_scale(34.0).build())
        }
        _ => None,
    }
}
