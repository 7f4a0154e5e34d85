//! The benchmark matrix: a default small enough to finish in a few minutes on two cores, and
//! the full matrix behind the environment variable [`FULL_MATRIX_VARIABLE`].

use std::time::Duration;

use criterion::Criterion;
use spencnn_ckks::Preset;

/// Set to anything but `0` (e.g. `SPENCNN_BENCH_FULL=1 cargo bench -p spencnn-benches`) to run
/// every size and level with longer measurements.
pub const FULL_MATRIX_VARIABLE: &str = "SPENCNN_BENCH_FULL";

/// Whether the full matrix was asked for.
pub fn full() -> bool {
    std::env::var_os(FULL_MATRIX_VARIABLE).is_some_and(|value| value != "0")
}

/// log2 of the NTT ring degrees: `2^12` and `2^14` by default, [`crate::LOG_SIZES`] in full.
pub fn ntt_log_sizes() -> Vec<u32> {
    if full() { crate::LOG_SIZES.to_vec() } else { vec![12, 14] }
}

/// The CKKS presets: the two shared with the peer scripts by default, all of them in full.
pub fn ckks_presets() -> Vec<Preset> {
    if full() { Preset::ALL.to_vec() } else { vec![Preset::N8192Depth2, Preset::N16384Depth7] }
}

/// The levels timed for a chain whose top level is `top` (level ℓ holds ℓ + 1 Q primes): the top
/// level by default; in full also the middle of the chain and 1 (the lowest level a rescale
/// starts from).
pub fn ckks_levels(top: usize) -> Vec<usize> {
    levels_of_chain(top, full())
}

fn levels_of_chain(top: usize, full: bool) -> Vec<usize> {
    let mut levels = vec![top];
    if full {
        levels.extend([top.div_ceil(2), 1]);
    }
    levels.retain(|&level| (0..=top).contains(&level));
    levels.sort_unstable_by(|a, b| b.cmp(a));
    levels.dedup();
    levels
}

/// Criterion's timing: 10 samples over 0.5 s after 0.2 s of warm-up by default, 30 samples
/// over 2 s after 0.5 s in full.
/// Command-line options (`-- --measurement-time 5`, a filter) still override these.
pub fn criterion() -> Criterion {
    let criterion = Criterion::default();
    let configured = if full() {
        criterion.sample_size(30).warm_up_time(Duration::from_millis(500)).measurement_time(Duration::from_secs(2))
    } else {
        criterion.sample_size(10).warm_up_time(Duration::from_millis(200)).measurement_time(Duration::from_millis(500))
    };
    configured.configure_from_args()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_of_a_chain() {
        assert_eq!(levels_of_chain(8, false), vec![8]);
        assert_eq!(levels_of_chain(8, true), vec![8, 4, 1]);
        assert_eq!(levels_of_chain(3, true), vec![3, 2, 1]);
        assert_eq!(levels_of_chain(2, true), vec![2, 1]);
        assert_eq!(levels_of_chain(1, true), vec![1]);
    }
}
