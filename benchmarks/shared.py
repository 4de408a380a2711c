"""`python -m benchmarks.shared`: what sharing the state costs, under wrk.

Rows: one process on each store (memory; a SQLite file; Redis): what the store itself costs, with
nothing else changed; two separate processes, each with its own memory (no sharing: the baseline
of the two-Redis-replicas row); `--workers 2` with each worker on its own memory (no sharing, the
mock before shared state: the baseline of the `--workers 2` row, see `benchmarks.unshared_workers`);
`--workers 2` (SQLite store, chosen automatically); two processes on one `redis-server`
(`--state redis://...`). Each row differs from its baseline in sharing only.

Columns: generated answers of unpinned ids (stateless: pins come from the view cache) and polls of
ids pinned to a scenario (the write path: one counted turn per request), each in requests per
second and in CPU time per request (user + system from /proc, of the server's processes and, in
the Redis rows, of `redis-server` too: that is what sharing costs the machine).

Two processes on two CPUs shared with wrk (and Redis) swing by tens of percent from one load to
the next, so a row and its baseline run side by side (`GROUPS`: all started, loaded in turn,
A B A B ...), `BENCH_ROUNDS` times (default 5) with cells of BENCH_SECONDS / 2 (5 s); a cell is
the median over rounds and its "vs baseline" the median of the ratios to the baseline's cell of
the same round. Knobs: BENCH_SECONDS, BENCH_WARMUP, BENCH_CONNECTIONS, BENCH_ROUNDS. Ports of a
two-process row are loaded by two wrk at once, half the connections each.
"""

from __future__ import annotations

import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, replace
from pathlib import Path

import httpx

from benchmarks.config import HOST, REPO, BenchError, Config
from benchmarks.load import LoadResult, ensure_wrk, run_wrk
from benchmarks.servers import Launch, Probe, cpu_s, free_port, mock_launch, running

IDS = 200
AUTH = {"Authorization": "Bearer bench-token"}
STATELESS = [f"/rest/v1/executions/{100_000 + i}" for i in range(IDS)]
POLLED = [f"/rest/v1/executions/{200_000 + i}" for i in range(IDS)]
PROBE = Probe("etlworks", STATELESS[0], AUTH)


@dataclass(frozen=True)
class Redis:
    url: str
    pid: int


@contextmanager
def redis_server(workdir: Path) -> Iterator[Redis]:
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
        yield Redis(f"redis://{HOST}:{port}/0", process.pid)
    finally:
        process.terminate()
        process.wait(timeout=10)


def _with_state(launch: Launch, state: list[str]) -> Launch:
    return Launch(launch.label, [*launch.argv, *state], launch.port, launch.probes, launch.cwd, launch.env)


def _launches(kind: str, redis_url: str, tmp: Path) -> list[Launch]:
    one = mock_launch(REPO, free_port(), [PROBE], label="a", workers=2 if kind == "workers" else 1)
    if kind in ("memory", "workers"):
        return [one]
    if kind == "unshared-workers":
        argv = [sys.executable, "-m", "benchmarks.unshared_workers", str(one.port)]
        return [Launch("a", argv, one.port, one.probes, one.cwd, one.env)]
    if kind == "sqlite-1":
        return [_with_state(one, ["--state", f"sqlite://{tmp / 'one.db'}"])]
    if kind == "redis-1":
        return [_with_state(one, ["--state", redis_url, "--state-prefix", "bench1"])]
    two = mock_launch(REPO, free_port(), [PROBE], label="b")
    if kind == "redis":
        state = ["--state", redis_url, "--state-prefix", "bench"]
        return [_with_state(x, state) for x in (one, two)]
    return [one, two]


def _pin(port: int, workers: int = 1) -> None:
    """Pin every polled id to `stays-running` in each of `workers` processes behind `port`.

    Workers that share nothing each need their own pins: each pass sends every PUT on a fresh
    connection (the kernel hands it to either worker) until `/__mock/health` shows `workers`
    pids, each with every id pinned.
    """
    close = {"Connection": "close"} if workers > 1 else {}
    with httpx.Client(base_url=f"http://{HOST}:{port}", timeout=10, headers=close) as client:
        for _ in range(30):
            for path in POLLED:
                body = {
                    "api": "etlworks",
                    "operation": "getFlowStatus",
                    "params": {"flowId": int(path.rsplit("/", 1)[1])},
                    "scenario": "stays-running",
                }
                client.put("/__mock/scenarios", json=body).raise_for_status()
            pinned: dict[int, int] = {}
            for _ in range(20 * workers):
                health = client.get("/__mock/health").raise_for_status().json()
                pinned[health["worker"]["pid"]] = health["state"]["pinned"]
            if len(pinned) >= workers and all(count >= len(POLLED) for count in pinned.values()):
                return
    raise BenchError(f"port {port}: could not pin the polled ids in {workers} workers ({pinned})")


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
    cpu: Callable[[], float],
    wrk: str,
    ports: Sequence[int],
    paths: Sequence[str],
    config: Config,
    tmp: Path,
    name: str,
) -> tuple[float, float]:
    """(requests per second, CPU µs per request) of one load; `cpu` reads the CPU seconds so far."""
    before = cpu()
    rps, requests = _load(wrk, ports, paths, config, tmp, name)
    return rps, (cpu() - before) / max(1, requests) * 1e6


Row = dict[str, float]
"""{"stateless": rps, "stateless_cpu": µs/request, "polls": rps, "polls_cpu": µs/request}."""

