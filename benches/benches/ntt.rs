//! Criterion benchmarks of spencnn-ntt against tfhe-ntt, timed in the same groups on the same
//! primes: `ntt-forward`, `ntt-inverse` (ours includes `1/n`; tfhe-ntt's `inv` + `normalize`),
//! `mul` (ours `a·b`; tfhe-ntt's `mul_assign_normalize`, `a·b·n⁻¹`), `mac` (8 products
//! accumulated) and `automorphism` (NTT-form permutation; tfhe-ntt has none, a plain gather
//! stands in). Group names are `op/N/bits`, e.g. `ntt-forward/16384/60`.
//!
//! `cargo bench -p spencnn-benches --bench ntt [-- <filter>]`

use criterion::Criterion;
use spencnn_benches::{LOG_SIZES, PRIMES, cases};

fn ntt_benchmarks(c: &mut Criterion) {
    for &(bits, q) in &PRIMES {
        for &log_n in &LOG_SIZES {
            for mut case in cases(1 << log_n, bits, q) {
                let mut group = c.benchmark_group(case.group_name());
                for contender in &mut case.contenders {
                    group.bench_function(contender.name, |b| b.iter(&mut contender.run));
                }
                group.finish();
            }
        }
    }
}

fn config() -> Criterion {
    use std::time::Duration;
    Criterion::default()
        .sample_size(30)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1))
}

fn main() {
    let mut criterion = config().configure_from_args();
    ntt_benchmarks(&mut criterion);
    criterion.final_summary();
}
