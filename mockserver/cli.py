"""Command line only: parse, call the library, print, set the exit code (0 fine, 1 findings, 2 input)."""

# Imports stay in the standard library up to the command's own code, so `python3 -m mockserver wait`
# runs from a checkout before its virtual environment is installed (README, Quick start).

from __future__ import annotations

import argparse
import ssl
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Sequence

from mockserver.arguments import build_parser as _parser
from mockserver.arguments import did_you_mean
from mockserver.exceptions import MockServerError

__all__ = ["main"]


def _wait(args: argparse.Namespace) -> int:
    """Ask `url` until an HTTP answer comes (any status); standard library only."""
    parts = urllib.parse.urlsplit(args.url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return _fail(f"wait {args.url!r}: expected an http:// or https:// URL")
    deadline = time.monotonic() + args.timeout
    while True:
        try:
            with urllib.request.urlopen(args.url, timeout=2):
                return 0
        except urllib.error.HTTPError:
            return 0  # an answer, even an error status: the server is up
        except ValueError as exc:  # e.g. a port that is no number
            return _fail(f"wait {args.url!r}: {exc}")
        except urllib.error.URLError as exc:
            if isinstance(exc.reason, ssl.SSLCertVerificationError):
                return _fail(
                    f"wait {args.url}: the server answers, but its certificate is not trusted"
                    f" ({exc.reason.verify_message}); set SSL_CERT_FILE to its CA (see serve --tls)"
                )
        except OSError:
            pass
        if time.monotonic() >= deadline:
            print(f"mockserver: no answer from {args.url} within {args.timeout:g} s", file=sys.stderr)
            return 1
        time.sleep(0.2)


def _verify(args: argparse.Namespace) -> int:
    from mockserver.launch import quiet_dependency_warnings

    quiet_dependency_warnings()
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
    parser, commands = _parser()
    args, extra = parser.parse_known_args(argv)
    if extra:
        command = commands[args.command]
        unknown = next((arg for arg in extra if arg.startswith("-")), None)
        if unknown is None:
            command.error(f"unexpected argument {extra[0]!r}")
        name = unknown.split("=", 1)[0]
        options = [o for action in command._actions for o in action.option_strings if o.startswith("--")]
        command.error(f"unknown option {name}{did_you_mean(name, options)}")
    try:
        if args.command == "wait":
            return _wait(args)
        if args.command == "serve":
            from mockserver.launch import run_serve

            return run_serve(args)
        if args.command == "verify":
            return _verify(args)
        return _lint(args)
    except MockServerError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return 0
