//! Wall time and on-CPU time of a timed window, for calibration on a shared machine.
//!
//! On a machine shared with other work, a window of wall time measures the primitive *and*
//! the share of the cores the process got during that window; short windows (tens of
//! milliseconds) see that share jump from one repetition to the next. The kernel's per-thread
//! scheduler statistics (`/proc/self/task/*/schedstat`, first field: nanoseconds on a CPU)
//! give the on-CPU time of the same window, which does not depend on the share. Calibration
//! records both, so the profile can price primitives by their CPU time and one share (the
//! cores the process got over the whole calibration) instead of one noisy share per sample.
//! Where the statistics are unavailable (not Linux, no `CONFIG_SCHED_INFO`) the CPU time is
//! `None` and only wall times are used. The kernel adds a running thread's time at scheduler
//! ticks and switches, so a window is exact only to about a tick per thread: calibration
//! windows last at least [`super::calibrate::CalibrationOptions::min_seconds`].

use std::time::Instant;

/// The on-CPU nanoseconds of a `schedstat` line (its first field), if it parses.
pub(crate) fn parse_schedstat(line: &str) -> Option<u64> {
    line.split_ascii_whitespace().next()?.parse().ok()
}

/// On-CPU nanoseconds of every thread of this process so far (threads that ended are not
/// counted: the calibration's worker pools outlive its windows). `None` when unavailable.
pub(crate) fn process_cpu_ns() -> Option<u64> {
    let mut total = 0u64;
    for task in std::fs::read_dir("/proc/self/task").ok()? {
        let path = task.ok()?.path().join("schedstat");
        total += parse_schedstat(&std::fs::read_to_string(path).ok()?)?;
    }
    Some(total)
}

/// Seconds per operation of one timed window: wall time, and on-CPU time of all threads.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct Timed {
    /// Wall seconds per operation.
    pub wall: f64,
    /// On-CPU seconds per operation, summed over the threads (`None` if unavailable).
    pub cpu: Option<f64>,
}

/// The start of a timed window.
pub(crate) struct Stopwatch {
    start: Instant,
    cpu_ns: Option<u64>,
}

impl Stopwatch {
    /// Starts a window now.
    pub(crate) fn start() -> Self {
        let cpu_ns = process_cpu_ns();
        Self { start: Instant::now(), cpu_ns }
    }

    /// Ends the window; `count` operations ran in it.
    pub(crate) fn stop(&self, count: usize) -> Timed {
        let wall = self.start.elapsed().as_secs_f64();
        let cpu = match (self.cpu_ns, process_cpu_ns()) {
            (Some(a), Some(b)) if b >= a => Some((b - a) as f64 * 1e-9),
            _ => None,
        };
        let count = count.max(1) as f64;
        Timed { wall: wall / count, cpu: cpu.map(|c| c / count) }
    }
}

/// The median of each of the wall and the CPU times of `windows` (the CPU median only if every
/// window has one). `None` for no windows.
pub(crate) fn median(windows: &[Timed]) -> Option<Timed> {
    fn mid(mut xs: Vec<f64>) -> f64 {
        xs.sort_by(f64::total_cmp);
        xs[xs.len() / 2]
    }
    if windows.is_empty() {
        return None;
    }
    let wall = mid(windows.iter().map(|t| t.wall).collect());
    let cpu = windows.iter().map(|t| t.cpu).collect::<Option<Vec<f64>>>().map(mid);
    Some(Timed { wall, cpu })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn schedstat_lines_parse_to_their_first_field() {
        assert_eq!(parse_schedstat("905359 12 3\n"), Some(905_359));
        assert_eq!(parse_schedstat("0 0 0"), Some(0));
        assert_eq!(parse_schedstat(""), None);
        assert_eq!(parse_schedstat("x 1 2"), None);
        assert_eq!(parse_schedstat("-5 1 2"), None);
    }

    #[test]
    fn medians_pair_wall_and_cpu_and_drop_a_partial_cpu() {
        let t = |wall, cpu| Timed { wall, cpu };
        let m = median(&[t(3.0, Some(1.0)), t(1.0, Some(3.0)), t(2.0, Some(2.5))]).unwrap();
        assert_eq!(m, t(2.0, Some(2.5)));
        assert_eq!(median(&[t(1.0, Some(1.0)), t(2.0, None)]).unwrap().cpu, None);
        assert_eq!(median(&[]), None);
    }

    #[test]
    fn a_busy_window_has_cpu_time_when_the_kernel_reports_it() {
        // The kernel adds a running thread's time at scheduler ticks and switches, so the
        // window spans many ticks; no assertion on how long anything takes.
        let watch = Stopwatch::start();
        let mut x = 1u64;
        while watch.start.elapsed().as_secs_f64() < 0.2 {
            for i in 0..100_000u64 {
                x = std::hint::black_box(x.wrapping_mul(6364136223846793005).wrapping_add(i));
            }
        }
        std::thread::yield_now();
        let timed = watch.stop(2);
        assert!(timed.wall > 0.0);
        if process_cpu_ns().is_some() {
            assert!(timed.cpu.is_some_and(|c| c > 0.0), "{timed:?}");
        }
    }
}
