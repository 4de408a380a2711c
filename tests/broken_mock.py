"""`python -m tests.broken_mock serve ...`: the real server with one bug put in on purpose.

Making an integer raises, as a bug in the generator would; the test that runs it checks what a
client then gets (the `mock-failure` problem, no traceback). No spec can be used for this: every
spec the mock cannot serve is refused at start-up by lint.
"""

from __future__ import annotations

import random
import sys
from collections.abc import Mapping
from typing import Any

from mockserver.cli import main
from mockserver.produce.generate import Generator


def _broken(self: Generator, schema: Mapping[str, Any], rng: random.Random) -> int:
    raise RuntimeError("a bug put in by tests/broken_mock.py")


Generator._integer = _broken  # type: ignore[method-assign]

if __name__ == "__main__":
    sys.exit(main())
