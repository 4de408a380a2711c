"""Poll Oracle self-service executions until none is running, then walk one execution's steps.

    .venv/bin/python examples/oracle_selfservice_poller.py --base-url http://127.0.0.1:8000 \\
        --id 3-BLFVC0W --id 3-XTFVC0W --details-id 3-7JZXAGH

Prints the parent status of every execution at each poll, then `final: <id> <status>` for each,
then the step tree of --details-id (default: the first --id), one indented line per step.
Exit code: 0 when every execution ended in success, 1 when one ended otherwise, 2 when the API
refused a request, could not be reached or an execution kept running too long.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

SUCCESS = "success"  # the one parent status the vendor documents
RUNNING = "running"  # what an unfinished execution reports (the mock's choice too)


class ApiError(Exception):
    """The API answered with an error; the text carries its status, error code and message."""


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
    """OCI REST errors are `{"code": "NotAuthenticated", "message": ...}`."""
    try:
        body = response.json()
        return f"{body['code']}: {body['message']}"
    except (ValueError, KeyError, TypeError):
        return response.text


def get_json(client: httpx.Client, path: str, params: dict[str, Any], retries: int = 4) -> Any:
    """GET a JSON body; TooManyRequests (429) and 5xx are retried, other errors raise ApiError."""
    response = client.get(path, params=params)
    for retry in range(retries):
        if response.status_code != 429 and response.status_code < 500:
            break
        delay = min(retry_delay(response, 0.5 * 2**retry), 60.0)
        print(f"retrying in {delay:g} s after HTTP {response.status_code}", file=sys.stderr, flush=True)
        time.sleep(delay)
        response = client.get(path, params=params)
    if response.is_error:
        raise ApiError(f"HTTP {response.status_code} {error_message(response)}")
    try:
        return response.json()
    except ValueError:
        raise ApiError(f"HTTP {response.status_code}: the body is not JSON") from None


def poll_parent_statuses(client: httpx.Client, args: argparse.Namespace) -> dict[str, str]:
    """Ask for all executions at once until none is running, doubling the interval each time."""
    params = {"id": args.ids, "requestor": args.requestor}
    deadline = time.monotonic() + args.timeout
    interval = args.interval
    while True:
        body = get_json(client, "/selfservice/v1/executions/status", params)
        statuses = {entry["executionId"]: str(entry["status"]) for entry in body["response"]}
        for execution, status in statuses.items():
            print(f"execution {execution}: {status}", flush=True)
        if all(status.lower() != RUNNING for status in statuses.values()):
            return statuses
        if time.monotonic() + interval > deadline:
            raise TimeoutError(f"executions still running after {args.timeout:.0f} s")
        time.sleep(interval)
        interval = min(interval * 2, args.max_interval)


def walk_steps(client: httpx.Client, execution: str, requestor: str, step: int = 0, depth: int = 1) -> None:
    """Print the child steps of `step` and, depth first, their own children."""
    path = f"/selfservice/v1/executions/{execution}/status/details"
    details = get_json(client, path, {"stepId": step, "requestor": requestor})
    for sub in details["subSteps"]:
        print(f"{'  ' * depth}step {sub['stepId']} {sub['name']}: {sub['status']}")
        if sub["hasSubStep"] and depth < 10:
            walk_steps(client, execution, requestor, sub["stepId"], depth + 1)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", required=True, help="host of the self-service platform")
    parser.add_argument("--id", dest="ids", action="append", required=True, help="execution id (repeatable)")
    parser.add_argument("--details-id", help="execution whose step tree is walked (default: the first --id)")
    parser.add_argument("--requestor", default="EXADATA_CPU_SCALE", help="functionality calling the API")
    parser.add_argument("--token", default=os.environ.get("SELFSERVICE_TOKEN", "header.payload.signature"))
    parser.add_argument(
        "--identifier",
        default=os.environ.get("SELFSERVICE_JWKS_ID", "2f1c6a52-0c1e-4f0e-9d37-0f6f0c0b8a11"),
        help="JWKS identifier (GUID), sent as the Identifier header",
    )
    parser.add_argument("--interval", type=float, default=1.0, help="first wait between polls (s)")
    parser.add_argument("--max-interval", type=float, default=30.0, help="longest wait between polls (s)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    headers = {"Authorization": f"Bearer {args.token}", "Identifier": args.identifier}
    try:
        with httpx.Client(base_url=args.base_url, headers=headers, timeout=10) as client:
            statuses = poll_parent_statuses(client, args)
            for execution, status in statuses.items():
                print(f"final: {execution} {status}")
            execution = args.details_id or args.ids[0]
            print(f"steps of {execution}:")
            walk_steps(client, execution, args.requestor)
    except (ApiError, httpx.HTTPError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"error: unexpected response, it has no field {exc}", file=sys.stderr)
        return 2
    return 0 if all(status.lower() == SUCCESS for status in statuses.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
