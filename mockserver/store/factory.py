"""Choose the state store: memory for one worker, SQLite shared by N workers, Redis for replicas."""

from __future__ import annotations

import difflib
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from mockserver.exceptions import ConfigError
from mockserver.store.base import Store, StoreOptions, redact_url
from mockserver.store.memory import MemoryStore

__all__ = ["check_state_url", "from_settings", "from_url", "redact_url", "shared_for_workers"]

_EXPECTED = "expected memory, sqlite:///path/to/state.db or redis://host:port/db"
_SCHEMES = ("memory", "sqlite", "redis", "rediss")
_PREFIX = re.compile(r"[A-Za-z0-9][A-Za-z0-9:._-]{0,99}")


def check_state_url(url: str) -> str:
    """The backend `url` names (memory, sqlite or redis), or ConfigError saying what is wrong."""
    if url in ("", "memory", "memory://"):
        return "memory"
    parts = urlsplit(url)
    shown = redact_url(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        close = difflib.get_close_matches(scheme or url, _SCHEMES, n=1)
        hint = f" (did you mean {close[0]}://?)" if close else ""
        raise ConfigError(f"--state {shown!r}: {_EXPECTED}{hint}")
    if scheme == "sqlite":
        if parts.netloc or not parts.path.startswith("/") or parts.path.endswith("/"):
            raise ConfigError(f"--state {shown!r}: expected sqlite:///absolute/path/to/state.db")
        return "sqlite"
    if scheme == "memory":
        raise ConfigError(f"--state {shown!r}: write memory, with nothing after it")
    try:
        _port = parts.port  # reading it checks it
    except ValueError:
        raise ConfigError(
            f"--state {shown!r}: the port is not a number 0-65535; expected redis://host:port/db"
        ) from None
    if not parts.hostname:
        raise ConfigError(f"--state {shown!r}: no host; expected redis://host:port/db")
    if parts.query or parts.fragment:
        raise ConfigError(
            f"--state {shown!r}: options after '?' are not taken; expected redis://host:port/db"
        )
    db = parts.path.strip("/")
    if db and not db.isdigit():
        raise ConfigError(
            f"--state {shown!r}: database {db!r} is not a number; expected redis://host:port/db"
        )
    return "redis"


def _check_prefix(prefix: str) -> None:
    if not _PREFIX.fullmatch(prefix):
        raise ConfigError(
            f"--state-prefix {prefix!r}: expected 1-100 letters, digits, ':', '.', '_' or '-'"
            " starting with a letter or digit"
        )


def from_url(url: str | None, options: StoreOptions | None = None) -> Store:
    """The store `url` names: None or "memory" (this process), sqlite:///file, redis://host:port/db."""
    options = options or StoreOptions()
    kind = check_state_url(url or "")
    if kind == "memory":
        return MemoryStore(options)
    if kind == "sqlite":
        from mockserver.store.sqlite import SqliteStore

        path = Path(urlsplit(url or "").path)
        if not path.parent.is_dir():
            raise ConfigError(f"--state {url!r}: directory {path.parent} does not exist")
        return SqliteStore(path, options)
    _check_prefix(options.prefix)
    from mockserver.store.redis import RedisStore

    assert url is not None
    try:
        return RedisStore(url, options)
    except ValueError as exc:
        raise ConfigError(f"--state {redact_url(url)!r}: {exc}; expected redis://host:port/db") from None


def from_settings(settings: Any) -> Store:
    """The store for a server's settings (`state`, `state_prefix`, `journal_size`, `max_ids`, `workers`).

    With several workers and no `state`, the parent must have given one (see shared_for_workers):
    each worker choosing its own store is exactly the bug this package exists to prevent.
    """
    url: str | None = getattr(settings, "state", None) or None
    workers = int(getattr(settings, "workers", 1))
    if workers > 1 and check_state_url(url or "") == "memory":
        raise ConfigError(
            f"--workers {workers} share state through a store: leave --state out (a private SQLite"
            " file is made for them) or give redis://host:port/db"
        )
    options = StoreOptions(
        journal_size=int(getattr(settings, "journal_size", 1000)),
        max_ids=int(getattr(settings, "max_ids", 10_000)),
        prefix=str(getattr(settings, "state_prefix", None) or "mockserver"),
    )
    return from_url(url, options)


@contextmanager
def shared_for_workers(url: str | None, workers: int) -> Iterator[str | None]:
    """In the parent of `workers` processes: the state URL they all use, then clean up.

    No URL and several workers: a SQLite file in a fresh private (0700) temp directory, removed
    when the block ends. A given URL is checked and passed on unchanged.
    """
    if url:
        kind = check_state_url(url)
        if kind == "memory" and workers > 1:
            raise ConfigError(
                f"--state memory cannot be shared by --workers {workers}: leave --state out or give"
                " redis://host:port/db"
            )
        yield url
        return
    if workers <= 1:
        yield None
        return
    from mockserver.store.sqlite import prepare_file

    directory = Path(tempfile.mkdtemp(prefix="mockserver-state-"))
    try:
        prepare_file(directory / "state.db")
        yield f"sqlite://{directory / 'state.db'}"
    finally:
        shutil.rmtree(directory, ignore_errors=True)
