"""Benchmark of the mock against a bare ASGI ceiling and Stoplight Prism: `make bench`.

`python -m benchmarks` loads one endpoint of every API with wrk (varied ids from a pool, the API's own
credentials) on: the mock with generated data, the mock serving fixture records, a bare ASGI app on
the same uvicorn settings (the ceiling), and Prism static and dynamic on the same specs. It also
times `mockserver verify` next to plain `schemathesis run`. Results: a printed table and
`benchmarks/results/<UTC timestamp>.json` (+ `latest.json`).

Environment: BENCH_SECONDS (10), BENCH_WARMUP (2), BENCH_CONNECTIONS (50), BENCH_POOL (200 URLs per
API), BENCH_PRISM (1; 0 skips Prism), BENCH_VERIFY (1; 0 skips the verify timings),
BENCH_MAX_EXAMPLES (50), BENCH_PROJECT (the checkout whose mockserver, specs/ and fixtures/ are used;
default: this one).
"""
