"""The README's snippets run as written: each is read from README.md when the test runs."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from mockserver.cli import _parser
from tests.conftest import ROOT, RunningServer, start_server

README = (ROOT / "README.md").read_text()
DEFAULT_BASE = "http://127.0.0.1:8000"


def section(title: str) -> str:
    """The README text from a heading (or bold paragraph title) to the next one."""
    start = README.index(title)
    following = re.search(r"^(#+ |\*\*[A-Z][^*]*\.\*\* )", README[start + len(title) :], re.M)
    return README[start : start + len(title) + following.start()] if following else README[start:]


def blocks(text: str, language: str) -> list[str]:
    return re.findall(rf"^```{language}\n(.*?)^```$", text, re.M | re.S)


@pytest.fixture(scope="module")
def mock(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    running = start_server(tmp=tmp_path_factory.mktemp("readme"))
    yield running
    running.stop()


def run_shell(snippet: str, base: str) -> subprocess.CompletedProcess[str]:
    """A shell snippet from the README, with the mock's base URL in place of port 8000."""
    return subprocess.run(
        ["bash", "-euo", "pipefail", "-c", snippet.replace(DEFAULT_BASE, base)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_quick_start_waits_then_asks(mock: RunningServer) -> None:
    (snippet,) = blocks(section("## Quick start"), "sh")
    lines = [line for line in snippet.splitlines() if not line.startswith("make ")]
    assert [line.split()[0] for line in lines] == ["python3", "curl"], snippet
    result = run_shell("\n".join(lines), mock.base_url)
    assert result.returncode == 0, result.stderr
    assert httpx.Response(200, content=result.stdout).json()["flowId"] == 1234


def test_one_curl_per_api_answers_with_the_credentials_column(mock: RunningServer) -> None:
    text = section("## The five APIs")
    (snippet,) = blocks(text, "sh")
    result = run_shell(snippet.replace("curl -s", "curl -s -o /dev/null -w '%{http_code}\\n'"), mock.base_url)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == ["200"] * 5, result.stdout
    rows = re.findall(r"^\| `(\w+)` \|.*\| ([^|]*) \|$", text, re.M)
    assert [slug for slug, _ in rows] == [
        "oracle_selfservice",
        "etlworks",
        "onedata",
        "codecatalyst",
        "eightbyeight",
    ]
    requests = dict(re.findall(r'curl -s "\$B(\S+)"((?:\s+\\?\s*-H \'[^\']+\')+)', snippet))
    for slug, credentials in rows:
        headers = dict(pair.split(": ", 1) for pair in re.findall(r"`([\w-]+: [^`]+)`", credentials))
        path = next(p for p in requests if p.startswith(_PREFIX[slug]))
        answer = httpx.get(mock.base_url + path, headers=headers)
        assert answer.status_code == 200, (slug, headers, answer.text)
    # The Oracle row says why `Bearer t` is not enough: the token must be JWT-shaped.
    oracle = dict(rows)["oracle_selfservice"]
    assert "JWT" in oracle and "three dot-separated parts" in oracle
    path = next(p for p in requests if p.startswith(_PREFIX["oracle_selfservice"]))
    identifier = {"Identifier": "2f1c6a52-0c1e-4f0e-9d37-0f6f0c0b8a11"}
    refused = httpx.get(mock.base_url + path, headers={"Authorization": "Bearer t", **identifier})
    assert refused.status_code == 401


_PREFIX = {
    "oracle_selfservice": "/selfservice/",
    "etlworks": "/rest/",
    "onedata": "/api/v3/",
    "codecatalyst": "/v1/spaces/",
    "eightbyeight": "/api/v1/accounts/",
}


def test_commands_block_lists_every_option_of_every_command() -> None:
    (block,) = blocks(section("## Commands"), "")
    _, commands = _parser()
    for name, parser in commands.items():
        usage = " ".join(
            line.strip() for line in re.findall(rf"^mockserver {name} .*(?:\n {{18}}.*)*", block, re.M)
        )
        assert usage, f"no `mockserver {name}` line"
        options = {
            o for a in parser._actions for o in a.option_strings if o.startswith("--") and o != "--help"
        }
        listed = set(re.findall(r"--[a-z][a-z-]*", usage))
        assert listed == options, (name, sorted(options - listed), sorted(listed - options))


def test_the_pytest_plugin_snippet_passes_as_written(pytester: pytest.Pytester) -> None:
    text = section("**pytest plugin.**")
    (snippet,) = blocks(text, "python")
    (args,) = re.findall(r'pytest (--mockserver-args="[^"]*")', text)
    pytester.makepyfile(test_readme=snippet)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", args.replace('"', ""))
    result.assert_outcomes(passed=len(re.findall(r"^def test_", snippet, re.M)))


def test_the_example_command_runs_as_written(mock: RunningServer) -> None:
    (snippet,) = blocks(section("**Examples.**"), "sh")
    assert snippet.startswith(".venv/bin/python examples/")
    if not (ROOT / ".venv" / "bin" / "python").exists():  # the README's venv is this interpreter's
        snippet = snippet.replace(".venv/bin/python", sys.executable, 1)
    result = run_shell(snippet, mock.base_url)
    # Run ...0003 is throttled-then-fails (README, Scenarios): a 429 with Retry-After 1, then FAILED.
    assert result.returncode == 1, result.stdout + result.stderr
    assert "retrying in 1 s after HTTP 429" in result.stderr.splitlines(), result.stderr
    assert result.stdout.splitlines()[-1] == "final: FAILED", result.stdout


@pytest.mark.parametrize("script", sorted(p.name for p in (ROOT / "examples").glob("*_poller.py")))
def test_each_examples_usage_line_names_the_projects_python(script: str) -> None:
    usage = (ROOT / "examples" / script).read_text().split('"""', 2)[1].splitlines()[2]
    assert usage.strip().startswith(f".venv/bin/python examples/{script} --base-url "), usage
    help_run = subprocess.run(
        [str(Path(sys.executable)), f"examples/{script}", "--help"], cwd=ROOT, capture_output=True, text=True
    )
    assert help_run.returncode == 0 and "--base-url" in help_run.stdout
