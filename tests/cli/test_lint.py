"""`mockserver lint` as a user runs it: exit codes, one finding per line, and every rule firing."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from mockserver import __version__
from mockserver.lint import RULES
from tests.conftest import DATA, ROOT, free_port

LINT_DATA = DATA / "lint"
# FILE#POINTER RULE: MESSAGE
FINDING = re.compile(r"^(?P<file>\S+)#(?P<pointer>/[^ ]*) (?P<rule>[a-z][a-z-]*): (?P<message>\S.*)$")

# (fixture file stem, the rule it breaks); every rule has a file named after it.
BROKEN = [(rule, rule) for rule in RULES] + [
    ("extension-refs-lifecycle", "extension-refs"),
    ("extension-refs-errors", "extension-refs"),
    ("extension-refs-rollup", "extension-refs"),
]
# A fragment of the message each broken file must produce.
EXPECTED_MESSAGE = {
    "openapi": '"version" is a required property',
    "operation-id": "has no operationId",
    "error-responses": "no 4xx response documented",
    "example-valid": "'sleeping' is not one of",
    "extension-valid": "'NotFound' does not match",
    "extension-unknown": "unknown extension 'x-mock-lifecyle'; did you mean 'x-mock-lifecycle'?",
    "extension-refs": "'path.id' is not a parameter of getThing",
    "extension-refs-lifecycle": "lifecycle state 'finished' is not in the enum",
    "extension-refs-errors": "410 is not a documented response",
    "extension-refs-rollup": "rollup condition 'exploded' is not a lifecycle state of getThing",
    "error-template-valid": "'message' is a required property",
    "decision-governs": "governs '/paths/~1things~1{thingId}/get/parameters/0/shema', which the spec",
    "schema-bounds": "minimum 5, maximum 1: no value is allowed; expected minimum <= maximum",
}

# Where each rule's finding points (JSON pointer into the fixture, `/` escaped as `~1`).
_OP = "/paths/~1things~1{thingId}/get"
POINTERS = {
    "openapi": "/info",
    "operation-id": _OP,
    "error-responses": f"{_OP}/responses",
    "example-valid": f"{_OP}/responses/200/content/application~1json/examples/sample",
    "extension-valid": f"{_OP}/x-mock/errors/notFound",
    "extension-unknown": "/components/schemas/Thing/x-mock-lifecyle",
    "extension-refs": f"{_OP}/x-mock",
    "extension-refs-errors": f"{_OP}/x-mock/errors/notFound",
    "extension-refs-rollup": "/paths/~1things/get/x-mock/collection/rollup",
    "error-template-valid": f"{_OP}/responses/404/x-mock-error",
    "decision-governs": f"{_OP}/parameters/0/x-decision",
    "schema-bounds": "/components/schemas/Thing/properties/count",
}


def run_mockserver(*args: str | Path) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("MOCKSERVER_")}
    return subprocess.run(
        [sys.executable, "-m", "mockserver", *map(str, args)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        check=False,
    )


def relative(path: Path) -> str:
    return str(path.relative_to(ROOT))


def findings(stdout: str) -> list[re.Match[str]]:
    return [match for line in stdout.splitlines() if (match := FINDING.match(line))]


def broken_spec(tmp_path: Path, old: str, new: str) -> Path:
    """A copy of the clean fixture with one text replacement, written to tmp_path."""
    text = (LINT_DATA / "clean.yaml").read_text(encoding="utf-8")
    assert text.count(old) == 1, f"{old!r} must occur once in clean.yaml"
    path = tmp_path / "spec.yaml"
    path.write_text(text.replace(old, new), encoding="utf-8")
    return path


def test_lint_passes_the_project_specs_without_findings() -> None:
    result = run_mockserver("lint")
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert re.search(r"^\d+ specs, 0 findings$", result.stderr, re.MULTILINE), result.stderr


def test_lint_passes_the_clean_fixture() -> None:
    result = run_mockserver("lint", relative(LINT_DATA / "clean.yaml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout == ""
    assert "1 specs, 0 findings" in result.stderr


def test_every_rule_has_a_broken_fixture_named_after_it() -> None:
    names = {path.stem for path in LINT_DATA.glob("*.yaml")}
    assert set(RULES) <= names
    assert {stem for stem, _ in BROKEN} | {"clean"} == names


@pytest.mark.parametrize(("stem", "rule"), BROKEN, ids=[stem for stem, _ in BROKEN])
def test_lint_reports_the_broken_fixture_under_its_rule_only(stem: str, rule: str) -> None:
    spec = relative(LINT_DATA / f"{stem}.yaml")
    result = run_mockserver("lint", spec)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    found = findings(result.stdout)
    assert found, f"no line of the form FILE#POINTER RULE: MESSAGE in:\n{result.stdout}"
    for match in found:
        assert match["file"] == spec
        assert match["pointer"].startswith("/")
        assert match["rule"] == rule, match.group(0)
    assert any(EXPECTED_MESSAGE[stem] in match["message"] for match in found), result.stdout
    assert f"1 specs, {len(found)} findings" in result.stderr


@pytest.mark.parametrize(("stem", "pointer"), POINTERS.items(), ids=list(POINTERS))
def test_lint_points_at_the_broken_node(stem: str, pointer: str) -> None:
    result = run_mockserver("lint", relative(LINT_DATA / f"{stem}.yaml"))
    assert [match["pointer"] for match in findings(result.stdout)] == [pointer], result.stdout


@pytest.mark.parametrize("stem", [stem for stem, _ in BROKEN], ids=[stem for stem, _ in BROKEN])
def test_lint_prints_each_finding_on_one_line(stem: str) -> None:
    result = run_mockserver("lint", relative(LINT_DATA / f"{stem}.yaml"))
    lines = result.stdout.splitlines()
    assert lines
    assert [line for line in lines if not FINDING.match(line)] == []


def test_lint_suggests_the_extension_a_typo_meant() -> None:
    result = run_mockserver("lint", relative(LINT_DATA / "extension-unknown.yaml"))
    assert "did you mean 'x-mock-lifecycle'?" in result.stdout


def test_lint_reports_findings_of_several_files_and_fails_if_any_has_one() -> None:
    result = run_mockserver(
        "lint", relative(LINT_DATA / "clean.yaml"), relative(LINT_DATA / "operation-id.yaml")
    )
    assert result.returncode == 1
    assert [match["rule"] for match in findings(result.stdout)] == ["operation-id"]
    assert "2 specs, 1 findings" in result.stderr


def assert_input_error(result: subprocess.CompletedProcess[str], *fragments: str) -> None:
    """Exit 2, nothing on stdout, one `mockserver: error:` line on stderr naming the problem."""
    assert "Traceback" not in result.stdout + result.stderr, result.stderr
    assert result.returncode == 2, result.stdout + result.stderr
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("mockserver: error: ")
    for fragment in fragments:
        assert fragment in lines[0]


def test_lint_rejects_broken_yaml_naming_file_and_line(tmp_path: Path) -> None:
    spec = tmp_path / "bad.yaml"
    spec.write_text('openapi: 3.0.3\ninfo:\n  title: a: b\n  version: "1"\npaths: {}\n', encoding="utf-8")
    assert_input_error(run_mockserver("lint", spec), "bad.yaml:3", "invalid YAML")


def test_lint_rejects_a_missing_file(tmp_path: Path) -> None:
    spec = tmp_path / "missing.yaml"
    assert_input_error(run_mockserver("lint", spec), "missing.yaml", "cannot read")


@pytest.mark.parametrize(
    ("name", "text"),
    [("list.yaml", "- openapi\n- 3.0.3\n"), ("list.json", '["openapi", "3.0.3"]')],
    ids=["yaml", "json"],
)
def test_lint_rejects_a_document_that_is_not_a_mapping(tmp_path: Path, name: str, text: str) -> None:
    spec = tmp_path / name
    spec.write_text(text, encoding="utf-8")
    assert_input_error(run_mockserver("lint", spec), name, "expected a mapping")


def test_lint_names_a_dangling_ref_without_crashing(tmp_path: Path) -> None:
    spec = broken_spec(tmp_path, '$ref: "#/components/schemas/Thing"', '$ref: "#/components/schemas/Nope"')
    result = run_mockserver("lint", spec)
    output = result.stdout + result.stderr
    assert "Traceback" not in output, output
    assert result.returncode in (1, 2), output
    assert "#/components/schemas/Nope" in output


def test_version_flag_prints_the_version() -> None:
    result = run_mockserver("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"mockserver {__version__}"


def test_lint_help_shows_examples() -> None:
    result = run_mockserver("lint", "--help")
    assert result.returncode == 0
    assert "examples:" in result.stdout
    assert "mockserver lint specs/etlworks.yaml" in result.stdout


def test_serve_refuses_a_spec_whose_bounds_leave_no_value_in_one_line() -> None:
    spec = relative(LINT_DATA / "schema-bounds.yaml")
    result = run_mockserver("serve", "--port", str(free_port()), spec)
    assert_input_error(
        result,
        f"{spec}#/components/schemas/Thing/properties/count",
        "schema-bounds: minimum 5, maximum 1: no value is allowed; expected minimum <= maximum",
    )
