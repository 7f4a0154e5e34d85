//! Peak resident memory of this process.

/// The process's peak resident set size in bytes: `VmHWM` from `/proc/self/status`, the value
/// `getrusage(RUSAGE_SELF).ru_maxrss` reports on Linux (read without `unsafe` FFI). `None`
/// where the file is unavailable.
pub(crate) fn peak_rss_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line.trim_start_matches("VmHWM:").trim().trim_end_matches("kB").trim().parse().ok()?;
    Some(kib * 1024)
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
