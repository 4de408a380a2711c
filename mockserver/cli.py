"""Command line only: parse, call the library, print, set the exit code (0 fine, 1 findings, 2 input)."""

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
from pathlib import Path

from mockserver import __version__
from mockserver.exceptions import MockServerError

__all__ = ["main"]

_EXAMPLES = {
    "serve": "examples:\n  mockserver serve\n  mockserver serve specs/onedata.yaml --port 9000 --seed 7\n",
    "lint": "examples:\n  mockserver lint\n  mockserver lint specs/etlworks.yaml\n",
    "verify": (
        "examples:\n  mockserver verify specs/etlworks.yaml --base-url http://127.0.0.1:8000 \\\n"
        "      --header 'Authorization: Bearer t' --junit-xml verify.xml\n"
        "exit codes: 0 conformant, 1 violations, 2 usage or input error\n"
    ),
}


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="mockserver", description=__doc__)
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser(
        "serve",
        help="serve the APIs of the specs on one port",
        epilog=_EXAMPLES["serve"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument("specs", nargs="*", type=Path, help="spec files (default: every file in specs/)")
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8000)")
    serve.add_argument("--seed", type=int, default=None, help="seed of generated data (default 0)")
    serve.add_argument("--fixtures", type=Path, default=None, help="fixture directory (default fixtures/)")
    serve.add_argument(
        "--fixtures-only",
        action="store_const",
        const=True,
        default=None,
        help="unknown ids get the API's own 404 instead of generated data",
    )
    serve.add_argument(
        "--validate-responses",
        action="store_const",
        const=True,
        default=None,
        help="check every response against the spec; fail closed with a problem document",
    )
    serve.add_argument("--time-scale", type=float, default=None, help="mock seconds per real second")
    serve.add_argument(
        "--clock-origin",
        default=None,
        help="where generated timelines start: day (default, start of the UTC day), now, or a time",
    )
    faults = serve.add_argument_group("faults (seeded, only documented statuses)")
    faults.add_argument("--faults", type=Path, default=None, help="fault rules file (YAML), see README")
    faults.add_argument("--latency", default=None, help="added latency: MS or MIN-MAX milliseconds")
    faults.add_argument(
        "--error-rate", type=float, default=None, help="share of requests answered with --error-status"
    )
    faults.add_argument(
        "--error-status", type=int, default=None, help="status of injected errors (default 500)"
    )
    faults.add_argument(
        "--drop-rate", type=float, default=None, help="share of connections dropped mid-answer"
    )
    faults.add_argument("--fault-seed", type=int, default=None, help="seed of the fault draws (default 0)")
    tls = serve.add_argument_group("HTTPS")
    tls.add_argument("--tls", action="store_true", help="serve HTTPS with a generated localhost certificate")
    tls.add_argument("--cert", type=Path, default=None, help="your certificate (PEM); implies HTTPS")
    tls.add_argument("--key", type=Path, default=None, help="the private key of --cert (PEM)")
    tls.add_argument("--tls-dir", type=Path, default=None, help="where the generated CA and certificate live")
    serve.add_argument(
        "--workers", type=int, default=None, help="worker processes (same answers from each; default 1)"
    )
    serve.add_argument("--admin-token", default=None, help="token the /__mock/ control API requires")
    serve.add_argument(
        "--quiet",
        dest="access_log",
        action="store_const",
        const=False,
        default=None,
        help="no log line per request",
    )
    serve.add_argument(
        "--journal-size", type=int, default=None, help="requests kept in the journal (default 1000)"
    )
    serve.add_argument(
        "--token",
        dest="tokens",
        action="append",
        default=None,
        help="a credential that counts as valid (repeatable); default: any well-formed one",
    )

    lint = commands.add_parser(
        "lint",
        help="validate specs: OpenAPI and the project's rules",
        epilog=_EXAMPLES["lint"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    lint.add_argument("specs", nargs="*", type=Path, help="spec files (default: every file in specs/)")
    verify = commands.add_parser(
        "verify",
        help="contract-test a running server against a spec",
        epilog=_EXAMPLES["verify"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    verify.add_argument("spec", type=Path, help="the spec to check the server against")
    verify.add_argument("--base-url", required=True, help="server root, e.g. http://127.0.0.1:8000")
    verify.add_argument("--header", action="append", default=[], help="'Name: value' sent with every request")
    verify.add_argument(
        "--max-examples", type=int, default=50, help="generated cases per operation and phase"
    )
    verify.add_argument("--seed", type=int, default=0, help="seed of the generated cases")
    verify.add_argument("--junit-xml", type=Path, default=None, help="also write a JUnit XML report here")
    verify.add_argument(
        "--strict", action="store_true", help="drift from the spec's own x-decision choices fails too"
    )
    return parser


def _verify(args: argparse.Namespace) -> int:
    _quiet_dependency_warnings()
    from mockserver.verify import render_heading, render_text, run_verify, write_junit

    headers = {}
    for raw in args.header:
        name, sep, value = raw.partition(":")
        if not sep or not name.strip():
            return _fail(f"--header {raw!r}: expected 'Name: value'")
        headers[name.strip()] = value.strip()
    if args.max_examples < 1:
        return _fail("--max-examples must be at least 1")
    report = run_verify(
        args.spec,
        args.base_url,
        headers=headers,
        max_examples=args.max_examples,
        seed=args.seed,
        strict=args.strict,
        progress=lambda line: print(line, file=sys.stderr, flush=True),
        started=lambda empty: print(render_heading(empty), flush=True),
    )
    print(render_text(report, heading=False))
    if args.junit_xml is not None:
        write_junit(report, args.junit_xml)
    return 1 if report.failures else 0


def _fail(message: str) -> int:
    print(f"mockserver: error: {message}", file=sys.stderr)
    return 2


def _quiet_dependency_warnings() -> None:
    # Connexion 3.3 imports starlette.testclient, which warns under Starlette 1.x; users
    # of the mock cannot act on it.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")


def _serve(args: argparse.Namespace) -> int:
    _quiet_dependency_warnings()
    import uvicorn

    from mockserver.app import create_app
    from mockserver.settings import UVICORN_OPTIONS, Settings, parse_origin, to_environ

    tls_args = ("tls", "cert", "key", "tls_dir")
    flags = {k: v for k, v in vars(args).items() if k != "command" and k not in tls_args}
    flags["specs"] = tuple(args.specs) or None
    flags["tokens"] = tuple(args.tokens) if args.tokens else None
    settings = Settings.from_sources(flags)
    app = create_app(settings)
    with socket.socket() as probe:
        try:
            probe.bind((settings.host, settings.port))
        except OSError as exc:
            reason = "address in use" if exc.errno == errno.EADDRINUSE else exc.strerror
            return _fail(f"cannot listen on {settings.host}:{settings.port}: {reason}")
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
                return _fail("--cert needs an existing certificate file and --key its private key file")
            files = TlsFiles(args.cert, args.key, None)
        else:
            files = ensure_localhost_cert(args.tls_dir or default_tls_dir())
        ssl = {"ssl_certfile": str(files.cert), "ssl_keyfile": str(files.key)}
        scheme = "https"
        print(f"mockserver: {trust_hint(files)}", file=sys.stderr)
    print(
        f"mockserver: serving {len(settings.specs)} APIs on {scheme}://{settings.host}:{settings.port}/",
        file=sys.stderr,
    )
    logging.basicConfig(level=logging.INFO, format="%(message)s", stream=sys.stderr)
    # uvicorn shuts down gracefully on SIGINT/SIGTERM (in-flight requests finish), then raises the
    # signal again for the previous handler: make that a no-op so the exit code is 0.
    for stop in (signal.SIGINT, signal.SIGTERM):
        signal.signal(stop, lambda *_: None)
    if settings.workers > 1:
        # Every worker rebuilds the same settings; the clock origin is fixed once, here, so all
        # workers place every timeline at the same moment. Journal and scenarios are per worker.
        origin = repr(parse_origin(settings.clock_origin))
        os.environ.update(to_environ(replace(settings, clock_origin=origin)))
        uvicorn.run(
            "mockserver.app:create_app_from_environ",
            factory=True,
            workers=settings.workers,
            host=settings.host,
            port=settings.port,
            **ssl,  # type: ignore[arg-type]
            **UVICORN_OPTIONS,
        )
        return 0
    uvicorn.run(
        app,
        host=settings.host,
        port=settings.port,
        **ssl,  # type: ignore[arg-type]
        **UVICORN_OPTIONS,
    )
    from mockserver.polls import poll_report, render_poll_line

    for summary in poll_report(server.responder.state.journal):
        print(render_poll_line(summary), file=sys.stderr)
    return 0


def _lint(args: argparse.Namespace) -> int:
    from mockserver.lint import check_spec
    from mockserver.settings import default_spec_dir

    paths = list(args.specs) or sorted(default_spec_dir().glob("*.yaml"))
    if not paths:
        return _fail("no spec files to lint")
    findings = []
    for path in paths:
        findings += check_spec(path)
    for finding in findings:
        print(finding)
    print(f"{len(paths)} specs, {len(findings)} findings", file=sys.stderr)
    return 1 if findings else 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit code."""
    args = _parser().parse_args(argv)
    try:
        if args.command == "serve":
            return _serve(args)
        if args.command == "verify":
            return _verify(args)
        return _lint(args)
    except MockServerError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 0
