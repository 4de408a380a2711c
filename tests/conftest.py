"""Shared fixtures: the project's paths, credentials per API, and a real server in a subprocess."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parent.parent
SPECS = ROOT / "specs"
FIXTURES = ROOT / "fixtures"
DATA = Path(__file__).resolve().parent / "data"
SLUGS = ("codecatalyst", "eightbyeight", "etlworks", "onedata", "oracle_selfservice")

# Well-formed credentials each API's security scheme accepts.
CREDENTIALS = {
    "codecatalyst": {"Authorization": "Bearer test-token"},
    "eightbyeight": {"Authorization": "Bearer test-token"},
    "etlworks": {"Authorization": "Bearer test-token"},
    "onedata": {"X-Auth-Token": "test-token"},
    "oracle_selfservice": {
        "Authorization": "Bearer aaa.bbb.ccc",
        "Identifier": "2f1c6a52-0c1e-4f0e-9d37-0f6f0c0b8a11",
    },
}
# The credential values above; a server started with these as --token refuses any other.
TOKENS = tuple(sorted({value.removeprefix("Bearer ") for h in CREDENTIALS.values() for value in h.values()}))
ALL_CREDENTIALS = {k: v for headers in CREDENTIALS.values() for k, v in headers.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@dataclass
class RunningServer:
    """A mock started with `python -m mockserver serve` on a free loopback port."""

    process: subprocess.Popen[bytes]
    base_url: str
    log: Path

    def client(self) -> httpx.Client:
        return httpx.Client(base_url=self.base_url, timeout=10)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()


def start_server(
    *args: str, tmp: Path, env: dict[str, str] | None = None, port: int | None = None
) -> RunningServer:
    """`python -m mockserver serve ARGS` on a free loopback port (or `port`), once it answers `/`."""
    return launch("mockserver", "serve", *args, tmp=tmp, env=env, port=port)


def launch(
    module: str, *args: str, tmp: Path, env: dict[str, str] | None = None, port: int | None = None
) -> RunningServer:
    """`python -m MODULE ARGS --port P` on a free loopback port (or `port`), once it answers `/`."""
    port = free_port() if port is None else port
    log = tmp / f"{module.rsplit('.', 1)[-1]}-{port}.log"
    while log.exists():  # a restart on the same port keeps the earlier log
        log = log.with_stem(log.stem + "+")
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    environment.update(env or {})
    with log.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", module, *args, "--port", str(port)],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=environment,
        )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited {process.returncode}: {log.read_text()}")
        try:
            httpx.get(base + "/", timeout=1)
            return RunningServer(process, base, log)
        except httpx.TransportError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError(f"server did not answer within 20 s: {log.read_text()}")


@pytest.fixture(scope="session")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """The mock with every spec, default seed, response validation on (fail closed)."""
    running = start_server("--validate-responses", tmp=tmp_path_factory.mktemp("server"))
    yield running
    running.stop()


@pytest.fixture(scope="session")
def client(server: RunningServer) -> Iterator[httpx.Client]:
    with server.client() as http:
        yield http
