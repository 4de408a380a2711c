"""The request log: coloured on a terminal unless NO_COLOR is set; `--quiet` turns it off."""

from __future__ import annotations

import os
import pty
import select
import subprocess
import sys
import time

import httpx
import pytest

from tests.conftest import CREDENTIALS, ROOT, free_port


def _serve_on_a_terminal(*args: str, env: dict[str, str]) -> str:
    """Run the server with a pseudo-terminal as stderr, make one request, stop; what it printed."""
    port = free_port()
    primary, secondary = pty.openpty()
    environment = {k: v for k, v in os.environ.items() if k != "NO_COLOR" and not k.startswith("MOCKSERVER_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "mockserver", "serve", "--port", str(port), *args],
        cwd=ROOT,
        stdout=secondary,
        stderr=secondary,
        env={**environment, **env},
    )
    os.close(secondary)
    output = b""
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                answer = httpx.get(
                    f"http://127.0.0.1:{port}/rest/v1/executions/5",
                    headers=CREDENTIALS["etlworks"],
                    timeout=2,
                )
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline
                time.sleep(0.05)
        assert answer.status_code == 200
        while time.monotonic() < deadline and b"poll report" not in output:
            if b"executions/5" in output:
                process.terminate()
            if select.select([primary], [], [], 0.5)[0]:
                try:
                    output += os.read(primary, 65536)
                except OSError:  # the terminal closed with the process
                    break
            elif "--quiet" in args:
                process.terminate()
    finally:
        process.terminate()
        process.wait(timeout=10)
        os.close(primary)
    return output.decode(errors="replace")


@pytest.mark.parametrize(
    ("args", "env", "expected"),
    [
        ((), {}, "GET /rest/v1/executions/5 \x1b[32m200\x1b[0m "),
        ((), {"NO_COLOR": "1"}, "GET /rest/v1/executions/5 200 "),
    ],
    ids=["colour", "NO_COLOR"],
)
def test_request_lines_on_a_terminal(args: tuple[str, ...], env: dict[str, str], expected: str) -> None:
    output = _serve_on_a_terminal(*args, env=env)
    assert expected in output, output
    if env:
        assert "\x1b[" not in output, output


def test_quiet_prints_no_request_line() -> None:
    output = _serve_on_a_terminal("--quiet", env={})
    assert "mockserver: serving 5 APIs" in output, output
    assert "executions/5" not in output, output
