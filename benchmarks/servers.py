"""Start a server (one or more processes), time its startup to the first answer of every API, read
its RSS, and always stop it.
"""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path

from benchmarks.config import HOST, BenchError

__all__ = [
    "Launch",
    "Probe",
    "Server",
    "cpu_s",
    "free_port",
    "get",
    "mock_launch",
    "rss_kib",
    "running",
    "system_busy_s",
]

STARTUP_TIMEOUT = 60.0


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


@dataclass(frozen=True)
class Probe:
    """A request that proves an API is served: `path` (with query) and its credential headers."""

    label: str
    path: str
    headers: Mapping[str, str]


@dataclass(frozen=True)
class Launch:
    """One process of a server and the APIs it must answer before it counts as started."""

    label: str
    argv: Sequence[str]
    port: int
    probes: Sequence[Probe]
    cwd: Path
    env: Mapping[str, str] | None = None


@dataclass
class Server:
    name: str
    launches: list[Launch]
    processes: list[subprocess.Popen[bytes]]
    logs: list[Path]
    started_at: float = 0.0
    startup_s: float = 0.0
    first_answers: dict[str, dict[str, float | int]] = field(default_factory=dict)

    def port(self, label: str | None = None) -> int:
        for launch in self.launches:
            if label is None or launch.label == label:
                return launch.port
        raise KeyError(label)

    def rss_kib(self) -> int:
        """VmRSS of every process of the server and their children, summed."""
        return sum(rss_kib(p.pid) for p in self.processes)

    def rss_per_process_mib(self) -> dict[str, float]:
        return {
            launch.label: round(rss_kib(p.pid) / 1024, 1)
            for launch, p in zip(self.launches, self.processes, strict=True)
        }

    def cpu_s(self) -> float:
        """CPU time (user + system) used so far by the server's processes and their children."""
        return sum(cpu_s(p.pid) for p in self.processes)

    def alive(self) -> bool:
        return all(p.poll() is None for p in self.processes)

    def log_tail(self, lines: int = 15) -> str:
        tails = []
        for log in self.logs:
            text = log.read_text(encoding="utf-8", errors="replace") if log.exists() else ""
            tails.append(f"--- {log}\n" + "\n".join(text.splitlines()[-lines:]))
        return "\n".join(tails)

    def stop(self) -> None:
        for process in self.processes:
            _signal(process, signal.SIGTERM)
        for process in self.processes:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                _signal(process, signal.SIGKILL)
                process.wait(timeout=10)


def _signal(process: subprocess.Popen[bytes], sig: signal.Signals) -> None:
    """Signal the process group the server was started in (its own session; pgid = its pid)."""
    if process.poll() is not None:
        return
    with suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _children() -> dict[int, list[int]]:
    tree: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        ppid = int(stat.rsplit(")", 1)[1].split()[1])
        tree.setdefault(ppid, []).append(int(entry.name))
    return tree


def rss_kib(pid: int) -> int:
    """VmRSS (KiB) of `pid` and its descendants, from /proc/PID/status."""
    tree = _children()
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += tree.get(current, [])
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
    return total


def cpu_s(pid: int) -> float:
    """utime + stime (seconds) of `pid` and its live descendants, from /proc/PID/stat."""
    tree = _children()
    ticks, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += tree.get(current, [])
        try:
            fields = Path(f"/proc/{current}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])  # fields 14 and 15 of stat(5)
    return ticks / os.sysconf("SC_CLK_TCK")


def system_busy_s() -> float:
    """CPU time (seconds, all CPUs) the whole machine spent busy since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    user, nice, system, _idle, _iowait, irq, softirq, steal = (fields + [0] * 8)[:8]
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


def get(port: int, path: str, headers: Mapping[str, str], timeout: float = 5.0) -> tuple[int, bytes] | None:
    """GET on the loopback; None when nothing answers (yet)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=timeout)
    try:
        connection.request("GET", path, headers=dict(headers))
        response = connection.getresponse()
        return response.status, response.read()
    except (OSError, http.client.HTTPException):
        return None
    finally:
        connection.close()


@contextmanager
def running(name: str, launches: Sequence[Launch], logdir: Path) -> Iterator[Server]:
    """Start every launch at once; ready when each probe has had an answer; stopped on exit."""
    logdir.mkdir(parents=True, exist_ok=True)
    server = Server(name, list(launches), [], [])
    try:
        server.started_at = time.monotonic()
        for launch in launches:
            log = logdir / f"{name}-{launch.label}.log"
            with log.open("wb") as out:
                try:
                    process = subprocess.Popen(
                        list(launch.argv),
                        cwd=launch.cwd,
                        env=dict(launch.env) if launch.env is not None else None,
                        stdin=subprocess.DEVNULL,
                        stdout=out,
                        stderr=subprocess.STDOUT,
                        start_new_session=True,
                    )
                except OSError as exc:
                    raise BenchError(f"{name}: cannot start {launch.argv[0]}: {exc}") from None
            server.processes.append(process)
            server.logs.append(log)
        _wait_ready(server)
        yield server
    finally:
        server.stop()


def _wait_ready(server: Server) -> None:
    pending = [(launch, probe) for launch in server.launches for probe in launch.probes]
    deadline = server.started_at + STARTUP_TIMEOUT
    while pending:
        if time.monotonic() > deadline:
            labels = ", ".join(f"{launch.label}/{probe.label}" for launch, probe in pending)
            raise BenchError(
                f"{server.name}: no answer within {STARTUP_TIMEOUT:g} s from {labels}\n" + server.log_tail()
            )
        for process, launch in zip(server.processes, server.launches, strict=True):
            if process.poll() is not None:
                raise BenchError(
                    f"{server.name}: {launch.label} exited with {process.returncode} during startup\n"
                    + server.log_tail()
                )
        still = []
        for launch, probe in pending:
            answer = get(launch.port, probe.path, probe.headers, timeout=2.0)
            if answer is None:
                still.append((launch, probe))
                continue
            elapsed = time.monotonic() - server.started_at
            server.first_answers[f"{launch.label}/{probe.label}"] = {"seconds": elapsed, "status": answer[0]}
            server.startup_s = max(server.startup_s, elapsed)
        pending = still
        if pending:
            time.sleep(0.01)


def mock_launch(
    project: Path, port: int, probes: Sequence[Probe], label: str = "mock", workers: int = 1
) -> Launch:
    """`python -m mockserver serve`: every spec, default seed, access log off, one worker unless told."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    env["MOCKSERVER_ACCESS_LOG"] = "false"
    argv = [sys.executable, "-m", "mockserver", "serve", "--host", HOST, "--port", str(port)]
    if workers > 1:
        argv += ["--workers", str(workers)]
    return Launch(label, argv, port, probes, cwd=project, env=env)
