"""The `Prefer` request header: the client picks the response (as Prism users know it)."""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["Prefer", "PreferError", "parse_prefer"]

# RFC 7240 preferences that mean nothing to a mock; they are accepted and ignored.
_IGNORED = {"return", "respond-async", "wait", "handling"}
_KNOWN = ("code", "example", "dynamic", "delay")


class PreferError(ValueError):
    """A `Prefer` value the mock cannot honour; the message names the valid choices."""


@dataclass(frozen=True)
class Prefer:
    """What the client asked for: a status code, a named example, generation, a delay (ms)."""

    code: str | None = None
    example: str | None = None
    dynamic: bool = False
    delay_ms: int = 0


def parse_prefer(header: str | None) -> Prefer:
    """Parse `Prefer: code=404, example=notFound, dynamic=true, delay=200`."""
    if not header:
        return Prefer()
    values: dict[str, str] = {}
    for part in header.replace(";", ",").split(","):
        name, _, value = part.strip().partition("=")
        name = name.strip().lower()
        if not name or name in _IGNORED:
            continue
        if name not in _KNOWN:
            raise PreferError(f"unknown preference {name!r}; the mock understands {', '.join(_KNOWN)}")
        values[name] = value.strip().strip('"')
    dynamic = values.get("dynamic", "false").lower()
    if dynamic not in ("true", "false"):
        raise PreferError(f"dynamic={dynamic!r}: expected true or false")
    code = values.get("code")
    if code is not None and not (code.isdigit() and len(code) == 3):
        raise PreferError(f"code={code!r}: expected a three-digit status code")
    delay = values.get("delay", "0")
    if not delay.isdigit() or int(delay) > 60_000:
        raise PreferError(f"delay={delay!r}: expected milliseconds from 0 to 60000")
    return Prefer(
        code=code,
        example=values.get("example") or None,
        dynamic=dynamic == "true",
        delay_ms=int(delay),
    )
