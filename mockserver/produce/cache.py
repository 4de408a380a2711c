"""Bounded, per-process caches: generated resources apart from what is derived from them."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable
from typing import Any

__all__ = ["Cache"]


class Cache:
    """Two LRU caches: made values (costly) and derived values (cheap to remake, 4x as many).

    A flood of derived values (views, list members as shown, fixture selections) never evicts
    the generated resources they are derived from.
    """

    def __init__(self, size: int = 2048) -> None:
        self.size = size
        self._made: OrderedDict[tuple[Any, ...], Any] = OrderedDict()
        self._derived: OrderedDict[tuple[Any, ...], Any] = OrderedDict()

    def get(self, key: tuple[Any, ...], make: Callable[[], Any], *, derived: bool = False) -> Any:
        """The value cached under `key`, made by `make()` and stored on a miss."""
        cache = self._derived if derived else self._made
        if key in cache:
            cache.move_to_end(key)
            return cache[key]
        value = make()
        self.store(key, value, derived=derived)
        return value

    def store(self, key: tuple[Any, ...], value: Any, *, derived: bool = False) -> None:
        """Keep `value` under `key`, evicting the least recently used entry when full."""
        cache = self._derived if derived else self._made
        cache[key] = value
        cache.move_to_end(key)
        if len(cache) > self.size * (4 if derived else 1):
            cache.popitem(last=False)

    def while_valid(
        self, key: tuple[Any, ...], now: float, make: Callable[[], tuple[Any, float, float]]
    ) -> Any:
        """A value that holds over a span of time (`make()` -> value, since, until), kept in the
        derived cache for as long as `now` stays inside that span."""
        cached = self._derived.get(key)
        if cached is not None and cached[1] <= now < cached[2]:
            self._derived.move_to_end(key)
            return cached[0]
        value, since, until = make()
        self.store(key, (value, since, until), derived=True)
        return value

    def __len__(self) -> int:
        return len(self._made) + len(self._derived)
