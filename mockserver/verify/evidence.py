"""Evidence a user can run: reproduce commands that keep credentials usable, as shell variables."""

from __future__ import annotations

import re
import shlex
from collections.abc import Mapping
from dataclasses import dataclass

__all__ = ["Credential", "from_headers", "render_credentials", "render_curl"]


@dataclass(frozen=True)
class Credential:
    """A credential header: the shell variable that stands for its secret, and how the value wraps it."""

    header: str
    variable: str
    prefix: str
    secret: str


def _variable(header: str, taken: set[str]) -> str:
    lowered = header.lower()
    base = "TOKEN" if lowered in ("authorization", "x-auth-token") else re.sub(r"\W+", "_", header).upper()
    name, n = base, 2
    while name in taken:
        name, n = f"{base}_{n}", n + 1
    taken.add(name)
    return name


def from_headers(headers: Mapping[str, str], credential_names: set[str]) -> tuple[Credential, ...]:
    """The credentials among `headers` (names lower-cased in `credential_names`), each with a variable."""
    taken: set[str] = set()
    found = []
    for name, value in headers.items():
        if name.lower() not in credential_names:
            continue
        scheme, _, rest = value.partition(" ")
        wrapped = bool(rest) and scheme.lower() in ("bearer", "basic")
        prefix, secret = (f"{scheme} ", rest) if wrapped else ("", value)
        found.append(Credential(name, _variable(name, taken), prefix, secret))
    return tuple(found)


def render_credentials(credentials: tuple[Credential, ...]) -> str:
    """One line for the report heading: which variable holds which header's secret."""
    if not credentials:
        return ""
    named = ", ".join(
        f"${c.variable} = your {c.header} {'token' if c.prefix else 'value'}" for c in credentials
    )
    return f"reproduce commands read {named} (export before running them)"


def render_curl(command: str, credentials: tuple[Credential, ...]) -> str:
    """`command` (a curl line) with each credential header's secret replaced by its variable."""
    for credential in credentials:
        pattern = re.compile(r"-H\s+('[^']*'|\"[^\"]*\")")

        def swap(match: re.Match[str], credential: Credential = credential) -> str:
            (header,) = shlex.split(match.group(1))
            name, _, _ = header.partition(":")
            if name.strip().lower() != credential.header.lower():
                return match.group(0)
            return f'-H "{name.strip()}: {credential.prefix}${credential.variable}"'

        command = pattern.sub(swap, command)
    return command
