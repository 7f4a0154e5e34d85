//! Peak resident memory of this process, and the memory the machine has available.

/// The memory limit used where the available memory cannot be read (no `/proc/meminfo`).
pub(crate) const FALLBACK_LIMIT_GIB: f64 = 8.0;

/// The memory the machine can give this process now, in bytes: `MemAvailable` from
/// `/proc/meminfo` (Linux), `None` where it cannot be read.
pub(crate) fn available_bytes() -> Option<u64> {
    let meminfo = std::fs::read_to_string("/proc/meminfo").ok()?;
    parse_meminfo_kib(&meminfo, "MemAvailable:").map(|kib| kib * 1024)
}

/// The value in KiB of the `key` line of a `/proc/meminfo` text.
fn parse_meminfo_kib(meminfo: &str, key: &str) -> Option<u64> {
    let line = meminfo.lines().find(|l| l.starts_with(key))?;
    line[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()
}

/// The default memory limit in GiB and where it comes from: the available memory, else
/// [`FALLBACK_LIMIT_GIB`].
pub(crate) fn default_limit_gib() -> (f64, &'static str) {
    match available_bytes() {
        Some(bytes) => (bytes as f64 / f64::from(1u32 << 30), "the available memory"),
        None => (FALLBACK_LIMIT_GIB, "a fixed default: the available memory is unknown on this system"),
    }
}

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
    fn meminfo_is_parsed_in_kib() {
        let text = "MemTotal:       24000000 kB\nMemFree:  1000 kB\nMemAvailable:   12582912 kB\n";
        assert_eq!(super::parse_meminfo_kib(text, "MemAvailable:"), Some(12_582_912));
        assert_eq!(super::parse_meminfo_kib(text, "SwapTotal:"), None);
        assert_eq!(super::parse_meminfo_kib("MemAvailable: lots", "MemAvailable:"), None);
        match super::available_bytes() {
            Some(bytes) => assert!(bytes > 0),
            None => eprintln!("skipped: /proc/meminfo unavailable"),
        }
        let (gib, source) = super::default_limit_gib();
        assert!(gib > 0.0 && !source.is_empty());
    }

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
