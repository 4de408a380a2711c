"""Which session a request belongs to: the `X-Mock-Session` header or a `/__session/<name>/` prefix.

Pure functions for the server layer: a client that can change only its base URL puts the prefix
in front of every path (it is stripped before routing); any other client sends the header. No
session is the default one ("").
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

__all__ = [
    "SESSION_HEADER",
    "SESSION_PREFIX",
    "SessionError",
    "check_session",
    "route_session",
    "session_from_headers",
    "session_from_path",
    "session_scope",
]

SESSION_HEADER = "X-Mock-Session"
SESSION_PREFIX = "/__session/"
_HEADER = SESSION_HEADER.lower().encode()
_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")


class SessionError(ValueError):
    """A session the mock cannot use; the message names the value and what is allowed."""


def check_session(name: str, *, where: str = "") -> str:
    """`name` when it is a valid session name, else SessionError (`where`: " in <the source>")."""
    if not _NAME.fullmatch(name):
        raise SessionError(
            f"session {name!r}{where}: expected 1-64 letters, digits, '.', '_' or '-',"
            " starting with a letter or digit"
        )
    return name


def session_from_path(path: str) -> tuple[str | None, str]:
    """(session, path without the prefix) for `/__session/<name>/...`; (None, path) without one."""
    if path != SESSION_PREFIX.rstrip("/") and not path.startswith(SESSION_PREFIX):
        return None, path
    name, slash, rest = path[len(SESSION_PREFIX) :].partition("/")
    check_session(name, where=f" in the path prefix {SESSION_PREFIX}<name>/")
    return name, slash + rest if slash else "/"


def session_from_headers(headers: Iterable[tuple[bytes, bytes]]) -> str | None:
    """The session an ASGI header list names in `X-Mock-Session`, or None."""
    found = {value.decode("latin-1").strip() for name, value in headers if name.lower() == _HEADER}
    if not found:
        return None
    if len(found) > 1:
        values = ", ".join(repr(v) for v in sorted(found))
        raise SessionError(f"{SESSION_HEADER} given more than once with different values: {values}")
    return check_session(found.pop(), where=f" in {SESSION_HEADER}")


def route_session(path: str, headers: Iterable[tuple[bytes, bytes]]) -> tuple[str, str]:
    """(session, path to route) of a request; "" is the default session.

    The header and the prefix may both be given only when they agree.
    """
    in_path, routed = session_from_path(path)
    in_header = session_from_headers(headers)
    if in_path is not None and in_header is not None and in_path != in_header:
        raise SessionError(
            f"{SESSION_HEADER} {in_header!r} and path {SESSION_PREFIX}{in_path}/ name different sessions"
        )
    return in_path or in_header or "", routed


def session_scope(scope: Mapping[str, Any]) -> tuple[str, dict[str, Any]]:
    """(session, a copy of the ASGI scope with the prefix stripped from `path` and `raw_path`)."""
    session, path = route_session(scope["path"], scope.get("headers") or ())
    out = dict(scope)
    if path != scope["path"]:
        out["path"] = path
        raw = scope.get("raw_path")
        if raw:
            rest = raw.split(b"/", 3)
            out["raw_path"] = b"/" + (rest[3] if len(rest) > 3 else b"")
    return session, out
