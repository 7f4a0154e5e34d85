//! Criterion benchmarks of spencnn-ntt against tfhe-ntt, timed in the same groups on the same
//! primes: `ntt-forward`, `ntt-inverse` (ours includes `1/n`; tfhe-ntt's `inv` + `normalize`),
//! `mul` (ours `a·b`; tfhe-ntt's `mul_assign_normalize`, `a·b·n⁻¹`), `mac` (8 products
//! accumulated) and `automorphism` (NTT-form permutation; tfhe-ntt has none, a plain gather
//! stands in). Group names are `op/N/bits`, e.g. `ntt-forward/16384/60`; the ring degrees
//! come from `spencnn_benches::matrix` (`2^12`, `2^14` by default, `2^12 ..= 2^16` with
//! `SPENCNN_BENCH_FULL=1`).
//!
//! `cargo bench -p spencnn-benches --bench ntt [-- <filter>]`

use criterion::Criterion;
use spencnn_benches::{PRIMES, cases, matrix};

fn ntt_benchmarks(c: &mut Criterion) {
    for &(bits, q) in &PRIMES {
        for log_n in matrix::ntt_log_sizes() {
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

fn main() {
    let mut criterion = matrix::criterion();
    ntt_benchmarks(&mut criterion);
    criterion.final_summary();
}
