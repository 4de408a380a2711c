"""Bounded state: journal, pins, scenario progress, clock offsets; credentials masked when read."""

from __future__ import annotations

from mockserver.pipeline.state import Journal, JournalEntry, MockState, mask_headers


def _entry(path: str, status: int = 200) -> JournalEntry:
    headers = [(b"authorization", b"Bearer abcdefghijkl"), (b"x-auth-token", b"secret-token-1234")]
    return JournalEntry(0.0, "GET", path, "", headers, frozenset({"authorization", "x-auth-token"}), status)


def test_every_part_is_capped() -> None:
    state = MockState(journal_size=2, max_ids=2)
    for i in range(3):
        state.journal.add(_entry(f"/{i}"))
        state.pin(f"k{i}", "s")
        state.advance(f"k{i}", 1.0)
    assert [e.path for e in state.journal] == ["/1", "/2"]
    assert state.pinned("k0") is None and state.pinned("k2") == "s"
    assert state.sizes() == {"journal": 2, "pinned": 2, "scenarioRuns": 0, "clockOffsets": 2}


def test_pinning_again_starts_the_story_over() -> None:
    state = MockState()
    state.pin("k", "a")
    state.run("k", "a").polls = 3
    state.pin("k", "a")
    assert state.run("k", "a").polls == 0


def test_credentials_are_masked_when_read() -> None:
    headers = _entry("/x").headers
    assert headers["authorization"] == "Bearer ***ijkl" and headers["x-auth-token"] == "***1234"
    assert mask_headers({"Cookie": "a=1", "Accept": "x"}) == {"cookie": "***", "accept": "x"}


def test_journal_select_filters_by_path_and_status() -> None:
    journal = Journal(10)
    journal.add(_entry("/a", 200))
    journal.add(_entry("/b", 404))
    assert [e.path for e in journal.select(status=404)] == ["/b"]
    assert [e.path for e in journal.select(path="/a")] == ["/a"]
    assert journal.select(limit=0) == []
