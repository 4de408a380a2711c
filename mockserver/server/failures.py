"""Failures raised inside Connexion, answered as the API's native error or the mock's own problem."""

from __future__ import annotations

import logging
from collections.abc import Collection

from connexion.exceptions import NonConformingResponse, ProblemException
from starlette.exceptions import HTTPException

from mockserver.pipeline.parameters import path_parameter_problem
from mockserver.pipeline.prefer import PreferError
from mockserver.pipeline.route import Routes
from mockserver.produce.generate import Generator
from mockserver.render.errors import render_error, render_problem
from mockserver.render.reply import Reply
from mockserver.spec.security import missing_credentials

__all__ = ["FAILURE_TYPES", "failure_reply", "trailing_slash_reply"]

# The exception types Connexion's error handlers are registered for, most specific first.
FAILURE_TYPES: tuple[type[Exception], ...] = (ProblemException, HTTPException, PreferError, Exception)

_KINDS = {400: "invalid", 401: "unauthenticated", 403: "forbidden", 404: "notFound"}
_LOG = logging.getLogger("mockserver")


def failure_reply(
    routes: Routes,
    generator: Generator,
    method: str,
    path: str,
    headers: Collection[str],
    exc: Exception,
    *,
    control: Routes | None = None,
) -> Reply:
    """The reply to a failure: the API's documented error where it has one, else a problem.
    `control` holds the control API's routes (named in a 405's `Allow`)."""
    if isinstance(exc, NonConformingResponse):
        return render_problem("response-invalid", str(exc.detail))
    if isinstance(exc, PreferError):
        return render_problem("bad-prefer", str(exc))
    status = int(getattr(exc, "status", None) or getattr(exc, "status_code", None) or 500)
    detail = str(getattr(exc, "detail", "") or exc)
    if status >= 500 and not isinstance(exc, (HTTPException, ProblemException)):  # the mock's own bug
        _LOG.error("mockserver: mock failure on %s %s: %s: %s", method, path, type(exc).__name__, exc)
    if status == 405:
        allow = ", ".join(routes.allowed(path) or (control.allowed(path) if control else []))
        return render_problem(
            "method-not-allowed",
            f"{method} is not declared for {path}; allowed: {allow}",
            headers={"Allow": allow},
        )
    found = routes.find(method, path)
    if found is None and status == 404 and (near := routes.enclosing(method, path)) is not None:
        # The path is inside an API but fits no template: a path parameter is empty. Where the
        # schema allows an empty id, no such resource exists; otherwise the request is invalid.
        in_path = [p for p in near.parameters if p.location == "path"]
        empty_ok = all(path_parameter_problem([p], {p.name: ""}) is None for p in in_path)
        names = ", ".join(repr(p.name) for p in in_path)
        message = f"no resource at {path}" if empty_ok else f"path parameter {names} is empty in {path}"
        reply = render_error(near, "notFound" if empty_ok else "invalid", message, generator)
        if reply is not None:
            return reply
    if found is None:
        if status == 404:
            hint = routes.closest(path)
            did_you_mean = f"; did you mean {' or '.join(hint)}?" if hint else ""
            return render_problem("no-such-route", f"no API serves {path}{did_you_mean}")
        return _problem(status, detail)
    api, op, params = found
    if status == 404 and isinstance(exc, HTTPException) and not isinstance(exc, ProblemException):
        # Connexion's router refuses a path parameter of the wrong type before validation does.
        problem = path_parameter_problem(op.parameters, params)
        if problem is not None:
            status, detail = 400, problem
        else:  # e.g. an id with a line break, which Starlette's mounts never route
            detail = f"no resource at {path}"
    kind = _KINDS.get(status)
    if kind is None:
        return _problem(status, detail)
    if kind in ("unauthenticated", "forbidden"):
        detail = missing_credentials(api, op, headers) or detail
    reply = render_error(op, kind, detail, generator)
    return reply or render_problem("undocumented-failure", detail)


def trailing_slash_reply(routes: Routes, generator: Generator, method: str, path: str) -> Reply | None:
    """A path that an operation serves without its trailing slash: no vendor API redirects (as
    Starlette would), so it is the API's own 404; None for any other path."""
    stripped = path.rstrip("/")
    if stripped == path or not stripped:
        return None
    ops = [op for api in routes.apis for op in api.operations if op.matches(stripped) is not None]
    if not ops:
        return None
    op = next((o for o in ops if o.method == method), ops[0])
    reply = render_error(op, "notFound", f"no resource at {path}", generator)
    return reply or render_problem("no-such-route", f"no API serves {path}; did you mean {stripped}?")


def _problem(status: int, detail: str) -> Reply:
    return render_problem("mock-failure", detail) if status >= 500 else render_problem("bad-request", detail)
