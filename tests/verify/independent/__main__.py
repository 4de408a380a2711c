"""`python -m tests.verify.independent SLUG --port PORT`: one reference server on loopback."""

from __future__ import annotations

import argparse
import importlib
import sys

SLUGS = ("codecatalyst", "eightbyeight", "etlworks", "onedata", "oracle_selfservice")


def main() -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.verify.independent")
    parser.add_argument("slug", choices=SLUGS)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--token", action="append", default=None, help="an accepted credential (repeatable)")
    args = parser.parse_args()
    module = importlib.import_module(f"tests.verify.independent.{args.slug}")
    from tests.verify.independent.http import TOKENS, serve

    if args.token:
        TOKENS.clear()
        TOKENS.update(args.token)

    print(f"independent {args.slug} server on http://127.0.0.1:{args.port}/", file=sys.stderr, flush=True)
    serve(module.ROUTES, args.port, module.not_found)
    return 0


if __name__ == "__main__":
    sys.exit(main())
