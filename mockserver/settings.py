"""Settings: defaults in one place; precedence flag > environment (`MOCKSERVER_*`) > default."""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, fields, replace
from datetime import datetime
from pathlib import Path
from typing import Any

from mockserver.exceptions import ConfigError

__all__ = [
    "UVICORN_OPTIONS",
    "Settings",
    "default_fixture_dir",
    "default_spec_dir",
    "parse_origin",
    "spec_source",
    "to_environ",
]

_PROJECT = Path(__file__).resolve().parent.parent

# How uvicorn runs the mock: the benchmark's ceiling app and the tests' fakes use the same options,
# so they compare like with like. One line per request comes from the journal middleware instead.
UVICORN_OPTIONS: dict[str, Any] = {
    "log_level": "warning",
    "access_log": False,
    "loop": "uvloop",
    "http": "httptools",
}
_LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _own_project() -> Path | None:
    """The current directory, when it has a specs/ folder with specs of its own."""
    here = Path.cwd()
    return here if any((here / "specs").glob("*.yaml")) else None


def default_spec_dir() -> Path:
    """./specs/ when it holds *.yaml, else the bundled five: specs/ of this checkout (or editable
    install), else the copy a wheel installs under share/."""
    if (own := _own_project()) is not None:
        return own / "specs"
    checkout = _PROJECT / "specs"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "mockserver" / "specs"


def default_fixture_dir() -> Path | None:
    """./fixtures/ with ./specs/ (none if it has no fixtures/), else the bundled fixtures."""
    if (own := _own_project()) is not None:
        return own / "fixtures" if (own / "fixtures").is_dir() else None
    checkout = _PROJECT / "fixtures"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "mockserver" / "fixtures"


def spec_source(specs: tuple[Path, ...]) -> str:
    """Where the specs come from, for the banner: their folder, or `the files given`."""
    folders = {spec.resolve().parent for spec in specs}
    if len(folders) == 1 and sorted(specs) == sorted(next(iter(folders)).glob("*.yaml")):
        return str(next(iter(folders)))
    return "the files given"


@dataclass(frozen=True)
class Settings:
    """Everything that shapes one server; read once when the app is created."""

    specs: tuple[Path, ...] = ()
    host: str = "127.0.0.1"
    port: int = 8000
    seed: int = 0
    fixtures: Path | None = field(default_factory=default_fixture_dir)
    fixtures_only: bool = False
    validate_responses: bool = False
    time_scale: float = 1.0
    clock_origin: str = "day"
    tokens: tuple[str, ...] = ()
    cache_size: int = 2048
    access_log: bool = True
    journal_size: int = 1000
    max_ids: int = 10_000
    faults: Path | None = None
    latency: str | None = None
    error_rate: float = 0.0
    error_status: int = 500
    drop_rate: float = 0.0
    fault_seed: int = 0
    admin_token: str | None = None
    workers: int = 1
    state: str | None = None
    state_prefix: str = "mockserver"

    @classmethod
    def from_sources(cls, flags: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from command-line flags (None = not given), then `MOCKSERVER_*`, then defaults."""
        environ = os.environ if environ is None else environ
        settings = cls()
        changes: dict[str, Any] = {}
        for f in fields(cls):
            env_name = f"MOCKSERVER_{f.name.upper()}"
            raw_env = environ.get(env_name)
            value = flags.get(f.name)
            source = f"--{f.name.replace('_', '-')} {value}"
            if value is None and raw_env is not None:
                value = _parse_env(f.name, raw_env, getattr(settings, f.name))
                source = f"{env_name}={raw_env}"
            if value is not None:
                _check_range(f.name, value, source)
                if f.name == "fixtures" and not Path(value).is_dir():
                    raise ConfigError(f"{source}: no such folder")
                changes[f.name] = value
        settings = replace(settings, **changes)
        if not settings.specs:
            directory = default_spec_dir()
            settings = replace(settings, specs=tuple(sorted(directory.glob("*.yaml"))))
        parse_origin(settings.clock_origin)
        if settings.host not in _LOOPBACK and not settings.admin_token:
            raise ConfigError(
                f"--host {settings.host} reaches beyond this machine: then the control API needs"
                " --admin-token"
            )
        if settings.state:
            from mockserver.store.factory import check_state_url

            check_state_url(settings.state)
        if settings.time_scale <= 0:
            raise ConfigError(f"time scale must be above 0, got {settings.time_scale}")
        return settings


# Numeric settings with a range: name -> (low, high or None, what is expected).
_RANGES: dict[str, tuple[float, float | None, str]] = {
    "port": (1, 65535, "a port number 1-65535"),
    "workers": (1, None, "at least 1"),
    "journal_size": (1, None, "at least 1"),
    "max_ids": (1, None, "at least 1"),
    "cache_size": (1, None, "at least 1"),
    "error_status": (400, 599, "an error status 400-599"),
    "error_rate": (0, 1, "a share from 0 to 1"),
    "drop_rate": (0, 1, "a share from 0 to 1"),
}


def _check_range(name: str, value: Any, source: str) -> None:
    if name not in _RANGES or isinstance(value, bool):
        return
    low, high, what = _RANGES[name]
    if value < low or (high is not None and value > high):
        raise ConfigError(f"{source}: expected {what}")


def to_environ(settings: Settings) -> dict[str, str]:
    """The settings as `MOCKSERVER_*` variables, so worker processes rebuild the same ones."""
    out = {}
    for f in fields(Settings):
        value = getattr(settings, f.name)
        if value is None:
            continue
        if isinstance(value, tuple):
            text = ",".join(str(v) for v in value)
        elif isinstance(value, bool):
            text = "true" if value else "false"
        else:
            text = str(value)
        out[f"MOCKSERVER_{f.name.upper()}"] = text
    return out


def parse_origin(value: str, now: float | None = None) -> float:
    """Where mock time starts: `day` (start of the current UTC day), `now`, or RFC 3339 / epoch seconds."""
    now = time.time() if now is None else now
    if value == "day":
        return float(int(now // 86400) * 86400)
    if value == "now":
        return now
    try:
        return float(value)
    except ValueError:
        pass
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except ValueError:
        raise ConfigError(
            f"clock origin {value!r}: expected 'day', 'now', an RFC 3339 time or epoch seconds"
        ) from None


def _parse_env(name: str, raw: str, default: Any) -> Any:
    try:
        if isinstance(default, bool):
            return raw.lower() in ("1", "true", "yes", "on")
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, tuple):
            parts = [p for p in raw.split(",") if p]
            return tuple(Path(p) for p in parts) if name == "specs" else tuple(parts)
        if name in ("fixtures", "faults"):
            return Path(raw)
        return raw
    except ValueError:
        raise ConfigError(
            f"MOCKSERVER_{name.upper()}={raw!r} is not a valid {type(default).__name__}"
        ) from None
