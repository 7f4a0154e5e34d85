"""Timing protocol of the peer scripts, identical to the one of `ckks-ops`
(`benches/src/bin/ckks-ops/timing.rs`), so that their medians compare directly.

Each operation gets a few untimed warm-up calls; then every call is timed on its own with
`time.perf_counter_ns` until both a minimum wall time and a minimum number of calls are
reached, and the median is reported in microseconds (rounded to 0.01 µs). The figures include
the Python call overhead of the bindings (about 1 µs per call).
"""
import json
import statistics
import sys
import time
from dataclasses import dataclass, replace


@dataclass(frozen=True)
class Policy:
    """How long and how often each operation is timed."""

    warmup: int
    min_time_s: float
    min_iters: int
    max_iters: int

    def with_min_iters(self, min_iters):
        """The same policy with another minimum call count (slow ops such as key generation)."""
        return replace(self, min_iters=min_iters)


# `ckks-ops` without flags: 3 warm-up calls, at least 1 s and 10 calls per operation.
FULL = Policy(warmup=3, min_time_s=1.0, min_iters=10, max_iters=100_000)
# `ckks-ops --quick`: a smoke run, 1 warm-up call, at least 3 calls.
QUICK = Policy(warmup=1, min_time_s=0.02, min_iters=3, max_iters=1_000)


def median_micros(policy, call):
    """The median wall time of `call()` in microseconds."""
    for _ in range(policy.warmup):
        call()
    samples = []
    deadline = time.perf_counter() + policy.min_time_s
    while (len(samples) < policy.min_iters or time.perf_counter() < deadline) and len(
        samples
    ) < policy.max_iters:
        start = time.perf_counter_ns()
        call()
        samples.append((time.perf_counter_ns() - start) / 1000.0)
    return round(statistics.median(samples), 2)


def max_abs_error(got, expected):
    """The largest absolute difference of two equally long real sequences."""
    return max(abs(g - e) for g, e in zip(got, expected))


def uniform_values(count, seed):
    """`count` deterministic values in [-1, 1) (a xorshift stream, as in `ckks-ops`)."""
    mask = (1 << 64) - 1
    state = ((seed * 0x9E3779B97F4A7C15) & mask) | 1
    values = []
    for _ in range(count):
        state ^= (state << 13) & mask
        state ^= state >> 7
        state ^= (state << 17) & mask
        values.append((state >> 11) / float(1 << 53) * 2.0 - 1.0)
    return values


def report(sizes, supported, measure, policy, meta):
    """Runs `measure(n, policy) -> (ops, params)` for every ring degree of the comma-separated
    `sizes` and prints the JSON object of `ckks-ops`: `{"N=n": ops, ..., "meta": meta}` with the
    per-size parameters under `meta["params"]`. Exits with a message on an unsupported size."""
    result, params = {}, {}
    for n in (int(v) for v in sizes.split(",")):
        if n not in supported:
            sys.exit(f"no configuration for N={n} ({' or '.join(map(str, sorted(supported)))})")
        result[f"N={n}"], params[f"N={n}"] = measure(n, policy)
    result["meta"] = {
        "unit": "median microseconds per call (Python call overhead included)",
        "scale": "2^40",
        "quick": policy == QUICK,
        **meta,
        "params": params,
    }
    print(json.dumps(result, indent=1))
