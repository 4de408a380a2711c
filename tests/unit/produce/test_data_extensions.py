"""Lint checks the data extensions: `x-faker` providers and args, tree states, `x-mock-items`."""

from __future__ import annotations

from pathlib import Path

from mockserver.lint import check_spec
from tests.conftest import SPECS


def _lint(tmp_path: Path, slug: str, old: str, new: str) -> list[str]:
    text = (SPECS / f"{slug}.yaml").read_text()
    assert old in text
    path = tmp_path / f"{slug}.yaml"
    path.write_text(text.replace(old, new, 1))
    return [str(f) for f in check_spec(path)]


def test_the_project_specs_lint_clean() -> None:
    for slug in ("oracle_selfservice", "etlworks", "onedata", "eightbyeight"):
        assert check_spec(SPECS / f"{slug}.yaml") == []


def test_a_mistyped_faker_provider_is_named_with_a_suggestion(tmp_path: Path) -> None:
    found = _lint(tmp_path, "eightbyeight", "provider: hexify", "provider: hexifi")
    assert len(found) == 1 and "'hexifi' is not a Faker provider; did you mean 'hexify'?" in found[0]


def test_faker_args_the_provider_refuses_are_reported(tmp_path: Path) -> None:
    found = _lint(tmp_path, "eightbyeight", "args: {text:", "args: {txt:")
    assert len(found) == 1 and "hexify(" in found[0] and "fails" in found[0]


def test_a_faker_value_the_schema_rejects_is_reported(tmp_path: Path) -> None:
    found = _lint(tmp_path, "etlworks", "{provider: random_int, args: {min: 1, max: 40}}", "word")
    assert any("which the schema rejects" in f for f in found), found


def test_a_tree_state_that_is_no_lifecycle_state_is_named(tmp_path: Path) -> None:
    found = _lint(tmp_path, "oracle_selfservice", "proceed: [Completed]", "proceed: [Complete]")
    assert (
        found and "tree state 'Complete' is not a lifecycle state" in found[0] and "'Completed'" in found[0]
    )


def test_a_unique_tree_field_must_be_a_property_of_the_children(tmp_path: Path) -> None:
    found = _lint(tmp_path, "oracle_selfservice", "unique: [/name]", "unique: [/title]")
    assert len(found) == 1 and "tree unique field /title is not a property" in found[0]


def test_tree_siblings_must_be_sequence_or_parallel(tmp_path: Path) -> None:
    found = _lint(tmp_path, "oracle_selfservice", "siblings: sequence", "siblings: serial")
    assert found and "extension-valid" in found[0] and "siblings" in found[0]


def test_item_counts_are_a_pair(tmp_path: Path) -> None:
    found = _lint(tmp_path, "onedata", "x-mock-items: [1, 3]", "x-mock-items: [1]")
    assert found and "extension-valid" in found[0]


def test_a_variant_naming_no_property_or_a_value_its_schema_rejects_is_reported(tmp_path: Path) -> None:
    typo = _lint(
        tmp_path,
        "etlworks",
        "startedBy: scheduler, messageId: null}",
        "startedBi: scheduler, messageId: null}",
    )
    assert len(typo) == 1 and "'startedBi' is not a property; did you mean 'startedBy'?" in typo[0]
    wrong = _lint(tmp_path, "etlworks", "{triggerType: flow.execution.scheduler,", "{triggerType: cron,")
    assert len(wrong) == 1 and "'cron'" in wrong[0] and "x-mock-variants/0/triggerType" in wrong[0]
