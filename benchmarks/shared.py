"""`python -m benchmarks.shared`: what sharing the state costs, under wrk.

Rows: one process on each store (memory; a SQLite file; Redis): what the store itself costs, with
nothing else changed; two separate processes, each with its own memory (no sharing: the baseline
of the two-process rows); `--workers 2` (SQLite store, chosen automatically); two processes on one
`redis-server` (`--state redis://...`). Columns: generated answers of unpinned ids (stateless:
pins come from the view cache) and polls of ids pinned to a scenario (the write path: one counted
turn per request), each in requests per second and in the server's CPU time per request (user +
system, from /proc): two processes on two CPUs shared with wrk (and Redis) swing by tens of
percent from run to run, CPU per request much less. Knobs: BENCH_SECONDS, BENCH_WARMUP,
BENCH_CONNECTIONS (as `python -m benchmarks`). Two ports are loaded by two wrk at once, half the
connections each.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import replace
from pathlib import Path

import httpx

from benchmarks.config import HOST, REPO, BenchError, Config
from benchmarks.load import LoadResult, ensure_wrk, run_wrk
from benchmarks.servers import Launch, Probe, Server, free_port, mock_launch, running

IDS = 200
AUTH = {"Authorization": "Bearer bench-token"}
STATELESS = [f"/rest/v1/executions/{100_000 + i}" for i in range(IDS)]
POLLED = [f"/rest/v1/executions/{200_000 + i}" for i in range(IDS)]
PROBE = Probe("etlworks", STATELESS[0], AUTH)


@contextmanager
def redis_server(workdir: Path) -> Iterator[str]:
    """A throw-away `redis-server` on a free loopback port, no persistence."""
    binary = shutil.which("redis-server")
    if binary is None:
        raise BenchError("redis-server not found: apt-get install redis-server")
    port = free_port()
    argv = [binary, "--port", str(port), "--bind", HOST, "--save", "", "--appendonly", "no"]
    process = subprocess.Popen(argv, cwd=workdir, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while (
            subprocess.run(
                ["redis-cli", "-p", str(port), "ping"], capture_output=True, text=True, check=False
            ).stdout.strip()
            != "PONG"
        ):
            if time.monotonic() > deadline or process.poll() is not None:
                raise BenchError("redis-server did not answer PING within 20 s")
            time.sleep(0.05)
        yield f"redis://{HOST}:{port}/0"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _with_state(launch: Launch, state: list[str]) -> Launch:
    return Launch(launch.label, [*launch.argv, *state], launch.port, launch.probes, launch.cwd, launch.env)


def _launches(kind: str, redis_url: str, tmp: Path) -> list[Launch]:
    one = mock_launch(REPO, free_port(), [PROBE], label="a", workers=2 if kind == "workers" else 1)
    if kind in ("memory", "workers"):
        return [one]
    if kind == "sqlite-1":
        return [_with_state(one, ["--state", f"sqlite://{tmp / 'one.db'}"])]
    if kind == "redis-1":
        return [_with_state(one, ["--state", redis_url, "--state-prefix", "bench1"])]
    two = mock_launch(REPO, free_port(), [PROBE], label="b")
    if kind == "redis":
        state = ["--state", redis_url, "--state-prefix", "bench"]
        return [_with_state(x, state) for x in (one, two)]
    return [one, two]


def _pin(port: int) -> None:
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=10) as client:
        for path in POLLED:
            flow = int(path.rsplit("/", 1)[1])
            body = {
                "api": "etlworks",
                "operation": "getFlowStatus",
                "params": {"flowId": flow},
                "scenario": "stays-running",
            }
            client.put("/__mock/scenarios", json=body).raise_for_status()


def _load(
    wrk: str, ports: Sequence[int], paths: Sequence[str], config: Config, tmp: Path, name: str
) -> tuple[float, int]:
    """Requests per second over every port (one wrk per port, at once), and requests sent."""
    each = max(1, config.connections // len(ports))

    def one(port: int) -> LoadResult:
        return run_wrk(
            wrk, port, paths, AUTH, seconds=config.seconds, connections=each, threads=1,
            script_dir=tmp, name=f"{name}-{port}",
        )  # fmt: skip

    with ThreadPoolExecutor(len(ports)) as pool:
        results = list(pool.map(one, ports))
    for result in results:
        if result.non_2xx or result.socket_error_count:
            raise BenchError(f"{name}: {result.non_2xx} non-2xx, {result.socket_errors} socket errors")
    return sum(r.rps for r in results), sum(r.requests for r in results)


def _cell(
    server: Server, wrk: str, ports: Sequence[int], paths: Sequence[str], config: Config, tmp: Path, name: str
) -> tuple[float, float]:
    """(requests per second, server CPU µs per request) of one load."""
    before = server.cpu_s()
    rps, requests = _load(wrk, ports, paths, config, tmp, name)
    return rps, (server.cpu_s() - before) / max(1, requests) * 1e6


def measure(config: Config, say: Callable[[str], None]) -> dict[str, dict[str, float]]:
    """rows -> {"stateless": rps, "stateless_cpu": µs/request, "polls": rps, "polls_cpu": µs/request}."""
    wrk = ensure_wrk()
    rows: dict[str, dict[str, float]] = {}
    labels = {
        "memory": ONE,
        "sqlite-1": "1 process, SQLite file",
        "redis-1": "1 process, Redis",
        "two": TWO,
        "workers": "--workers 2, SQLite",
        "redis": "2 processes, one Redis",
    }
    with tempfile.TemporaryDirectory(prefix="bench-shared-") as raw, ExitStack() as stack:
        tmp = Path(raw)
        redis_url = stack.enter_context(redis_server(tmp))
        for kind, label in labels.items():
            launches = _launches(kind, redis_url, tmp)
            with running(kind, launches, tmp / "logs") as server:
                ports = [launch.port for launch in server.launches]
                for port in ports if kind == "two" else ports[:1]:
                    _pin(port)
                if config.warmup:
                    warm = replace(config, seconds=max(1.0, config.warmup))
                    _load(wrk, ports, STATELESS + POLLED, warm, tmp, "warm")
                stateless = _cell(server, wrk, ports, STATELESS, config, tmp, f"{kind}-stateless")
                polls = _cell(server, wrk, ports, POLLED, config, tmp, f"{kind}-polls")
                row = rows[label] = {
                    "stateless": stateless[0],
                    "stateless_cpu": stateless[1],
                    "polls": polls[0],
                    "polls_cpu": polls[1],
                }
                say(f"{label}: {row['stateless']:,.0f} stateless/s, {row['polls']:,.0f} polls/s")
    return rows


ONE = "1 process, memory"
TWO = "2 processes, own memory each (no sharing)"


def _share(row: dict[str, float], ref: dict[str, float] | None, column: str) -> str:
    return f"{row[column] / ref[column]:.0%}" if ref and ref[column] else ""


def render(rows: dict[str, dict[str, float]]) -> str:
    """A Markdown table; each row also as a share of its baseline (one process on memory, or two
    processes sharing nothing), in throughput and in server CPU per request."""
    lines = [
        "| target | generated answers/s | vs baseline | CPU µs/answer | vs baseline"
        " | scenario polls/s | vs baseline | CPU µs/poll | vs baseline |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for label, row in rows.items():
        ref = rows.get(TWO if label in (TWO, *_TWO_PROCESS) else ONE)
        lines.append(
            f"| {label} | {row['stateless']:,.0f} | {_share(row, ref, 'stateless')}"
            f" | {row['stateless_cpu']:,.0f} | {_share(row, ref, 'stateless_cpu')}"
            f" | {row['polls']:,.0f} | {_share(row, ref, 'polls')}"
            f" | {row['polls_cpu']:,.0f} | {_share(row, ref, 'polls_cpu')} |"
        )
    return "\n".join(lines)


_TWO_PROCESS = ("--workers 2, SQLite", "2 processes, one Redis")


def main() -> int:
    try:
        config = Config.from_env()
        rows = measure(config, lambda text: print(f"bench: {text}", file=sys.stderr, flush=True))
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    print(render(rows))
    print(
        f"\n{config.seconds:g} s per cell, {config.connections} connections,"
        f" load average {load:.1f} on {os.cpu_count()} CPUs (a shared machine: noisy)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
