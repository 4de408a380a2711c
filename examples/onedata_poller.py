"""Poll a Onedata automation workflow execution until it ends (Get workflow execution details).

    .venv/bin/python examples/onedata_poller.py --base-url http://127.0.0.1:8000 \\
        --execution-id 11a53ed06d175c89bc3ed5be61f8217cch1890

Prints every status it observes (with its lane runs), then `final: <status>`. Exit code: 0 when
the execution finished, 1 when it failed, was cancelled or crashed, 2 when the API refused the
request, could not be reached or the execution did not end in time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

# Documented workflow statuses that do not change any more; the value is the exit code.
# (paused and interrupted can be resumed, so they are waited on like scheduled and active.)
TERMINAL = {"finished": 0, "failed": 1, "cancelled": 1, "crashed": 1}


class ApiError(Exception):
    """The API answered with an error; the text carries its status, error id and description."""


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
    """Onedata errors are `{"error": {"id": ..., "description": ..., "ctx": {...}}}`."""
    try:
        error = response.json()["error"]
        return f"{error['id']}: {error['description']}"
    except (ValueError, KeyError, TypeError):
        return response.text


def get_json(client: httpx.Client, path: str, retries: int = 4) -> Any:
    """GET a JSON body; 429 and 5xx are retried with backoff, any other error raises ApiError."""
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


def lane_summary(execution: dict[str, Any]) -> str:
    """`lanes: active, scheduled`: the status of the latest run of each lane."""
    latest = [lane["runs"][-1]["status"] for lane in execution.get("lanes") or [] if lane.get("runs")]
    return f" (lanes: {', '.join(latest)})" if latest else ""


def poll_execution(client: httpx.Client, args: argparse.Namespace) -> str:
    """Get the execution until its status is terminal, doubling the interval each time."""
    path = f"/api/v3/oneprovider/automation/execution/workflows/{args.execution_id}"
    deadline = time.monotonic() + args.timeout
    interval = args.interval
    while True:
        execution = get_json(client, path)
        status = str(execution["status"])
        print(f"execution {args.execution_id}: {status}{lane_summary(execution)}", flush=True)
        if status in TERMINAL:
            return status
        if time.monotonic() + interval > deadline:
            raise TimeoutError(f"execution {args.execution_id} still {status} after {args.timeout:.0f} s")
        time.sleep(interval)
        interval = min(interval * 2, args.max_interval)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--base-url", required=True, help="the Oneprovider, e.g. https://provider.example.com"
    )
    parser.add_argument("--execution-id", required=True, help="workflow execution id")
    parser.add_argument("--token", default=os.environ.get("ONEDATA_TOKEN", "example-token"))
    parser.add_argument("--interval", type=float, default=1.0, help="first wait between polls (s)")
    parser.add_argument("--max-interval", type=float, default=30.0, help="longest wait between polls (s)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    headers = {"X-Auth-Token": args.token}
    try:
        with httpx.Client(base_url=args.base_url, headers=headers, timeout=10) as client:
            status = poll_execution(client, args)
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
