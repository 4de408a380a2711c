"""Session routing: the `X-Mock-Session` header, the `/__session/<name>/` prefix, clear refusals."""

from __future__ import annotations

import pytest

from mockserver.store.sessions import (
    SessionError,
    check_session,
    route_session,
    session_from_headers,
    session_from_path,
    session_scope,
)

ASGI_HEADERS = [(b"host", b"127.0.0.1"), (b"x-mock-session", b"gw1")]


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/__session/ci-7/rest/v1/executions/42", ("ci-7", "/rest/v1/executions/42")),
        ("/__session/ci-7/__mock/journal", ("ci-7", "/__mock/journal")),
        ("/__session/ci-7/", ("ci-7", "/")),
        ("/__session/ci-7", ("ci-7", "/")),
        ("/rest/v1/executions/42", (None, "/rest/v1/executions/42")),
        ("/__sessions/x/y", (None, "/__sessions/x/y")),
    ],
)
def test_the_path_prefix_names_a_session_and_is_stripped(path: str, expected: tuple[str | None, str]) -> None:
    assert session_from_path(path) == expected


@pytest.mark.parametrize("path", ["/__session//runs", "/__session/", "/__session", "/__session/-x/runs"])
def test_a_bad_name_in_the_path_says_what_is_allowed(path: str) -> None:
    with pytest.raises(SessionError, match=r"in the path prefix /__session/<name>/: expected 1-64 letters"):
        session_from_path(path)


def test_the_header_names_a_session() -> None:
    assert session_from_headers(ASGI_HEADERS) == "gw1"
    assert session_from_headers([(b"X-Mock-Session", b" gw1 ")]) == "gw1"
    assert session_from_headers([(b"host", b"x")]) is None
    assert session_from_headers([(b"x-mock-session", b"gw1"), (b"x-mock-session", b"gw1")]) == "gw1"
    with pytest.raises(SessionError, match=r"given more than once with different values: 'a', 'b'"):
        session_from_headers([(b"x-mock-session", b"a"), (b"x-mock-session", b"b")])
    with pytest.raises(SessionError, match=r"session 'my session' in X-Mock-Session: expected"):
        session_from_headers([(b"x-mock-session", b"my session")])


def test_header_and_prefix_together_must_agree() -> None:
    assert route_session("/__session/gw1/runs", ASGI_HEADERS) == ("gw1", "/runs")
    assert route_session("/runs", ASGI_HEADERS) == ("gw1", "/runs")
    assert route_session("/runs", []) == ("", "/runs")
    with pytest.raises(SessionError, match=r"X-Mock-Session 'gw1' and path /__session/gw2/ name different"):
        route_session("/__session/gw2/runs", ASGI_HEADERS)


def test_names() -> None:
    assert check_session("pytest-xdist.gw0_1") == "pytest-xdist.gw0_1"
    for bad in ("", "a" * 65, "a/b", "a}b", "_x", "é"):
        with pytest.raises(SessionError, match=r"expected 1-64 letters, digits"):
            check_session(bad)


def test_the_scope_is_copied_with_path_and_raw_path_stripped() -> None:
    scope = {
        "type": "http",
        "path": "/__session/ci-7/a b",
        "raw_path": b"/__session/ci-7/a%20b",
        "headers": [],
    }
    session, routed = session_scope(scope)
    assert session == "ci-7"
    assert (routed["path"], routed["raw_path"]) == ("/a b", b"/a%20b")
    assert scope["path"] == "/__session/ci-7/a b"  # the original is left alone
    plain = {"type": "http", "path": "/a", "raw_path": b"/a", "headers": ASGI_HEADERS}
    assert session_scope(plain) == ("gw1", plain)
    bare = {"type": "http", "path": "/__session/ci-7", "raw_path": b"/__session/ci-7", "headers": []}
    assert session_scope(bare)[1]["raw_path"] == b"/"
