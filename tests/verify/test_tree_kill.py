"""`mockserver verify` over real HTTP against the tree fakes: a broken vendor fact fails the run
naming `tree_invariants`' rule; a departure from a spec decision is drift, never a failure."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import launch
from tests.verify.test_kill_rate import run_verify
from tests.verify.tree_fake import TREE_BREAKAGES

pytestmark = pytest.mark.verify


@pytest.mark.parametrize("name", sorted(TREE_BREAKAGES))
def test_verify_fails_a_broken_fact_and_keeps_drift_out_of_the_failures(name: str, tmp_path: Path) -> None:
    breakage = TREE_BREAKAGES[name]
    fake = launch("tests.verify.tree_fake", "--break", name, tmp=tmp_path)
    try:
        result = run_verify("oracle_selfservice", fake.base_url)
    finally:
        fake.stop()
    if breakage.fact:
        assert result.returncode == 1, result.stdout
        assert f"FAIL {breakage.check}" in result.stdout, result.stdout
    else:  # a spec decision: shown as drift, never a failure
        assert f"WARN {breakage.check}" in result.stdout, result.stdout
        assert f"FAIL {breakage.check}" not in result.stdout, result.stdout
        assert result.returncode == 0, result.stdout
