"""A broken fake only verify's credentials probe kills: Oracle's mock behind a sign-in redirect.

    python -m tests.contract.probe_fake --port PORT

A request to the Oracle API without `Authorization` is answered 302 to a sign-in page (as an SSO
gateway in front of an API may do) where the vendor page documents 401 or 403. Schemathesis'
`ignored_auth` counts a redirect as a refusal; verify's `credentials_required` probe does not.
The other APIs' probe-only breakages are in tests/verify/fake.py (`BREAKAGES`).
"""

from __future__ import annotations

import argparse
import sys
import warnings
from collections.abc import Sequence

from mockserver.settings import UVICORN_OPTIONS, Settings, default_spec_dir
from tests.verify.fake import ORACLE_DETAILS, ORACLE_STATUS, BreakingMiddleware, Forward, Request, Response
from tests.verify.fake import operation_finder

__all__ = ["main", "redirect_to_sign_in"]

SIGN_IN = "https://login.example.invalid/sign-in"


async def redirect_to_sign_in(request: Request, forward: Forward) -> Response:
    """Oracle requests without a bearer token go to a sign-in page; the rest reach the mock."""
    if request.operation in ORACLE_STATUS | ORACLE_DETAILS and request.header("authorization") is None:
        return Response(302, ((b"location", SIGN_IN.encode()), (b"content-length", b"0")), b"")
    return await forward(request)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m tests.contract.probe_fake")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    import uvicorn

    from mockserver.app import create_app

    specs = tuple(sorted(default_spec_dir().glob("*.yaml")))
    settings = Settings(specs=specs, port=args.port, access_log=False)
    app = BreakingMiddleware(create_app(settings), operation_finder(specs), redirect_to_sign_in)
    print(f"fake: Oracle sign-in redirect on http://127.0.0.1:{args.port}/", file=sys.stderr)
    uvicorn.run(app, host="127.0.0.1", port=args.port, **UVICORN_OPTIONS)
    return 0


if __name__ == "__main__":
    sys.exit(main())
