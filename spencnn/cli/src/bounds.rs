//! Value parsers of the numeric flags: each flag is checked when the command line is parsed,
//! and a value outside its range is refused with a message naming the range, before anything
//! is planned, allocated or generated. Bounds that depend on the input (an image index against
//! the file, `--layers` against the network) are checked by the subcommand, still before any key
//! is made.

use std::fmt::Display;
use std::str::FromStr;

/// Most images one `infer` or `eval --encrypted` run classifies (the MNIST training set has
/// 60,000; each image takes a fraction of a second or more).
pub(crate) const MAX_IMAGES: u64 = 100_000;
/// Most repetitions of a measurement.
pub(crate) const MAX_REPEAT: u64 = 1_000;
/// Worker threads allowed per available core: more cannot run at once and only add memory
/// (each has its own buffers).
pub(crate) const THREADS_PER_CORE: usize = 4;

fn parse<T: FromStr>(text: &str) -> Result<T, String>
where
    T::Err: Display,
{
    text.trim().parse::<T>().map_err(|e| format!("`{text}` is not a valid number ({e})"))
}

/// A `usize` in `MIN..=MAX`.
pub(crate) fn count_in<const MIN: u64, const MAX: u64>(text: &str) -> Result<usize, String> {
    let value: u64 = parse(text)?;
    if (MIN..=MAX).contains(&value) { Ok(value as usize) } else { Err(format!("{value} is outside {MIN}..={MAX}")) }
}

/// `--count`, `--encrypted`, `--limit`: `1..=MAX_IMAGES` images.
pub(crate) fn image_count(text: &str) -> Result<usize, String> {
    count_in::<1, MAX_IMAGES>(text)
}

/// `--repeat`: `1..=MAX_REPEAT`.
pub(crate) fn repeat(text: &str) -> Result<usize, String> {
    count_in::<1, MAX_REPEAT>(text)
}

/// The largest `--threads`: [`THREADS_PER_CORE`] per available core.
pub(crate) fn max_threads() -> usize {
    THREADS_PER_CORE * std::thread::available_parallelism().map_or(1, |n| n.get())
}

/// `--threads`: `1..=max_threads()`.
pub(crate) fn threads(text: &str) -> Result<u16, String> {
    let value: u64 = parse(text)?;
    let max = max_threads().min(usize::from(u16::MAX));
    if (1..=max as u64).contains(&value) {
        Ok(value as u16)
    } else {
        Err(format!("{value} is outside 1..={max} ({THREADS_PER_CORE} per available core)"))
    }
}

/// A finite `f64` in `[min, max]`, `what` naming the flag's meaning in the message.
fn finite_in(text: &str, min: f64, max: f64, what: &str) -> Result<f64, String> {
    let value: f64 = parse(text)?;
    if value.is_finite() && (min..=max).contains(&value) {
        Ok(value)
    } else {
        Err(format!("{value} is not {what} in {min}..={max}"))
    }
}

/// `--precision-bits`: a finite number of bits in `0..=52` (0: the cheapest parameters).
pub(crate) fn precision_bits(text: &str) -> Result<f64, String> {
    finite_in(text, 0.0, 52.0, "a number of bits")
}

/// `--max-memory-gib`: a positive, finite number of GiB up to 1 PiB.
pub(crate) fn memory_gib(text: &str) -> Result<f64, String> {
    let value = finite_in(text, 0.0, f64::from(1u32 << 20), "a memory size in GiB")?;
    if value > 0.0 { Ok(value) } else { Err("the memory limit must be positive".to_string()) }
}

/// A memory limit of `plan --max-memory-gib`: a number of GiB, or no limit at all.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) enum MemoryLimit {
    /// At most this many GiB ([`memory_gib`]).
    Gib(f64),
    /// No limit: the deployment as planned (expanded keys, pre-encoded weights).
    Unlimited,
}

impl MemoryLimit {
    /// The limit in bytes, `None` without one.
    pub(crate) fn bytes(self) -> Option<usize> {
        match self {
            MemoryLimit::Gib(gib) => Some((gib * f64::from(1u32 << 30)) as usize),
            MemoryLimit::Unlimited => None,
        }
    }
}

/// `plan --max-memory-gib`: [`memory_gib`], or `none` for no limit (0, negative, NaN and
/// infinite values are refused: they would silently mean something else).
pub(crate) fn memory_limit(text: &str) -> Result<MemoryLimit, String> {
    if text.trim().eq_ignore_ascii_case("none") {
        return Ok(MemoryLimit::Unlimited);
    }
    memory_gib(text).map(MemoryLimit::Gib).map_err(|e| format!("{e} (`none` for no limit)"))
}

/// `--prune`: a finite ratio in `[0, 1)`.
pub(crate) fn prune_ratio(text: &str) -> Result<f64, String> {
    let value = finite_in(text, 0.0, 1.0, "a pruning ratio")?;
    if value < 1.0 { Ok(value) } else { Err("a pruning ratio of 1 would remove every sub-block".to_string()) }
}

/// A learning rate: finite, positive, at most 10.
pub(crate) fn learning_rate(text: &str) -> Result<f32, String> {
    let value = finite_in(text, 0.0, 10.0, "a learning rate")?;
    if value > 0.0 { Ok(value as f32) } else { Err("the learning rate must be positive".to_string()) }
}

/// A finite coefficient in `[-1000, 1000]`.
pub(crate) fn coefficient(text: &str) -> Result<f32, String> {
    Ok(finite_in(text, -1000.0, 1000.0, "a coefficient")? as f32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_parser_refuses_what_it_should() {
        assert_eq!(image_count("20"), Ok(20));
        for bad in ["0", "100001", "1000000000000", "18446744073709551615", "-1", "x", ""] {
            assert!(image_count(bad).is_err(), "{bad}");
        }
        assert!(repeat("0").is_err() && repeat("1001").is_err() && repeat("5") == Ok(5));
        assert_eq!(threads("1"), Ok(1));
        assert!(threads("0").is_err());
        assert!(threads("10000").unwrap_err().contains("per available core"));
        for bad in ["NaN", "inf", "-5", "53", "1e400"] {
            assert!(precision_bits(bad).is_err(), "{bad}");
        }
        assert_eq!(precision_bits("0"), Ok(0.0));
        for bad in ["0", "-1", "NaN", "inf", "2e6"] {
            assert!(memory_gib(bad).is_err(), "{bad}");
            assert!(memory_limit(bad).unwrap_err().contains("`none` for no limit"), "{bad}");
        }
        assert_eq!(memory_limit("none"), Ok(MemoryLimit::Unlimited));
        assert_eq!(memory_limit("0.5").map(MemoryLimit::bytes), Ok(Some(1 << 29)));
        assert_eq!(MemoryLimit::Unlimited.bytes(), None);
        assert!(prune_ratio("1").is_err() && prune_ratio("-0.1").is_err() && prune_ratio("0.5") == Ok(0.5));
        assert!(learning_rate("0").is_err() && learning_rate("NaN").is_err() && learning_rate("0.002").is_ok());
        assert!(coefficient("inf").is_err() && coefficient("0.5").is_ok());
        assert_eq!(count_in::<0, 8>("8"), Ok(8));
        assert!(count_in::<0, 8>("9").unwrap_err().contains("0..=8"));
    }
}
