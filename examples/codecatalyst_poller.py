"""Poll an Amazon CodeCatalyst workflow run until it ends (GetWorkflowRun).

    .venv/bin/python examples/codecatalyst_poller.py --base-url http://127.0.0.1:8000 \\
        --space ExampleCorp --project MyDemoProject --run-id a1b2c3d4-5678-90ab-cdef-000000123abc

Prints every status it observes, then `final: <status>`. Exit code: 0 when the run SUCCEEDED,
1 when it ended any other way (FAILED, STOPPED, CANCELLED, ...), 2 when the API refused the
request, could not be reached or the run did not end in time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

# Documented run statuses that do not change any more; VALIDATING, PROVISIONING, IN_PROGRESS
# and STOPPING are on the way. The value is the exit code.
TERMINAL = {
    "SUCCEEDED": 0,
    "FAILED": 1,
    "STOPPED": 1,
    "SUPERSEDED": 1,
    "CANCELLED": 1,
    "NOT_RUN": 1,
    "ABANDONED": 1,
}


class ApiError(Exception):
    """The API answered with an error; the text carries its status, type and message."""


def retry_delay(response: httpx.Response, fallback: float) -> float:
    """Seconds to wait before retrying: the Retry-After header (seconds or HTTP date), else fallback."""
    value = response.headers.get("Retry-After", "").strip()
    if value.isdigit():
        return float(value)
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return fallback


def error_message(response: httpx.Response) -> str:
    """AWS REST-JSON errors: the exception name in x-amzn-ErrorType, `{"message": ...}` in the body."""
    kind = response.headers.get("x-amzn-ErrorType", "").split(":")[0]
    try:
        message = str(response.json()["message"])
    except (ValueError, KeyError, TypeError):
        message = response.text
    return f"{kind}: {message}" if kind else message


def get_json(client: httpx.Client, path: str, retries: int = 4) -> Any:
    """GET a JSON body; ThrottlingException (429) and 5xx are retried, other errors raise ApiError."""
    response = client.get(path)
    for retry in range(retries):
        if response.status_code != 429 and response.status_code < 500:
            break
        delay = min(retry_delay(response, 0.5 * 2**retry), 60.0)
        print(f"retrying in {delay:g} s after HTTP {response.status_code}", file=sys.stderr, flush=True)
        time.sleep(delay)
        response = client.get(path)
    if response.is_error:
        raise ApiError(f"HTTP {response.status_code} {error_message(response)}")
    try:
        return response.json()
    except ValueError:
        raise ApiError(f"HTTP {response.status_code}: the body is not JSON") from None


def poll_run(client: httpx.Client, args: argparse.Namespace) -> str:
    """Get the run until its status is terminal, doubling the interval each time."""
    path = f"/v1/spaces/{args.space}/projects/{args.project}/workflowRuns/{args.run_id}"
    deadline = time.monotonic() + args.timeout
    interval = args.interval
    while True:
        status = str(get_json(client, path)["status"])
        print(f"run {args.run_id}: {status}", flush=True)
        if status in TERMINAL:
            return status
        if time.monotonic() + interval > deadline:
            raise TimeoutError(f"run {args.run_id} still {status} after {args.timeout:.0f} s")
        time.sleep(interval)
        interval = min(interval * 2, args.max_interval)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", required=True, help="e.g. https://codecatalyst.global.api.aws")
    parser.add_argument("--space", required=True, help="space name")
    parser.add_argument("--project", required=True, help="project name")
    parser.add_argument("--run-id", required=True, help="workflow run id (a UUID)")
    parser.add_argument("--token", default=os.environ.get("CODECATALYST_TOKEN", "example-token"))
    parser.add_argument("--interval", type=float, default=1.0, help="first wait between polls (s)")
    parser.add_argument("--max-interval", type=float, default=30.0, help="longest wait between polls (s)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    headers = {"Authorization": f"Bearer {args.token}"}
    try:
        with httpx.Client(base_url=args.base_url, headers=headers, timeout=10) as client:
            status = poll_run(client, args)
    except (ApiError, httpx.HTTPError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"error: unexpected response, it has no field {exc}", file=sys.stderr)
        return 2
    print(f"final: {status}")
    return TERMINAL[status]


if __name__ == "__main__":
    sys.exit(main())
