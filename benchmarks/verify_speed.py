"""Time `mockserver verify` and plain `schemathesis run` on the same spec against the local mock."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = ["time_schemathesis", "time_verify"]

TIMEOUT = 600
# "2 operations, 437 cases, 301 succeeded, 1 failures (one_entry_per_id), 2 drift warnings in 8.1 s"
_VERIFY_LAST = re.compile(
    r"(\d+) operations?, (\d+) cases?, (?:\d+ succeeded, )?(\d+) failures?(?: \([^)]*\))?"
    r"(?:, \d+ drift warnings?)? in ([\d.]+) s"
)
_ST_CASES = re.compile(r"(\d+) generated")
_ST_TIME = re.compile(r"in ([\d.]+)s\s*=+\s*$")


def _run(argv: list[str], cwd: Path) -> tuple[int, str, float]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    env.update(NO_COLOR="1", COLUMNS="100")
    started = time.monotonic()
    try:
        done = subprocess.run(
            argv, cwd=cwd, env=env, capture_output=True, text=True, timeout=TIMEOUT, check=False
        )
    except subprocess.TimeoutExpired as exc:
        output = exc.stdout if isinstance(exc.stdout, str) else ""
        return -1, output + f"\n(timed out after {TIMEOUT} s)", time.monotonic() - started
    return done.returncode, done.stdout + done.stderr, time.monotonic() - started


def _tail(text: str, lines: int = 6) -> str:
    return "\n".join(text.strip().splitlines()[-lines:])


def time_verify(
    project: Path, spec: str, root_url: str, headers: Mapping[str, str], max_examples: int
) -> dict[str, Any]:
    """`python -m mockserver verify SPEC --base-url ROOT`; reads its "N operations, M cases, ..." line."""
    argv = [sys.executable, "-m", "mockserver", "verify", spec, "--base-url", root_url]
    argv += [part for name, value in headers.items() for part in ("--header", f"{name}: {value}")]
    argv += ["--max-examples", str(max_examples), "--seed", "0"]
    code, output, wall = _run(argv, project)
    result: dict[str, Any] = {"argv": argv[1:], "exit": code, "wall_s": round(wall, 2)}
    lines = [m for m in (_VERIFY_LAST.search(line) for line in output.splitlines()) if m]
    if not lines:
        result["error"] = f"no summary line in the output:\n{_tail(output)}"
        return result
    operations, cases, failures, seconds = lines[-1].groups()
    result.update(
        operations=int(operations),
        cases=int(cases),
        failures=int(failures),
        reported_s=float(seconds),
        cases_per_s=round(int(cases) / wall, 1) if wall else None,
    )
    if int(failures):
        result["failure_lines"] = [ln.strip() for ln in output.splitlines() if "FAIL" in ln][:10]
    return result


def time_schemathesis(
    project: Path, spec: str, url: str, headers: Mapping[str, str], max_examples: int
) -> dict[str, Any]:
    """Plain `schemathesis run SPEC --url URL -H ...` with the same case budget and seed."""
    binary = Path(sys.executable).parent / "schemathesis"
    argv = [str(binary), "run", spec, "--url", url]
    argv += [part for name, value in headers.items() for part in ("-H", f"{name}: {value}")]
    argv += ["--max-examples", str(max_examples), "--seed", "0"]
    code, output, wall = _run(argv, project)
    result: dict[str, Any] = {"argv": ["schemathesis", *argv[1:]], "exit": code, "wall_s": round(wall, 2)}
    cases = _ST_CASES.search(output)
    if cases is None:
        result["error"] = f"no test-case count in the output:\n{_tail(output)}"
        return result
    result["cases"] = int(cases.group(1))
    result["cases_per_s"] = round(int(cases.group(1)) / wall, 1) if wall else None
    seconds = next((m for m in (_ST_TIME.search(ln) for ln in output.splitlines()) if m), None)
    if seconds is not None:
        result["reported_s"] = float(seconds.group(1))
    if code != 0:
        result["summary"] = _tail(output, 12)
        marked = [line.strip() for line in output.splitlines() if line.strip().startswith("❌")]
        coded = [line for line in marked if re.search(r"\bST\d+\b", line)]  # e.g. "❌ ST203 Missing ..."
        result["failure_lines"] = list(dict.fromkeys(coded or marked))[:10] or [_tail(output, 3)]
    return result
