"""The example pollers in examples/ work against the real mock, as a user would run them."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
import yaml

from tests.conftest import ROOT, SPECS, RunningServer, start_server

pytestmark = pytest.mark.examples

# `flow 20: running`, `execution wf-13: active (lanes: active)`: one observed state per line.
OBSERVED = re.compile(r"^(?:flow|run|execution|instance) (\S+): (\S+)")
POLLING = ("--interval", "0.5", "--max-interval", "2", "--timeout", "90")


@dataclass(frozen=True)
class Case:
    args: tuple[str, ...]
    schema: str  # the schema whose x-mock-lifecycle documents the states
    success: frozenset[str]  # terminal states the example reports with exit code 0


# With seed 0 these runs are still going when a `--clock-origin now` server starts, so the
# examples poll more than once; the assertions hold for any run. A generated 8x8 list's newest
# instance has long finished, so its case uses a definition with a scenario
# (fixtures/eightbyeight/scenarios.yaml) whose newest instance is Runnable for a few polls.
PROJECT = ("--space", "ExampleCorp", "--project", "MyDemoProject")
RUN = (*PROJECT, "--run-id", "a1b2c3d4-5678-90ab-cdef-000000000016")
CASES = {
    "etlworks": Case(("--flow-id", "20"), "FlowStatus", frozenset({"success", "warning"})),
    "codecatalyst": Case(RUN, "GetWorkflowRunResponse", frozenset({"SUCCEEDED"})),
    "onedata": Case(("--execution-id", "wf-13"), "AtmWorkflowExecution", frozenset({"finished"})),
    "eightbyeight": Case(
        ("--account-id", "acme", "--definition-id", "00000000-0000-4000-8000-0000000000a1"),
        "WorkflowInstance",
        frozenset({"Complete"}),
    ),
    "oracle_selfservice": Case(("--id", "E-3", "--id", "E-7"), "ExecutionStatus", frozenset({"success"})),
}


def terminal_states(slug: str, schema: str) -> set[str]:
    """The states of a spec's lifecycle that lead nowhere."""
    document = yaml.safe_load((SPECS / f"{slug}.yaml").read_text())
    states = document["components"]["schemas"][schema]["x-mock-lifecycle"]["states"]
    return {name for name, rule in states.items() if not (rule or {}).get("next")}


