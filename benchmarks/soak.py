"""`make soak`: steady mixed load on the mock for a set time; errors and RSS over the run.

Loopback only and bounded: SOAK_SECONDS (default 60) in SOAK_SEGMENT-second wrk segments
(default 10), RSS sampled between segments. The pool mixes valid requests for all five APIs with
hostile ones (traversal ids, bad and oversized parameters, invalid percent-encoding, unknown
paths and methods are in tests/). Exit 1 when any request got a 5xx or a socket error.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from benchmarks.endpoints import generated_pool, resolve
from benchmarks.load import ensure_wrk, run_wrk
from benchmarks.servers import Probe, free_port, mock_launch, rss_kib, running

PROJECT = Path(__file__).resolve().parent.parent
HEADERS = {
    "Authorization": "Bearer aaa.bbb.ccc",
    "Identifier": "2f1c6a52-0c1e-4f0e-9d37-0f6f0c0b8a11",
    "X-Auth-Token": "soak-token",
}
HOSTILE = [
    "/rest/v1/executions/..%2F..%2Fetc%2Fpasswd",
    "/rest/v1/executions/%2e%2e%2f",
    "/rest/v1/executions/12?auditId=x&auditId=1",
    "/rest/v1/executions/99999999999999999999999",
    "/api/v3/oneprovider/automation/execution/workflows/%ZZ",
    "/api/v3/oneprovider/automation/execution/workflows/..%2F..%2F",
    "/v1/spaces/ab/projects/p/workflowRuns/not-a-uuid",
    "/api/v1/accounts/a/definitions/not-a-uuid/workflows",
    "/api/v1/accounts/a/definitions/2aa9465e-dec7-4c3e-8fa6-bd168af9eaca/workflows?limit=501&offset=-1",
    "/selfservice/v1/executions/status?requestor=",
    "/selfservice/v1/executions//status/details?stepId=abc",
    "/no/such/path/" + "a" * 2000,
    "/__mock/docs/nope/",
]


def main() -> int:
    seconds = float(os.environ.get("SOAK_SECONDS", "60"))
    segment = float(os.environ.get("SOAK_SEGMENT", "10"))
    wrk = ensure_wrk()
    endpoints = resolve(PROJECT)
    pool: list[str] = []
    for endpoint in endpoints:
        pool += list(generated_pool(PROJECT, endpoint, 100).full())
    pool += HOSTILE * 40  # about half the pool is hostile
    port = free_port()
    probes = [Probe("health", "/__mock/health", {})]
    work = Path(tempfile.mkdtemp(prefix="mockserver-soak-"))
    totals: dict[str, int] = {}
    socket_errors = 0
    requests = 0
    print(f"soak: {seconds:.0f} s on 127.0.0.1:{port}, {len(pool)} URLs ({len(HOSTILE) * 40} hostile)")
    with running("soak", [mock_launch(PROJECT, port, probes)], work) as server:
        rss = [rss_kib(server.processes[0].pid)]
        print(f"  {0:>5.0f} s  RSS {rss[0] / 1024:6.1f} MiB")
        elapsed = 0.0
        while elapsed < seconds:
            chunk = min(segment, seconds - elapsed)
            result = run_wrk(
                wrk,
                port,
                pool,
                HEADERS,
                seconds=chunk,
                connections=20,
                threads=1,
                script_dir=work,
                name="soak",
            )
            elapsed += chunk
            requests += result.requests
            socket_errors += result.socket_error_count
            for status, count in result.statuses.items():
                totals[status] = totals.get(status, 0) + count
            rss.append(rss_kib(server.processes[0].pid))
            line = f"  {elapsed:>5.0f} s  RSS {rss[-1] / 1024:6.1f} MiB  {result.rps:8.0f} req/s"
            print(f"{line}  {result.statuses}")
    server_errors = sum(c for s, c in totals.items() if s.startswith("5"))
    growth = (rss[-1] - rss[1]) / 1024 if len(rss) > 2 else 0.0
    print(
        f"soak: {requests} requests, statuses {dict(sorted(totals.items()))}, 5xx {server_errors}, "
        f"socket errors {socket_errors}; RSS start {rss[0] / 1024:.1f} MiB, after first segment "
        f"{rss[1] / 1024:.1f} MiB, end {rss[-1] / 1024:.1f} MiB (growth after warm-up {growth:+.1f} MiB)"
    )
    return 1 if server_errors or socket_errors else 0


if __name__ == "__main__":
    sys.exit(main())
