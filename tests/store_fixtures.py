"""Helpers for the store tests: a real `redis-server` on a free loopback port, and a worker process."""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from mockserver.store import StoreOptions, from_url
from tests.conftest import free_port

__all__ = ["RedisServer", "redis_binary", "redis_server"]


def redis_binary() -> str:
    """The path of `redis-server`; a missing one fails the test with one line saying what to install."""
    found = shutil.which("redis-server")
    if found is None:
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


@pytest.fixture(scope="module")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RedisServer]:
    """A real redis-server for the tests of one module (each test uses its own key prefix)."""
    server = RedisServer(tmp_path_factory.mktemp("redis"))
    server.start()
    yield server
    server.stop()


async def _command(url: str, prefix: str, command: str, key: str, arg: str) -> object:
    store = from_url(url, StoreOptions(prefix=prefix))
    try:
        if command == "take":
            return [
                (await store.take_turn("", key, "story", (3, None), time.time())).polls
                for _ in range(int(arg))
            ]
        if command == "pin":
            await store.pin("", key, arg)
            return arg
        return await store.pinned("", key)
    finally:
        await store.close()


def main(argv: list[str]) -> None:
    """`python -m tests.store_fixtures URL PREFIX take|pin|pinned KEY [N|SCENARIO]`, result as JSON.

    take: N turns of KEY (prints the poll numbers); pin: pins KEY; pinned: prints KEY's pin.
    """
    url, prefix, command, key = argv[:4]
    print(json.dumps(asyncio.run(_command(url, prefix, command, key, (argv[4:] or [""])[0]))))


if __name__ == "__main__":
    main(sys.argv[1:])
