//! Wall-clock medians with the protocol shared with the peer scripts (`benches/peers/timing.py`):
//! a few warm-up calls, then every call timed on its own until both a minimum time and a
//! minimum number of calls are reached; the median is reported in microseconds.

use std::time::{Duration, Instant};

/// How long and how often each operation is timed.
#[derive(Debug, Clone, Copy)]
pub struct TimingPolicy {
    /// Untimed calls before measuring.
    pub warmup: usize,
    /// Keep timing until at least this much time has passed…
    pub min_time: Duration,
    /// …and at least this many calls were timed.
    pub min_iters: usize,
    /// Never time more calls than this.
    pub max_iters: usize,
}

impl TimingPolicy {
    /// The default protocol: 3 warm-up calls, at least 1 s and 10 calls.
    pub const fn full() -> Self {
        Self { warmup: 3, min_time: Duration::from_secs(1), min_iters: 10, max_iters: 100_000 }
    }

    /// A short run for CI and smoke checks: 1 warm-up call, at least 3 calls.
    pub const fn quick() -> Self {
        Self { warmup: 1, min_time: Duration::from_millis(20), min_iters: 3, max_iters: 1_000 }
    }

    /// The same policy with a different minimum number of calls (for slow operations such
    /// as key generation, where every script uses 3).
    pub const fn with_min_iters(self, min_iters: usize) -> Self {
        Self { min_iters, ..self }
    }
}

/// The median wall time of `f()` in microseconds, rounded to 0.01 µs.
pub fn median_micros(policy: TimingPolicy, mut f: impl FnMut()) -> f64 {
    for _ in 0..policy.warmup {
        f();
    }
    let mut times: Vec<f64> = Vec::with_capacity(policy.min_iters);
    let deadline = Instant::now() + policy.min_time;
    while (times.len() < policy.min_iters || Instant::now() < deadline) && times.len() < policy.max_iters {
        let start = Instant::now();
        f();
        times.push(start.elapsed().as_secs_f64() * 1e6);
    }
    (median(&mut times) * 100.0).round() / 100.0
}

/// The median of `values` (mean of the two middle values for an even count); `NaN` when empty.
pub fn median(values: &mut [f64]) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    let mid = values.len() / 2;
    if values.len() % 2 == 1 { values[mid] } else { (values[mid - 1] + values[mid]) / 2.0 }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_and_even_counts() {
        assert_eq!(median(&mut [3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&mut [4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&mut []).is_nan());
    }

    #[test]
    fn policy_times_at_least_min_iters_calls() {
        let mut calls = 0;
        let policy = TimingPolicy { warmup: 2, min_time: Duration::ZERO, min_iters: 5, max_iters: 10 };
        let m = median_micros(policy, || calls += 1);
        assert_eq!(calls, 7);
        assert!(m >= 0.0);
    }
}
