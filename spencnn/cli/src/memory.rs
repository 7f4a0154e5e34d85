//! Peak resident memory of this process and the memory the machine has available.

/// The process's peak resident set size in bytes: `VmHWM` from `/proc/self/status`, the value
/// `getrusage(RUSAGE_SELF).ru_maxrss` reports on Linux (read without `unsafe` FFI). `None`
/// where the file is unavailable.
pub(crate) fn peak_rss_bytes() -> Option<u64> {
    kib_field("/proc/self/status", "VmHWM:")
}

/// The `key  N kB` field of a `/proc` file, in bytes.
fn kib_field(path: &str, key: &str) -> Option<u64> {
    let text = std::fs::read_to_string(path).ok()?;
    let line = text.lines().find(|l| l.starts_with(key))?;
    let kib: u64 = line.trim_start_matches(key).trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
}

/// Memory available to a new process without swapping, in bytes: `MemAvailable` from
/// `/proc/meminfo`. `None` where the file is unavailable.
pub(crate) fn available_bytes() -> Option<u64> {
    kib_field("/proc/meminfo", "MemAvailable:")
}

#[cfg(test)]
mod tests {
    #[test]
    fn peak_rss_grows_with_a_touched_allocation() {
        let Some(before) = super::peak_rss_bytes() else {
            eprintln!("skipped: /proc/self/status unavailable");
            return;
        };
        let block = std::hint::black_box(vec![1u8; 64 << 20]);
        let after = super::peak_rss_bytes().unwrap();
        assert!(after >= before.max(64 << 20), "{after} < 64 MiB");
        drop(block);
    }
}
