"""Journal entries: one request as the mock saw and answered it, and their stored form.

The memory store keeps the entry objects themselves (a request under load pays for a reference);
the shared stores keep `encode_entry` bytes, credentials masked before they leave the process.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson

from mockserver.produce.generate import format_time
from mockserver.spec.security import GENERIC_CREDENTIAL_HEADERS

__all__ = ["JournalEntry", "decode_entry", "encode_entry", "mask_headers"]

_SECRET_HEADERS = {
    "authorization",
    "x-auth-token",
    "identifier",
    "cookie",
    "x-api-key",
    "proxy-authorization",
}


_ALWAYS_SECRET = frozenset(_SECRET_HEADERS | GENERIC_CREDENTIAL_HEADERS)


def _shown(name: str, value: str, secret: set[str] | frozenset[str]) -> str:
    """`value` of the lower-case header `name`, a credential masked: its scheme and last 4 characters."""
    if name not in _ALWAYS_SECRET and name not in secret:
        return value
    scheme, _, token = value.partition(" ") if " " in value else ("", "", value)
    tail = token[-4:] if len(token) > 8 else ""
    return f"{scheme + ' ' if scheme else ''}***{tail}"


def mask_headers(
    headers: Mapping[str, str], secret: set[str] | frozenset[str] = frozenset()
) -> dict[str, str]:
    """Headers with credentials masked: keep the scheme and the last 4 characters."""
    return {name.lower(): _shown(name.lower(), value, secret) for name, value in headers.items()}


def _masked_pairs(raw: list[tuple[bytes, bytes]], secret: frozenset[str]) -> list[tuple[str, str]]:
    """`mask_headers` of raw ASGI headers, as (name, value) pairs in the order received."""
    pairs = []
    for key, value in raw:
        name = key.decode("latin-1").lower()
        pairs.append((name, _shown(name, value.decode("latin-1"), secret)))
    return pairs


@dataclass
class JournalEntry:
    """One request as the mock saw and answered it.

    The headers are kept as received and masked when the journal is read; an entry read back
    from a shared store carries them already masked (`masked`).
    """

    time: float
    method: str
    path: str
    query: str
    raw_headers: list[tuple[bytes, bytes]] = field(repr=False)
    secret: frozenset[str] = field(repr=False)
    status: int = 0
    latency_ms: float = 0.0
    retry_after: float | None = None
    # (execution key, state, terminal) for each execution the answer showed
    observed: tuple[tuple[str, str | None, bool | None], ...] = ()
    client_host: str = "?"
    dropped: bool = False  # the connection was closed mid-answer on purpose (a fault)
    masked: bool = field(default=False, repr=False)

    @property
    def headers(self) -> dict[str, str]:
        decoded = {k.decode("latin-1"): v.decode("latin-1") for k, v in self.raw_headers}
        return decoded if self.masked else mask_headers(decoded, self.secret)

    @property
    def client(self) -> str:
        """Who sent it: the peer address and the User-Agent."""
        agent = next((v.decode("latin-1") for k, v in self.raw_headers if k.lower() == b"user-agent"), "")
        return f"{self.client_host} {agent}".strip()

    def as_dict(self, key: Callable[[str], Any] = str) -> dict[str, Any]:
        """The entry as the control API shows it: ISO 8601 UTC time, each key as `key(text)`."""
        return {
            "time": format_time(self.time, "rfc3339"),
            "method": self.method,
            "path": self.path,
            "query": self.query,
            "headers": self.headers,
            "client": self.client,
            "status": self.status,
            "latency_ms": self.latency_ms,
            "retry_after": self.retry_after,
            "dropped": self.dropped,
            "executions": [{"key": key(k), "state": s, "terminal": t} for k, s, t in self.observed],
        }


def encode_entry(entry: JournalEntry) -> bytes:
    """The entry as JSON bytes, headers masked (a shared store never holds a credential)."""
    headers = list(entry.headers.items()) if entry.masked else _masked_pairs(entry.raw_headers, entry.secret)
    return orjson.dumps(
        {
            "t": entry.time,
            "m": entry.method,
            "p": entry.path,
            "q": entry.query,
            "h": headers,
            "s": entry.status,
            "l": entry.latency_ms,
            "r": entry.retry_after,
            "o": entry.observed,
            "c": entry.client_host,
            "d": entry.dropped,
        }
    )


def decode_entry(data: bytes | str) -> JournalEntry:
    """The entry `encode_entry` stored (headers already masked)."""
    raw = orjson.loads(data)
    return JournalEntry(
        time=float(raw["t"]),
        method=raw["m"],
        path=raw["p"],
        query=raw["q"],
        raw_headers=[(k.encode("latin-1"), v.encode("latin-1")) for k, v in raw["h"]],
        secret=frozenset(),
        status=int(raw["s"]),
        latency_ms=float(raw["l"]),
        retry_after=raw["r"],
        observed=tuple((str(k), s, t) for k, s, t in raw["o"]),
        client_host=raw["c"],
        dropped=bool(raw.get("d", False)),
        masked=True,
    )
