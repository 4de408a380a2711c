"""Watch the newest 8x8 Automation workflow instance of a definition until it leaves Runnable.

    .venv/bin/python examples/eightbyeight_poller.py --base-url http://127.0.0.1:8000 \\
        --account-id acme --definition-id 5870442f-3ddd-4657-b74c-6e17308f5230

The API only lists instances (newest first), so the poller takes the newest one and then finds it
again by its workflowId near the top of the list. Prints every status it observes, then
`final: <status>`. Exit code: 0 when the instance is Complete, 1 when it was Terminated or
Suspended, 2 when the API refused the request, could not be reached, listed no instance or the
instance stayed Runnable too long.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

# Runnable: running or waiting. Anything else needs no more waiting; the value is the exit code
# (a Suspended instance only moves again after a resume command).
DONE = {"Complete": 0, "Terminated": 1, "Suspended": 1}


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
    """8x8 errors are `{"code": 1300, "message": ..., "errorId": ..., "timestamp": ...}`."""
    try:
        body = response.json()
        return f"code {body['code']}: {body['message']}"
    except (ValueError, KeyError, TypeError):
        return response.text


def get_json(client: httpx.Client, path: str, params: dict[str, Any], retries: int = 4) -> Any:
    """GET a JSON body; 429 and 5xx are retried with backoff, any other error raises ApiError."""
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


def watch_newest_instance(client: httpx.Client, args: argparse.Namespace) -> str:
    """Take the newest instance, then re-read it until it is no longer Runnable."""
    path = f"/api/v1/accounts/{args.account_id}/definitions/{args.definition_id}/workflows"
    first = {"limit": 1} if args.version is None else {"limit": 1, "version": args.version}
    listed = get_json(client, path, first)
    if not listed:
        raise ApiError(f"definition {args.definition_id} has no workflow instances")
    instance = listed[0]
    # Later polls pin its version and read the newest 100, where it stays unless 100 newer start.
    again = {"version": instance["version"], "limit": 100}
    deadline = time.monotonic() + args.timeout
    interval = args.interval
    while True:
        status = str(instance["status"])
        print(f"instance {instance['workflowId']}: {status}", flush=True)
        if status in DONE:
            return status
        if time.monotonic() + interval > deadline:
            raise TimeoutError(f"instance {instance['workflowId']} still {status} after {args.timeout:.0f} s")
        time.sleep(interval)
        interval = min(interval * 2, args.max_interval)
        listed = get_json(client, path, again)
        instance = next((i for i in listed if i["workflowId"] == instance["workflowId"]), None)
        if instance is None:
            raise ApiError("the instance is no longer listed")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", required=True, help="e.g. https://automation.8x8.com")
    parser.add_argument("--account-id", required=True)
    parser.add_argument("--definition-id", required=True, help="workflow definition id (a UUID)")
    parser.add_argument("--version", type=int, help="definition version (default: the latest)")
    parser.add_argument("--token", default=os.environ.get("EIGHTBYEIGHT_API_KEY", "example-key"))
    parser.add_argument("--interval", type=float, default=1.0, help="first wait between polls (s)")
    parser.add_argument("--max-interval", type=float, default=30.0, help="longest wait between polls (s)")
    parser.add_argument("--timeout", type=float, default=1800.0, help="give up after this many seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    headers = {"Authorization": f"Bearer {args.token}"}
    try:
        with httpx.Client(base_url=args.base_url, headers=headers, timeout=10) as client:
            status = watch_newest_instance(client, args)
    except (ApiError, httpx.HTTPError, TimeoutError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyError as exc:
        print(f"error: unexpected response, it has no field {exc}", file=sys.stderr)
        return 2
    print(f"final: {status}")
    return DONE[status]


if __name__ == "__main__":
    sys.exit(main())
