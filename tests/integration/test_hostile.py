"""Hostile input never gets a 500, a crash or a hang; the server keeps telling the truth."""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import CREDENTIALS, RunningServer

PREFIXES = [
    "/rest/v1/executions/",
    "/plugins/dashboard/rest/v1/flows/",
    "/api/v3/oneprovider/automation/execution/workflows/",
    "/v1/spaces/acme/projects/web/workflowRuns/",
    "/api/v1/accounts/acme/definitions/",
    "/selfservice/v1/executions/",
    "/__mock/",
    "/",
]
NASTY = [
    "../../etc/passwd",
    "%2e%2e%2f",
    "..%2F..%2F",
    "%ZZ",
    "%C3%28",
    "%00",
    "\\..\\",
    "a" * 3000,
    "%FF%FE",
]
METHODS = ["GET", "HEAD", "OPTIONS", "POST", "PUT", "DELETE", "PATCH", "TRACE", "BREW", "G3T"]


def _raw(base_url: str, request: bytes) -> bytes:
    """Send raw bytes on a fresh connection; return what came back (the server may close)."""
    parts = urlsplit(base_url)
    with socket.create_connection((parts.hostname or "127.0.0.1", parts.port or 80), timeout=10) as sock:
        sock.sendall(request)
        chunks = []
        while True:
            try:
                chunk = sock.recv(65536)
            except (ConnectionResetError, TimeoutError):
                break
            if not chunk:
                break
            chunks.append(chunk)
            if b"\r\n\r\n" in b"".join(chunks) and b"content-length: 0" in b"".join(chunks).lower():
                break
        return b"".join(chunks)


def _status(answer: bytes) -> int | None:
    if not answer.startswith(b"HTTP/1.1 "):
        return None
    return int(answer[9:12])


segment = st.one_of(
    st.sampled_from(NASTY),
    st.text(alphabet=st.characters(codec="utf-8", exclude_characters="\r\n /?#"), max_size=40),
    st.binary(max_size=20).map(lambda b: "".join(f"%{x:02X}" for x in b)),
)
query = st.lists(
    st.tuples(st.sampled_from(["id", "limit", "offset", "auditId", "status", "stepId", "x", ""]), segment),
    max_size=6,
).map(lambda pairs: "&".join(f"{k}={v}" for k, v in pairs))


@given(
    method=st.sampled_from(METHODS),
    prefix=st.sampled_from(PREFIXES),
    tail=segment,
    params=query,
    extra=st.dictionaries(
        st.sampled_from(["Prefer", "X-Auth-Token", "Accept", "X-Junk"]), segment, max_size=3
    ),
    body=st.binary(max_size=200),
)
@settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
def test_raw_requests_never_get_a_server_error(
    server: RunningServer,
    method: str,
    prefix: str,
    tail: str,
    params: str,
    extra: dict[str, str],
    body: bytes,
) -> None:
    target = (prefix + tail + (f"?{params}" if params else "")).encode("utf-8", "surrogateescape")
    headers = {**CREDENTIALS["etlworks"], **extra, "Content-Length": str(len(body)), "Connection": "close"}
    head = b"".join(f"{k}: {v}\r\n".encode("utf-8", "surrogateescape") for k, v in headers.items())
    answer = _raw(
        server.base_url, method.encode() + b" " + target + b" HTTP/1.1\r\nHost: x\r\n" + head + b"\r\n" + body
    )
    status = _status(answer)
    assert status is not None, f"no HTTP answer to {method} {target[:80]!r}: {answer[:100]!r}"
    assert status < 500, answer[:300]


@pytest.mark.parametrize("nasty", NASTY, ids=range(len(NASTY)))
def test_traversal_ids_never_read_files(client: httpx.Client, nasty: str) -> None:
    for prefix in PREFIXES[:6]:
        response = client.get(prefix + nasty, headers={**CREDENTIALS["etlworks"], **CREDENTIALS["onedata"]})
        assert response.status_code < 500
        assert "root:" not in response.text


def test_oversized_requests_get_a_clear_4xx(client: httpx.Client, server: RunningServer) -> None:
    assert (
        client.get(
            "/rest/v1/executions/1?auditId=" + "9" * 20000, headers=CREDENTIALS["etlworks"]
        ).status_code
        == 400
    )
    huge = {**CREDENTIALS["etlworks"], "X-Big": "b" * 60000}
    assert client.get("/rest/v1/executions/1", headers=huge).status_code < 500
    answer = _raw(
        server.base_url, b"GET /" + b"a" * 100_000 + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    # uvicorn refuses a request line past its limit itself, with a 400 (never silence).
    assert _status(answer) == 400, answer[:300]


def test_head_options_and_unknown_methods(client: httpx.Client) -> None:
    assert client.head("/rest/v1/executions/1", headers=CREDENTIALS["etlworks"]).status_code == 200
    options = client.options("/rest/v1/executions/1", headers=CREDENTIALS["etlworks"])
    assert options.status_code == 405 and options.headers["allow"] == "GET"
    body_on_get = client.request(
        "GET", "/rest/v1/executions/1", headers=CREDENTIALS["etlworks"], content=b"{]"
    )
    assert body_on_get.status_code == 200


def test_still_answers_correctly_after_the_abuse(client: httpx.Client) -> None:
    body = client.get("/rest/v1/executions/4321", headers=CREDENTIALS["etlworks"]).json()
    assert body["flowId"] == 4321
    assert client.get("/__mock/health").json()["status"] == "ok"
