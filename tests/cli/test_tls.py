"""`mockserver serve --tls`: HTTPS with a generated localhost certificate a client can trust."""

from __future__ import annotations

import ssl
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.conftest import CREDENTIALS, ROOT, free_port


def test_tls_serves_https_that_a_client_trusts_with_the_printed_ca(tmp_path: Path) -> None:
    port = free_port()
    log = tmp_path / "tls.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "mockserver",
                "serve",
                "--tls",
                "--tls-dir",
                str(tmp_path / "tls"),
                "--port",
                str(port),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    ca = tmp_path / "tls" / "ca.pem"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(
                    f"https://localhost:{port}/rest/v1/executions/1234",
                    headers=CREDENTIALS["etlworks"],
                    verify=ssl.create_default_context(cafile=str(ca)),
                    timeout=5,
                )
                break
            except (httpx.TransportError, FileNotFoundError):
                assert time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"https://localhost:{port}/", timeout=5)  # not trusted without the CA
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert response.status_code == 200 and response.json()["flowId"] == 1234
    text = log.read_text()
    assert f"curl --cacert {ca}" in text and f"https://127.0.0.1:{port}/" in text


def test_cert_without_key_is_a_usage_error(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "mockserver",
            "serve",
            "--cert",
            str(tmp_path / "c.pem"),
            "--port",
            str(free_port()),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode == 2 and "--cert needs" in result.stderr


def test_cert_and_key_serve_your_own_certificate(tmp_path: Path) -> None:
    import trustme

    ca = trustme.CA()
    issued = ca.issue_cert("localhost", "127.0.0.1")
    cert, key, ca_file = tmp_path / "cert.pem", tmp_path / "key.pem", tmp_path / "ca.pem"
    issued.cert_chain_pems[0].write_to_path(str(cert))
    issued.private_key_pem.write_to_path(str(key))
    ca.cert_pem.write_to_path(str(ca_file))
    port = free_port()
    log = tmp_path / "own-cert.log"
    with log.open("wb") as out:
        process = subprocess.Popen(
            [
                *(sys.executable, "-m", "mockserver", "serve"),
                *("--cert", str(cert), "--key", str(key), "--port", str(port)),
            ],
            cwd=ROOT,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    trusted = ssl.create_default_context(cafile=str(ca_file))
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                response = httpx.get(
                    f"https://127.0.0.1:{port}/rest/v1/executions/77",
                    headers=CREDENTIALS["etlworks"],
                    verify=trusted,
                    timeout=5,
                )
                break
            except httpx.TransportError:
                assert process.poll() is None and time.monotonic() < deadline, log.read_text()
                time.sleep(0.1)
        with pytest.raises(httpx.ConnectError):  # the generated local CA is not what signed it
            httpx.get(f"https://127.0.0.1:{port}/", timeout=5)
    finally:
        process.terminate()
        process.wait(timeout=10)
    assert response.status_code == 200 and response.json()["flowId"] == 77
    assert f"https://127.0.0.1:{port}/" in log.read_text()
