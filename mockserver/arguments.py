"""The command line's grammar: commands, options, help examples, one-line usage errors (argparse)."""

# Standard library only (see cli.py): `python3 -m mockserver wait` runs before the venv exists.

from __future__ import annotations

import argparse
import difflib
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import NoReturn

from mockserver import __version__

__all__ = ["build_parser", "did_you_mean"]

_DESCRIPTION = (
    "A contract-testing mock server for the APIs described by OpenAPI specs: serve them, "
    "contract-test a real server against a spec, lint specs, wait for a server to answer."
)

_EXAMPLES = {
    "serve": "examples:\n  mockserver serve\n  mockserver serve specs/onedata.yaml --port 9000 --seed 7\n",
    "lint": "examples:\n  mockserver lint\n  mockserver lint specs/etlworks.yaml\n",
    "wait": (
        "examples:\n  mockserver wait http://127.0.0.1:8000/ --timeout 120\n"
        "exit codes: 0 it answered, 1 no answer within the timeout, 2 usage error\n"
    ),
    "verify": (
        "examples:\n  mockserver verify specs/etlworks.yaml --base-url http://127.0.0.1:8000 \\\n"
        "      --header 'Authorization: Bearer t' --junit-xml verify.xml\n"
        "exit codes: 0 conformant, 1 violations, 2 usage or input error\n"
    ),
}


class _Parser(argparse.ArgumentParser):
    """argparse that reports a usage error in one line (`PROG: error: ...`), exit 2."""

    def error(self, message: str) -> NoReturn:
        if message.startswith("argument COMMAND: invalid choice: "):
            given = message.split("'")[1]
            names = ("serve", "verify", "lint", "wait")
            message = f"unknown command {given!r}{did_you_mean(given, names)}; commands: {', '.join(names)}"
        self.exit(2, f"{self.prog}: error: {message} (see {self.prog} --help)\n")


def did_you_mean(given: str, names: Sequence[str]) -> str:
    """` (did you mean X?)` for the closest of `names`, else nothing."""
    close = difflib.get_close_matches(given, names, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else ""


def _bounded(low: int, high: int | None, what: str) -> Callable[[str], int]:
    """An argparse type: an integer within [low, high], else one line naming what is expected."""

    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            value = low - 1
        if value < low or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"expected {what}, got {text!r}")
        return value

    return parse


_PORT = _bounded(1, 65535, "a port number 1-65535")
_AT_LEAST_1 = _bounded(1, None, "at least 1")


def build_parser() -> tuple[argparse.ArgumentParser, dict[str, argparse.ArgumentParser]]:
    """The top-level parser and each command's own (for its usage errors)."""
    parser = _Parser(prog="mockserver", description=_DESCRIPTION)
    parser.add_argument("--version", action="version", version=f"mockserver {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = commands.add_parser(
        "serve",
        help="serve the APIs of the specs on one port",
        description=(
            "Serve every API of the specs on one port. Without SPEC files: the *.yaml files of a"
            " specs/ folder in the current directory (with its fixtures/, if any), else the five"
            " bundled APIs."
        ),
        epilog=_EXAMPLES["serve"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    serve.add_argument(
        "specs", nargs="*", type=Path, help="spec files (default: ./specs/*.yaml, else the bundled five)"
    )
    serve.add_argument("--host", default=None, help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=_PORT, default=None, help="port 1-65535 (default 8000)")
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
        "--error-status",
        type=_bounded(400, 599, "an error status 400-599"),
        default=None,
        help="status of injected errors, 400-599 (default 500)",
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
        "--workers",
        type=_AT_LEAST_1,
        default=None,
        help="worker processes (same answers from each; default 1)",
    )
    serve.add_argument(
        "--state",
        default=None,
        help="shared state store: redis://host:port/db for replicas (default: memory; SQLite with --workers)",
    )
    serve.add_argument(
        "--state-prefix", default=None, help="prefix of the store's Redis keys (default mockserver)"
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
        "--journal-size", type=_AT_LEAST_1, default=None, help="requests kept in the journal (default 1000)"
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
    lint.add_argument("specs", nargs="*", type=Path, help="spec files (default: as for serve)")
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
    wait = commands.add_parser(
        "wait",
        help="wait until a server answers (any HTTP status)",
        epilog=_EXAMPLES["wait"],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    wait.add_argument("url", help="what to ask, e.g. http://127.0.0.1:8000/")
    wait.add_argument("--timeout", type=float, default=60.0, help="seconds to wait (default 60)")
    return parser, {"serve": serve, "lint": lint, "verify": verify, "wait": wait}
