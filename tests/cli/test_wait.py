"""`mockserver wait URL`: the README's wait-until-ready step, standard library only."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT, free_port, start_server

# `-S`: no site-packages, as on a fresh clone before `make serve` has installed anything.
BARE = [sys.executable, "-S", "-m", "mockserver", "wait"]


def test_wait_exits_0_once_a_server_starting_later_answers(tmp_path: Path) -> None:
    port = free_port()
    waiting = subprocess.Popen(
        [*BARE, f"http://127.0.0.1:{port}/__mock/health", "--timeout", "60"],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    )
    server = start_server(tmp=tmp_path, port=port)
    try:
        _, stderr = waiting.communicate(timeout=60)
    finally:
        server.stop()
    assert waiting.returncode == 0, stderr


def test_wait_exits_1_with_one_line_when_nothing_answers() -> None:
    url = f"http://127.0.0.1:{free_port()}/"
    result = subprocess.run(
        [*BARE, url, "--timeout", "0.5"], cwd=ROOT, capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 1
    assert result.stderr.splitlines() == [f"mockserver: no answer from {url} within 0.5 s"]


def test_wait_refuses_a_url_it_cannot_ask() -> None:
    result = subprocess.run([*BARE, "127.0.0.1:8000"], cwd=ROOT, capture_output=True, text=True, timeout=30)
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert "wait '127.0.0.1:8000'" in result.stderr


def test_wait_on_https_names_an_untrusted_certificate_and_trusts_ssl_cert_file(tmp_path: Path) -> None:
    port = free_port()
    tls_dir = tmp_path / "tls"
    log = tmp_path / "tls.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mockserver",
                "serve",
                "--tls",
                "--tls-dir",
                str(tls_dir),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    url = f"https://127.0.0.1:{port}/"
    try:
        env = {k: v for k, v in os.environ.items() if k != "SSL_CERT_FILE"}
        trusted = subprocess.run(
            [*BARE, url, "--timeout", "60"],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=90,
            env={**env, "SSL_CERT_FILE": str(tls_dir / "ca.pem")},
        )
        untrusted = subprocess.run(
            [*BARE, url, "--timeout", "60"], cwd=ROOT, capture_output=True, text=True, timeout=90, env=env
        )
    finally:
        server.terminate()
        server.wait(timeout=10)
    assert trusted.returncode == 0, trusted.stderr + log.read_text()
    assert untrusted.returncode == 2
    assert untrusted.stderr.splitlines() == [
        f"mockserver: error: wait {url}: the server answers, but its certificate is not trusted"
        " (unable to get local issuer certificate); set SSL_CERT_FILE to its CA (see serve --tls)"
    ]
