"""Start `mockserver serve`: check the port, print what is served, run uvicorn (one or more workers)."""

from __future__ import annotations

import argparse
import errno
import logging
import os
import signal
import socket
import sys
import warnings
from collections.abc import Sequence
from dataclasses import replace
from typing import Any

__all__ = ["quiet_dependency_warnings", "render_banner", "run_serve", "worker_app"]


def fail(message: str) -> int:
    """Print one usage or input error line; exit code 2."""
    print(f"mockserver: error: {message}", file=sys.stderr)
    return 2


def quiet_dependency_warnings() -> None:
    # Connexion 3.3 imports starlette.testclient, which warns under Starlette 1.x; users
    # of the mock cannot act on it.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")


def worker_app() -> Any:
    """The app of one `--workers` process (uvicorn imports this in each), without dependency warnings."""
    quiet_dependency_warnings()
    from mockserver.app import create_app_from_environ

    return create_app_from_environ()


def render_banner(apis: Sequence[Any], settings: Any, base: str) -> str:
    """What the server serves: each API with its base URL, the UI and the control API."""
    from mockserver.settings import spec_source

    count = f"{len(apis)} API{'' if len(apis) == 1 else 's'}"
    lines = [f"mockserver: serving {count} from {spec_source(settings.specs)} on {base}/"]
    width = max([len(api.slug) for api in apis] + [len("control API")]) + 2
    for api in apis:
        lines.append(f"  {api.slug:<{width}}{base}{api.base_path}/  {api.title}")
    lines.append(f"  {'UI':<{width}}{base}/  the APIs, each with its Swagger UI and spec")
    lines.append(f"  {'control API':<{width}}{base}/__mock/  health, reset, journal, polls, scenarios, clock")
    return "\n".join(lines)


def run_serve(args: argparse.Namespace) -> int:
    """Serve the specs as the flags say; returns the exit code."""
    quiet_dependency_warnings()
    from mockserver.settings import Settings
    from mockserver.store import shared_for_workers

    tls_args = ("tls", "cert", "key", "tls_dir")
    flags = {k: v for k, v in vars(args).items() if k != "command" and k not in tls_args}
    flags["specs"] = tuple(args.specs) or None
    flags["tokens"] = tuple(args.tokens) if args.tokens else None
    settings = Settings.from_sources(flags)
    # --workers N > 1 share one store: a private SQLite file unless --state names one.
    with shared_for_workers(settings.state, settings.workers) as url:
        return _serve(args, replace(settings, state=url))


def _serve(args: argparse.Namespace, settings: Any) -> int:
    import uvicorn

    from mockserver.app import create_app
    from mockserver.settings import UVICORN_OPTIONS, parse_origin, to_environ

    _check_store(settings)
    app = create_app(settings)
    with socket.socket() as probe:
        # As uvicorn binds its own socket: a port whose last connections sit in TIME_WAIT is free.
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind((settings.host, settings.port))
        except OSError as exc:
            reason = "address in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            return fail(f"cannot listen on {settings.host}:{settings.port}: {reason}")
    if settings.host not in ("127.0.0.1", "localhost", "::1"):
        print(
            f"mockserver: warning: bound to {settings.host}, reachable beyond this machine",
            file=sys.stderr,
        )
    server = app.server  # type: ignore[attr-defined]
    ssl: dict[str, str] = {}
    scheme = "http"
    if args.tls or args.cert:
        from mockserver.tls import TlsFiles, default_tls_dir, ensure_localhost_cert, trust_hint

        if args.cert:
            if not args.key or not args.cert.is_file() or not args.key.is_file():
                return fail("--cert needs an existing certificate file and --key its private key file")
            files = TlsFiles(args.cert, args.key, None)
        else:
            files = ensure_localhost_cert(args.tls_dir or default_tls_dir())
        ssl = {"ssl_certfile": str(files.cert), "ssl_keyfile": str(files.key)}
        scheme = "https"
        print(f"mockserver: {trust_hint(files)}", file=sys.stderr)
    print(
        render_banner(server.apis, settings, f"{scheme}://{settings.host}:{settings.port}"), file=sys.stderr
    )
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    # Connexion logs each refused credential at INFO ("No auth provided. Aborting with 401."):
    # the request line already says 401.
    logging.getLogger("connexion").setLevel(logging.WARNING)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM (in-flight requests finish), then raises the
    # signal again for the previous handler: make that a no-op so the exit code is 0.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: None)
    if settings.workers > 1:
        # Every worker rebuilds the same settings; the clock origin is fixed once, here, so all
        # workers place every timeline at the same moment; they share the store named by `state`.
        origin = repr(parse_origin(settings.clock_origin))
        os.environ.update(to_environ(replace(settings, clock_origin=origin)))
        uvicorn.run(
            "mockserver.launch:worker_app",
            factory=True,
            workers=settings.workers,
            host=settings.host,
            port=settings.port,
            **ssl,  # type: ignore[arg-type]
            **UVICORN_OPTIONS,
        )
        _print_report(settings, server)
        return 0
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        **ssl,  # type: ignore[arg-type]
        **UVICORN_OPTIONS,
    )
    _print_report(settings, server)
    return 0


def _check_store(settings: Any) -> None:
    """Refuse to start (ConfigError, exit 2) when the state store does not answer."""
    import asyncio

    from mockserver.exceptions import ConfigError, StateUnavailable
    from mockserver.store import from_settings

    async def ping() -> None:
        store = from_settings(settings)
        try:
            await store.ping()
        finally:
            await store.close()

    log = logging.getLogger("mockserver.state")
    log.disabled = True  # the one line is the error below
    try:
        asyncio.run(ping())
    except StateUnavailable as exc:
        raise ConfigError(f"--state: {exc}") from None
    finally:
        log.disabled = False


def _print_report(settings: Any, server: Any) -> None:
    """The poll report of the default session at shutdown (read before a private store is removed)."""
    import asyncio

    from mockserver.exceptions import StateUnavailable
    from mockserver.server.polls import shutdown_report
    from mockserver.store import MemoryStore, from_settings

    async def entries() -> list[Any]:
        store = server.store if isinstance(server.store, MemoryStore) else from_settings(settings)
        try:
            return await store.recent("")
        finally:
            if store is not server.store:
                await store.close()

    try:
        found = asyncio.run(entries())
    except StateUnavailable:
        return
    if report := shutdown_report(found, server.apis):
        print(report, file=sys.stderr)