LABELS = {
    "memory": "1 process, memory",
    "sqlite-1": "1 process, SQLite file",
    "redis-1": "1 process, Redis",
    "two": "2 processes, own memory each (no sharing)",
    "redis": "2 processes, one Redis",
    "unshared-workers": "`--workers 2`, own memory each (no sharing)",
    "workers": "`--workers 2`, SQLite",
}
BASELINE = {"sqlite-1": "memory", "redis-1": "memory", "redis": "two", "workers": "unshared-workers"}
COLUMNS = ("stateless", "stateless_cpu", "polls", "polls_cpu")


GROUPS = (("memory", "sqlite-1", "redis-1"), ("two", "redis"), ("unshared-workers", "workers"))
"""Rows that run side by side: each group's servers are all started, then loaded in turn."""


@dataclass
class _Target:
    kind: str
    ports: list[int]
    cpu: Callable[[], float]


def _start(kind: str, redis: Redis, wrk: str, config: Config, tmp: Path, stack: ExitStack) -> _Target:
    """Start a row's server, pin the polled ids, warm it up."""
    server = stack.enter_context(running(kind, _launches(kind, redis.url, tmp), tmp / "logs"))
    ports = [launch.port for launch in server.launches]
    if kind == "unshared-workers":
        _pin(ports[0], workers=2)  # each worker keeps its own pins
    else:
        for port in ports if kind == "two" else ports[:1]:  # unshared processes each need theirs
            _pin(port)
    if config.warmup:
        _load(wrk, ports, STATELESS + POLLED, replace(config, seconds=max(1.0, config.warmup)), tmp, "warm")
    with_redis = kind.startswith("redis")

    def cpu() -> float:
        return server.cpu_s() + (cpu_s(redis.pid) if with_redis else 0.0)

    return _Target(kind, ports, cpu)


def measure(config: Config, say: Callable[[str], None], rounds: int = 5) -> dict[str, list[Row]]:
    """kind -> its row in each round. The rows of a group run side by side, loaded in turn, one
    cell each per round (A B A B ...), so a slow spell of the machine hits a row and its baseline
    alike; an idle server costs next to nothing meanwhile."""
    wrk = ensure_wrk()
    runs: dict[str, list[Row]] = {kind: [{} for _ in range(rounds)] for kind in LABELS}
    cell = replace(config, seconds=max(1.0, config.seconds / 2))
    with tempfile.TemporaryDirectory(prefix="bench-shared-") as raw, ExitStack() as stack:
        tmp = Path(raw)
        redis = stack.enter_context(redis_server(tmp))
        for group in GROUPS:
            with ExitStack() as servers:
                targets = [_start(kind, redis, wrk, config, tmp, servers) for kind in group]
                for column, paths in (("stateless", STATELESS), ("polls", POLLED)):
                    for turn in range(rounds):
                        for target in targets:
                            name = f"{target.kind}-{column}"
                            rps, cpu = _cell(target.cpu, wrk, target.ports, paths, cell, tmp, name)
                            runs[target.kind][turn].update({column: rps, f"{column}_cpu": cpu})
                for target in targets:
                    done = runs[target.kind]
                    medians = [
                        statistics.median(r[column] for r in done) for column in ("stateless", "polls")
                    ]
                    say(f"{LABELS[target.kind]}: {medians[0]:,.0f} stateless/s, {medians[1]:,.0f} polls/s")
    return runs


def summarise(runs: dict[str, list[Row]]) -> dict[str, dict[str, float]]:
    """kind -> each column's median over rounds, and as `<column>_share` the median over rounds of
    the ratio to the baseline row of the same round (absent for a baseline)."""
    out: dict[str, dict[str, float]] = {}
    for kind, rows in runs.items():
        cell = {column: statistics.median(row[column] for row in rows) for column in COLUMNS}
        base = runs.get(BASELINE.get(kind, ""))
        if base:
            for column in COLUMNS:
                cell[f"{column}_share"] = statistics.median(
                    row[column] / ref[column] for row, ref in zip(rows, base, strict=True) if ref[column]
                )
        out[kind] = cell
    return out


def render(runs: dict[str, list[Row]]) -> str:
    """A Markdown table of the medians, each with its share of its baseline row, then the
    generated-answer shares of every round (how far they swing)."""
    cells = summarise(runs)
    lines = [
        "| target | generated answers/s | vs baseline | CPU µs/answer | vs baseline"
        " | scenario polls/s | vs baseline | CPU µs/poll | vs baseline |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for kind, cell in cells.items():
        parts = [LABELS[kind]]
        for column in COLUMNS:
            share = cell.get(f"{column}_share")
            parts += [f"{cell[column]:,.0f}", "100%" if share is None else f"{share:.0%}"]
        lines.append("| " + " | ".join(parts) + " |")
    lines.append("")
    for kind, base in BASELINE.items():
        shares = [
            f"{row['stateless'] / ref['stateless']:.0%}"
            for row, ref in zip(runs[kind], runs[base], strict=True)
        ]
        lines.append(
            f"- {LABELS[kind]}: generated answers {', '.join(shares)} of {LABELS[base]}, round by round"
        )
    return "\n".join(lines)


def _rounds(raw: str) -> int:
    if not raw.isdigit() or int(raw) < 1:
        raise BenchError(f"BENCH_ROUNDS={raw!r} must be a whole number of at least 1")
    return int(raw)


def main() -> int:
    try:
        config = Config.from_env()
        rounds = _rounds(os.environ.get("BENCH_ROUNDS", "5"))
        runs = measure(config, lambda text: print(f"bench: {text}", file=sys.stderr, flush=True), rounds)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    load = os.getloadavg()[0]
    print(render(runs))
    print(
        f"\n{rounds} rounds, {max(1.0, config.seconds / 2):g} s per cell, {config.connections} connections,"
        f" load average {load:.1f} on {os.cpu_count()} CPUs (a shared machine: noisy)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
