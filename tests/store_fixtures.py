"""Helpers for the store tests: a real `redis-server` on a free loopback port, and a worker process."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import redis

from mockserver.store import StoreOptions, from_url
from tests.conftest import free_port

__all__ = ["RedisServer", "redis_binary"]


def redis_binary() -> str:
    """The path of `redis-server`; a missing one fails the test with one line saying what to install."""
    found = shutil.which("redis-server")
    if found is None:
        import pytest

        pytest.fail("redis-server not found: install the Debian package (apt-get install redis-server)")
    return found


class RedisServer:
    """A `redis-server` without persistence, bound to 127.0.0.1 on a free port; can be stopped,
    paused (SIGSTOP: it accepts connections but never answers) and started again on the same port."""

    def __init__(self, directory: Path) -> None:
        self.binary = redis_binary()
        self.directory = directory
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        log = (self.directory / f"redis-{self.port}.log").open("ab")
        self.process = subprocess.Popen(
            [
                self.binary,
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.directory),
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        log.close()
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"redis-server exited {self.process.returncode}: see {self.directory}")
            try:
                with redis.Redis(port=self.port, socket_timeout=1) as client:
                    client.ping()
                return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not answer PING within 20 s")

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def client(self) -> redis.Redis:
        return redis.Redis(port=self.port, socket_timeout=5)


async def _take(url: str, key: str, times: int) -> list[int]:
    store = from_url(url, StoreOptions(prefix="shared"))
    try:
        return [(await store.take_turn("", key, "story", (3, None), time.time())).polls for _ in range(times)]
    finally:
        await store.close()


def main(argv: list[str]) -> None:
    """`python -m tests.store_fixtures URL KEY N`: take N turns, print the poll numbers as JSON."""
    url, key, times = argv[0], argv[1], int(argv[2])
    print(json.dumps(asyncio.run(_take(url, key, times))))


if __name__ == "__main__":
    main(sys.argv[1:])
