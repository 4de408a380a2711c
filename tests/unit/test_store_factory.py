"""Choosing a store: URLs, settings, the private SQLite file made for `--workers N`."""

from __future__ import annotations

import stat
from pathlib import Path
from types import SimpleNamespace

import pytest

from mockserver.exceptions import ConfigError
from mockserver.settings import Settings
from mockserver.store import MemoryStore, from_settings, from_url, shared_for_workers
from mockserver.store.factory import redact_url
from mockserver.store.redis import RedisStore
from mockserver.store.sqlite import SqliteStore
from tests.unit.test_store import run


def test_urls_choose_the_backend(tmp_path: Path) -> None:
    assert isinstance(from_url(None), MemoryStore)
    assert isinstance(from_url("memory"), MemoryStore)
    sqlite = from_url(f"sqlite://{tmp_path / 'state.db'}")
    assert isinstance(sqlite, SqliteStore)
    run(sqlite.close())
    remote = from_url("redis://127.0.0.1:6390/3")  # connects lazily, on the first call
    assert isinstance(remote, RedisStore)
    run(remote.close())


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://db/x", "--state 'mysql://db/x': expected memory, sqlite:///path/to/state.db or redis://"),
        ("redsi://h:1/0", "(did you mean redis://?)"),
        ("redis://h:abc/0", "the port is not a number 0-65535; expected redis://host:port/db"),
        ("redis://h:6379/x", "database 'x' is not a number; expected redis://host:port/db"),
        ("redis:///0", "no host; expected redis://host:port/db"),
        ("sqlite://state.db", "expected sqlite:///absolute/path/to/state.db"),
        ("sqlite:///no/such/dir/state.db", "directory /no/such/dir does not exist"),
        ("memory://x", "write memory, with nothing after it"),
        ("redis://h:6379/0?foo=bar", "options after '?' are not taken; expected redis://host:port/db"),
        ("redis://:hunter2@h:6379/x", "--state 'redis://:***@h:6379/x': database 'x' is not a number"),
        ("redsi://:hunter2@h:1/0", "--state 'redsi://:***@h:1/0': expected memory"),
    ],
)
def test_bad_urls_are_one_line_config_errors(url: str, message: str) -> None:
    with pytest.raises(ConfigError) as caught:
        from_url(url)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_bad_prefix_is_a_config_error() -> None:
    settings = SimpleNamespace(state="redis://127.0.0.1:6390/0", state_prefix="my app")
    with pytest.raises(ConfigError, match=r"--state-prefix 'my app': expected 1-100 letters"):
        from_settings(settings)


def test_settings_choose_memory_for_one_worker_and_refuse_unshared_workers() -> None:
    store = from_settings(Settings(journal_size=7, max_ids=9))
    assert isinstance(store, MemoryStore)
    assert (store.options.journal_size, store.options.max_ids) == (7, 9)
    with pytest.raises(ConfigError, match=r"--workers 2 share state through a store"):
        from_settings(Settings(workers=2))


def test_workers_get_a_private_sqlite_file_removed_afterwards() -> None:
    with shared_for_workers(None, 2) as url:
        assert url is not None and url.startswith("sqlite:///")
        directory = Path(url.removeprefix("sqlite://")).parent
        assert stat.S_IMODE(directory.stat().st_mode) == 0o700
        assert (directory / "state.db").is_file()  # made once, before any worker opens it
        store = from_settings(SimpleNamespace(state=url, workers=2))
        assert isinstance(store, SqliteStore)
        run(store.close())
    assert not directory.exists()
    with shared_for_workers(None, 1) as url:
        assert url is None
    with shared_for_workers("redis://127.0.0.1:6390/0", 4) as url:
        assert url == "redis://127.0.0.1:6390/0"
    with (
        pytest.raises(ConfigError, match="--state memory cannot be shared by --workers 2"),
        shared_for_workers("memory", 2),
    ):
        pass


def test_passwords_are_redacted() -> None:
    assert redact_url("redis://user:pw@[::1]:6379/0") == "redis://user:***@[::1]:6379/0"
    assert redact_url("redis://:pw@h:6379/0") == "redis://:***@h:6379/0"
    assert redact_url("redis://h:6379/0") == "redis://h:6379/0"
