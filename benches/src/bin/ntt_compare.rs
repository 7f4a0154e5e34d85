//! Quick, reproducible comparison of spencnn-ntt with tfhe-ntt: every contender of a case is
//! timed in the same process, interleaved round by round, and the table reports per-contender
//! medians over the rounds and the ratio to tfhe-ntt (or to the last contender when the case
//! has no tfhe-ntt routine).
//!
//! Usage: `cargo run --release -p spencnn-benches --bin ntt-compare -- [--rounds 7]
//! [--n 14,15] [--bits 50,60] [--ops ntt-forward,ntt-inverse] [--ms 30]`
//! (`--n` takes log2 of the degree).

use std::time::{Duration, Instant};

use spencnn_benches::{Case, LOG_SIZES, PRIMES, cases};

struct Options {
    rounds: usize,
    log_sizes: Vec<u32>,
    bits: Vec<u32>,
    ops: Option<Vec<String>>,
    sample_time: Duration,
}

fn parse_list<T: std::str::FromStr>(value: &str, flag: &str) -> Vec<T> {
    value
        .split(',')
        .map(|item| item.trim().parse().unwrap_or_else(|_| panic!("bad value {item:?} for {flag}")))
        .collect()
}

fn options() -> Options {
    let mut o = Options {
        rounds: 7,
        log_sizes: LOG_SIZES.to_vec(),
        bits: PRIMES.iter().map(|&(bits, _)| bits).collect(),
        ops: None,
        sample_time: Duration::from_millis(30),
    };
    let args: Vec<String> = std::env::args().skip(1).collect();
    for pair in args.chunks(2) {
        let value = pair.get(1).map(String::as_str).unwrap_or_else(|| panic!("missing value after {}", pair[0]));
        match pair[0].as_str() {
            "--rounds" => o.rounds = parse_list::<usize>(value, "--rounds")[0].max(1),
            "--n" => o.log_sizes = parse_list(value, "--n"),
            "--bits" => o.bits = parse_list(value, "--bits"),
            "--ops" => o.ops = Some(parse_list(value, "--ops")),
            "--ms" => o.sample_time = Duration::from_millis(parse_list::<u64>(value, "--ms")[0]),
            other => panic!("unknown flag {other}"),
        }
    }
    o
}

/// Median time of one call, from batches filling about `sample_time`.
fn time_once(run: &mut dyn FnMut(), sample_time: Duration) -> f64 {
    run();
    let start = Instant::now();
    let mut calls = 0u32;
    while start.elapsed() < sample_time / 10 {
        run();
        calls += 1;
    }
    let batch = calls.max(1);
    let mut samples: Vec<f64> = (0..9)
        .map(|_| {
            let t = Instant::now();
            for _ in 0..batch {
                run();
            }
            t.elapsed().as_secs_f64() / f64::from(batch)
        })
        .collect();
    samples.sort_by(f64::total_cmp);
    samples[samples.len() / 2]
}

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

/// One summary row: the case and the medians of our main routine and of the baseline.
struct SummaryRow {
    op: &'static str,
    n: usize,
    bits: u32,
    ours: f64,
    baseline_name: &'static str,
    baseline: f64,
}

fn main() {
    let o = options();
    let mut summary = Vec::new();
    println!(
        "# ntt-compare: {} rounds, interleaved; isa {:?}; load average at start {}",
        o.rounds,
        spencnn_ntt::Isa::detect(),
        load_average()
    );
    println!("| op | N | bits | contender | median µs | ratio to baseline |");
    println!("|---|---:|---:|---|---:|---:|");
    for &(bits, q) in PRIMES.iter().filter(|(bits, _)| o.bits.contains(bits)) {
        for &log_n in &o.log_sizes {
            let n = 1usize << log_n;
            for mut case in cases(n, bits, q) {
                if o.ops.as_ref().is_some_and(|ops| !ops.iter().any(|op| op == case.op)) {
                    continue;
                }
                summary.push(report(&mut case, &o));
            }
        }
    }
    println!("# load average at end {}", load_average());
    println!();
    println!("| op | N | bits | spencnn µs | comparator | comparator µs | ratio |");
    println!("|---|---:|---:|---:|---|---:|---:|");
    for row in &summary {
        println!(
            "| {} | {} | {} | {:.2} | {} | {:.2} | {:.2} |",
            row.op,
            row.n,
            row.bits,
            row.ours * 1e6,
            row.baseline_name,
            row.baseline * 1e6,
            row.ours / row.baseline
        );
    }
}

fn report(case: &mut Case, o: &Options) -> SummaryRow {
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); case.contenders.len()];
    for _ in 0..o.rounds {
        for (contender, slot) in case.contenders.iter_mut().zip(times.iter_mut()) {
            slot.push(time_once(&mut contender.run, o.sample_time));
        }
    }
    let medians: Vec<f64> = times.into_iter().map(median).collect();
    let baseline_index = case.contenders.iter().position(|c| c.name == "tfhe-ntt").unwrap_or(case.contenders.len() - 1);
    let baseline = medians[baseline_index];
    for (contender, &m) in case.contenders.iter().zip(&medians) {
        println!(
            "| {} | {} | {} | {} | {:.2} | {:.3} |",
            case.op,
            case.n,
            case.bits,
            contender.name,
            m * 1e6,
            m / baseline
        );
    }
    SummaryRow {
        op: case.op,
        n: case.n,
        bits: case.bits,
        ours: medians[0],
        baseline_name: case.contenders[baseline_index].name,
        baseline,
    }
}
