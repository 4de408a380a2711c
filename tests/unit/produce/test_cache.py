"""The bounded caches: made values apart from derived ones, values kept while their span holds."""

from __future__ import annotations

from mockserver.produce.cache import Cache


def test_a_hit_does_not_make_again() -> None:
    cache, made = Cache(4), []
    for _ in range(3):
        cache.get(("k",), lambda: made.append(1) or len(made))
    assert made == [1]


def test_least_recently_used_goes_first_and_derived_values_never_evict_made_ones() -> None:
    cache = Cache(2)
    cache.get(("a",), lambda: "a")
    cache.get(("b",), lambda: "b")
    cache.get(("a",), lambda: "again")  # a is now the most recent
    cache.get(("c",), lambda: "c")
    assert cache.get(("a",), lambda: "remade") == "a"
    assert cache.get(("b",), lambda: "remade") == "remade"
    for i in range(20):
        cache.get(("view", i), lambda i=i: i, derived=True)
    assert cache.get(("a",), lambda: "remade") == "a"
    assert len(cache) == 2 + 8  # derived: 4x the size


def test_a_value_is_kept_while_now_stays_inside_its_span() -> None:
    cache, calls = Cache(4), []

    def make() -> tuple[str, float, float]:
        calls.append(1)
        return f"v{len(calls)}", 10.0, 20.0

    assert cache.while_valid(("t",), 12.0, make) == "v1"
    assert cache.while_valid(("t",), 19.9, make) == "v1"
    assert cache.while_valid(("t",), 20.0, make) == "v2"
