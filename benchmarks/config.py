"""Paths and knobs of a run; every knob reads a `BENCH_*` environment variable."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parent.parent
BENCH_DIR = REPO / "benchmarks"
RESULTS_DIR = BENCH_DIR / "results"
PRISM_DIR = BENCH_DIR / ".prism"
HOST = "127.0.0.1"


class BenchError(Exception):
    """A run cannot go on (missing tool, broken set-up); the message says what to do."""


@dataclass(frozen=True)
class Config:
    seconds: float = 10.0
    warmup: float = 2.0
    connections: int = 50
    threads: int = 1
    pool_size: int = 200
    prism: bool = True
    verify: bool = True
    max_examples: int = 50
    project: Path = REPO

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> Config:
        env = os.environ if environ is None else environ

        def number(name: str, default: float, minimum: float) -> float:
            raw = env.get(name)
            if raw is None or raw == "":
                return default
            try:
                value = float(raw)
            except ValueError:
                raise BenchError(f"{name}={raw!r} is not a number") from None
            if value < minimum:
                raise BenchError(f"{name}={raw!r} must be at least {minimum:g}")
            return value

        def flag(name: str) -> bool:
            return env.get(name, "1").strip().lower() not in ("0", "false", "no", "off")

        project = Path(env.get("BENCH_PROJECT") or REPO).resolve()
        if not (project / "specs").is_dir() or not (project / "mockserver").is_dir():
            raise BenchError(f"BENCH_PROJECT={project}: no mockserver/ and specs/ there")
        return cls(
            seconds=number("BENCH_SECONDS", cls.seconds, 1),
            warmup=number("BENCH_WARMUP", cls.warmup, 0),
            connections=int(number("BENCH_CONNECTIONS", cls.connections, 1)),
            pool_size=int(number("BENCH_POOL", cls.pool_size, 1)),
            prism=flag("BENCH_PRISM"),
            verify=flag("BENCH_VERIFY"),
            max_examples=int(number("BENCH_MAX_EXAMPLES", cls.max_examples, 1)),
            project=project,
        )

    def as_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["project"] = str(self.project)
        return data
