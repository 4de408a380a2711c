"""The Prefer header: what a client may ask for, and clear refusals."""

from __future__ import annotations

import pytest

from mockserver.pipeline.prefer import Prefer, PreferError, parse_prefer


def test_no_header_prefers_nothing() -> None:
    assert parse_prefer(None) == Prefer()


def test_all_preferences_at_once() -> None:
    assert parse_prefer('code=404, example="notFound"; dynamic=true, delay=250') == Prefer(
        code="404", example="notFound", dynamic=True, delay_ms=250
    )


def test_rfc7240_preferences_are_ignored() -> None:
    assert parse_prefer("return=minimal, respond-async") == Prefer()


@pytest.mark.parametrize(
    ("header", "fragment"),
    [
        ("colour=red", "code, example, dynamic, delay"),
        ("code=4o4", "three-digit"),
        ("dynamic=yes", "true or false"),
        ("delay=-1", "milliseconds"),
        ("delay=999999", "milliseconds"),
    ],
    ids=["unknown", "bad-code", "bad-dynamic", "negative-delay", "huge-delay"],
)
def test_bad_preferences_name_what_is_valid(header: str, fragment: str) -> None:
    with pytest.raises(PreferError, match=fragment):
        parse_prefer(header)
