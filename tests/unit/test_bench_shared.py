"""`benchmarks.shared` judges a row against its baseline round by round, and says so in the table."""

from __future__ import annotations

import pytest

from benchmarks.config import BenchError
from benchmarks.shared import BASELINE, GROUPS, LABELS, _rounds, render, summarise


def _row(rps: float, cpu: float) -> dict[str, float]:
    return {"stateless": rps, "stateless_cpu": cpu, "polls": rps / 2, "polls_cpu": cpu * 2}


def _runs(base: list[float], shared: list[float]) -> dict[str, list[dict[str, float]]]:
    runs = {kind: [_row(100.0, 200.0) for _ in base] for kind in LABELS}
    runs["unshared-workers"] = [_row(rps, 200.0) for rps in base]
    runs["workers"] = [_row(rps, 220.0) for rps in shared]
    return runs


def test_the_share_is_the_median_of_ratios_taken_in_the_same_round() -> None:
    # A slow second round hits both rows: paired, the row keeps 90-95% of its baseline; the ratio
    # of the medians (8,000 / 9,000 = 89%) would misjudge it.
    runs = _runs(base=[10_000, 6_000, 9_000], shared=[9_500, 5_400, 8_000])
    cells = summarise(runs)
    assert cells["workers"]["stateless"] == 8_000  # the median of the row's own rounds
    assert cells["workers"]["stateless_share"] == pytest.approx(5_400 / 6_000)
    assert cells["workers"]["stateless_cpu_share"] == pytest.approx(1.1)
    assert "stateless_share" not in cells["unshared-workers"]  # a baseline has no baseline
    table = render(runs)
    assert "| `--workers 2`, SQLite | 8,000 | 90% | 220 | 110% |" in table
    assert "generated answers 95%, 90%, 89% of `--workers 2`, own memory each" in table


def test_every_row_runs_beside_its_baseline() -> None:
    together = {kind: group for group in GROUPS for kind in group}
    assert sorted(together) == sorted(LABELS)
    assert all(base in together[kind] for kind, base in BASELINE.items())


@pytest.mark.parametrize("raw", ["0", "-1", "two", ""])
def test_bad_rounds_are_one_clear_error(raw: str) -> None:
    with pytest.raises(BenchError, match="BENCH_ROUNDS"):
        _rounds(raw)