def run_example(slug: str, base_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    script = ROOT / "examples" / f"{slug}_poller.py"
    return subprocess.run(
        [sys.executable, str(script), "--base-url", base_url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def observed_states(stdout: str) -> dict[str, list[str]]:
    seen: dict[str, list[str]] = {}
    for line in stdout.splitlines():
        if match := OBSERVED.match(line):
            seen.setdefault(match[1], []).append(match[2])
    return seen


def final_states(stdout: str) -> list[str]:
    return [line.split()[-1] for line in stdout.splitlines() if line.startswith("final: ")]


@pytest.fixture
def live(tmp_path: Path) -> Iterator[RunningServer]:
    """A fresh mock whose runs start when it does, thirty mock seconds per second."""
    running = start_server("--clock-origin", "now", "--time-scale", "30", tmp=tmp_path)
    yield running
    running.stop()


@pytest.fixture(scope="module")
def strict(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningServer]:
    """One mock for the tests that need no clock: only fixtures, unknown ids get the API's 404."""
    running = start_server("--fixtures-only", tmp=tmp_path_factory.mktemp("strict"))
    yield running
    running.stop()


@pytest.mark.parametrize("slug", sorted(CASES))
def test_example_polls_until_a_documented_terminal_state(slug: str, live: RunningServer) -> None:
    case = CASES[slug]
    result = run_example(slug, live.base_url, *case.args, *POLLING)
    report = f"exit {result.returncode}\n{result.stdout}{result.stderr}"
    seen, finals = observed_states(result.stdout), final_states(result.stdout)
    assert seen, report
    assert finals, report
    assert sorted(states[-1] for states in seen.values()) == sorted(finals), report
    assert set(finals) <= terminal_states(slug, case.schema), report
    assert result.returncode == (0 if set(finals) <= case.success else 1), report
    # What the example reported last is what the mock says now: the run has ended there.
    assert sorted(final_states(run_example(slug, live.base_url, *case.args, *POLLING).stdout)) == sorted(
        finals
    ), report


@pytest.mark.parametrize(
    ("slug", "status", "retry"),
    [
        ("codecatalyst", "429", "retrying in 1 s after HTTP 429"),  # the mock's Retry-After: 1
        ("etlworks", "500", "retrying in 0.5 s after HTTP 500"),  # no Retry-After: the example's backoff
    ],
)
def test_example_retries_throttling_and_server_errors_and_still_finishes(
    slug: str, status: str, retry: str, tmp_path: Path
) -> None:
    faulty = start_server(
        *("--clock-origin", "now", "--time-scale", "30"),
        *("--error-rate", "0.4", "--error-status", status, "--fault-seed", "1"),
        tmp=tmp_path,
    )
    try:
        result = run_example(slug, faulty.base_url, *CASES[slug].args, *POLLING)
    finally:
        faulty.stop()
    report = f"exit {result.returncode}\n{result.stdout}{result.stderr}"
    assert retry in result.stderr.splitlines(), report
    finals = set(final_states(result.stdout))
    assert finals and finals <= terminal_states(slug, CASES[slug].schema), report
    assert result.returncode == (0 if finals <= CASES[slug].success else 1), report


# Ids the fixtures pin to scenarios (README, "Scenarios"): each tells a story poll by poll,
# with an error status in between where the story has one. (The poll report does not follow the
# items of 8x8's list, so that example is not judged here.)
# Each with the final state its story ends in, and whether it has a 429 whose Retry-After the
# example must honour (None: the story sends no Retry-After).
SCENARIOS = {
    "codecatalyst": ((*PROJECT, "--run-id", "00000000-0000-4000-8000-000000000003"), "FAILED", True),
    "etlworks": (("--flow-id", "9005"), "success", None),  # flaps to 500, then recovers
    "onedata": (("--execution-id", "scenario-flaps"), "finished", None),
    "oracle_selfservice": (("--id", "9-SUCCEEDS", "--details-id", "3-7JZXAGH"), "success", None),
}


@pytest.mark.parametrize("slug", sorted(SCENARIOS))
def test_mocks_poll_report_finds_the_example_a_polite_poller(slug: str, live: RunningServer) -> None:
    args, final, honoured = SCENARIOS[slug]
    result = run_example(slug, live.base_url, *args, *POLLING)
    output = f"exit {result.returncode}\n{result.stdout}{result.stderr}"
    assert final_states(result.stdout) == [final], output
    assert result.returncode == (0 if final in CASES[slug].success else 1), output
    (polled,) = observed_states(result.stdout)
    summaries = [
        s
        for s in httpx.get(f"{live.base_url}/__mock/polls").json()["polls"]
        if polled in {str(v) for v in s["execution"]["params"].values()}
    ]
    assert len(summaries) == 1, (summaries, output)
    summary = summaries[0]
    assert summary["backedOff"], summary
    assert summary["stoppedWhenTerminal"], summary
    assert summary["honouredRetryAfter"] is honoured, summary


def test_oracle_example_walks_the_step_tree_of_an_execution(strict: RunningServer) -> None:
    ids = ("--id", "3-BLFVC0W", "--id", "3-XTFVC0W", "--details-id", "3-7JZXAGH")
    result = run_example("oracle_selfservice", strict.base_url, *ids)
    assert result.returncode == 0, result.stdout + result.stderr
    tree = result.stdout.split("steps of 3-7JZXAGH:\n", 1)[1].splitlines()
    # The seed's sample tree (fixtures/oracle_selfservice): 159 has children 160 and 161.
    assert tree == [
        "  step 159 RFC Submission: Completed",
        "    step 160 RFC Validation: Completed",
        "    step 161 RFC Queueing: Completed",
        "  step 236 RFC Execution: Queued",
    ]


def test_example_reports_the_apis_404_message_and_exits_2(strict: RunningServer) -> None:
    run = (*PROJECT, "--run-id", "a1b2c3d4-5678-90ab-cdef-00000000beef")  # no fixture: no such run
    result = run_example("codecatalyst", strict.base_url, *run)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith("error: HTTP 404 ResourceNotFoundException: "), result.stderr


@pytest.mark.parametrize(
    ("slug", "args", "expected"),
    [
        ("etlworks", ("--flow-id", "1234", "--token", "invalid-token"), "error: HTTP 401: "),
        (
            "onedata",
            ("--execution-id", "11a53ed06d175c89bc3ed5be61f8217cch1890", "--token", "invalid-token"),
            "error: HTTP 403 forbidden: ",
        ),
    ],
)
def test_example_refused_credentials_exit_2_with_the_apis_message(
    slug: str, args: tuple[str, ...], expected: str, strict: RunningServer
) -> None:
    result = run_example(slug, strict.base_url, *args)
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stderr.startswith(expected), result.stderr
    assert not final_states(result.stdout)
