"""Fixture files: loaded, checked against the spec, matched to requests."""

from __future__ import annotations

from pathlib import Path

import pytest

from mockserver.exceptions import FixtureError
from mockserver.produce.fixtures import load_fixtures
from mockserver.spec.catalog import load_api
from tests.conftest import FIXTURES, SLUGS, SPECS

APIS = [load_api(SPECS / f"{slug}.yaml") for slug in SLUGS]
ETLWORKS = load_api(SPECS / "etlworks.yaml")


def test_project_fixtures_load() -> None:
    fixtures = load_fixtures(FIXTURES, APIS)
    assert len(fixtures) >= 8


def test_most_specific_record_wins(tmp_path: Path) -> None:
    folder = _write(
        tmp_path,
        "- {operation: getFlowStatus, request: {path: {flowId: 7}}, example: seedSample}\n"
        "- {operation: getFlowStatus, request: {path: {flowId: 7}, query: {auditId: 9}}, example: running}\n",
    )
    fixtures = load_fixtures(folder, [ETLWORKS])
    specific = fixtures.find("etlworks", "getFlowStatus", {"path": {"flowId": 7}, "query": {"auditId": 9}})
    general = fixtures.find("etlworks", "getFlowStatus", {"path": {"flowId": 7}, "query": {}})
    assert specific is not None and specific.body["status"] == "running"
    assert general is not None and general.body["status"] == "success"
    assert fixtures.find("etlworks", "getFlowStatus", {"path": {"flowId": 1}, "query": {}}) is None


def _write(tmp_path: Path, text: str) -> Path:
    folder = tmp_path / "etlworks"
    folder.mkdir()
    (folder / "runs.yaml").write_text(text)
    return tmp_path


@pytest.mark.parametrize(
    ("text", "message"),
    [
        (
            "- operation: getFlowStatus\n  body: {status: nope}\n",
            "runs.yaml:1: body does not fit the 200 schema",
        ),
        (
            "- {operation: getFlowStatus, example: seedSample}\n- operation: nosuch\n",
            "runs.yaml:2: operation 'nosuch'",
        ),
        ("- operation: getFlowStatus\n  request: {query: {colour: red}}\n", "no query parameter 'colour'"),
        ("- operation: getFlowStatus\n  status: 404\n", "documents no 404 response"),
        ("- operation: getFlowStatus\n  example: nope\n", "has no example 'nope'"),
        ("- operation: getFlowStatus\n  bodyy: {}\n", "unknown keys ['bodyy']"),
        ("- operation: [unclosed\n", "runs.yaml:2: invalid YAML"),
    ],
    ids=["schema", "operation", "parameter", "status", "example", "typo", "yaml"],
)
def test_bad_fixture_names_file_line_and_reason(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(FixtureError) as error:
        load_fixtures(_write(tmp_path, text), [ETLWORKS])
    assert message in str(error.value)


def test_mock_errors_are_also_builtin_errors() -> None:
    error = FixtureError("bad", where="f.yaml:3")
    assert isinstance(error, ValueError) and str(error) == "f.yaml:3: bad"


def test_a_missing_fixture_directory_is_an_error_when_it_must_exist(tmp_path: Path) -> None:
    with pytest.raises(FixtureError, match="no such fixture directory"):
        load_fixtures(tmp_path / "nodir", [ETLWORKS])
    assert len(load_fixtures(tmp_path / "nodir", [ETLWORKS], must_exist=False)) == 0


def test_a_folder_named_after_no_api_is_an_error_unless_known(tmp_path: Path) -> None:
    (tmp_path / "etlwork").mkdir()
    with pytest.raises(FixtureError, match=r"etlwork: folder 'etlwork' is named after no API; did you mean"):
        load_fixtures(tmp_path, [ETLWORKS])
    assert len(load_fixtures(tmp_path, [ETLWORKS], known={"etlwork"})) == 0
