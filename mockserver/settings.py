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


def default_spec_dir() -> Path:
    """specs/ of a checkout (or editable install), else the copy a wheel installs under share/."""
    checkout = _PROJECT / "specs"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "mockserver" / "specs"


def default_fixture_dir() -> Path:
    """fixtures/ of a checkout (or editable install), else the copy a wheel installs under share/."""
    checkout = _PROJECT / "fixtures"
    return checkout if checkout.is_dir() else Path(sys.prefix) / "share" / "mockserver" / "fixtures"


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

    @classmethod
    def from_sources(cls, flags: Mapping[str, Any], environ: Mapping[str, str] | None = None) -> Settings:
        """Settings from command-line flags (None = not given), then `MOCKSERVER_*`, then defaults."""
        environ = os.environ if environ is None else environ
        settings = cls()
        changes: dict[str, Any] = {}
        for f in fields(cls):
            raw_env = environ.get(f"MOCKSERVER_{f.name.upper()}")
            value = flags.get(f.name)
            if value is None and raw_env is not None:
                value = _parse_env(f.name, raw_env, getattr(settings, f.name))
            if value is not None:
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
        if settings.time_scale <= 0:
            raise ConfigError(f"time scale must be above 0, got {settings.time_scale}")
        return settings


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
