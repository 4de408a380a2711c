"""Running `mockserver verify` on a server, as the verify tests do: one seed, few examples."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import ROOT, SPECS

__all__ = ["MAX_EXAMPLES", "SEED", "output", "verify"]

MAX_EXAMPLES = 15
SEED = 1


def verify(
    slug: str, base_url: str, headers: dict[str, str], *extra: str
) -> subprocess.CompletedProcess[str]:
    args = [arg for name, value in headers.items() for arg in ("--header", f"{name}: {value}")]
    command = [
        sys.executable,
        "-m",
        "mockserver",
        "verify",
        str(SPECS / f"{slug}.yaml"),
        "--base-url",
        base_url,
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        *args,
        *extra,
    ]
    return subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=600, check=False)


def output(result: subprocess.CompletedProcess[str]) -> str:
    return f"exit {result.returncode}\n--- stdout\n{result.stdout}\n--- stderr\n{result.stderr[-3000:]}"
