"""Poll an Etlworks flow until it finishes (GET /rest/v1/executions/{flowId}).

    .venv/bin/python examples/etlworks_poller.py --base-url http://127.0.0.1:8000 --flow-id 1234

Prints every status it observes, then `final: <status>`. Exit code: 0 when the flow ended in
success or warning, 1 when it ended in error, 2 when the API refused the request, could not be
reached or the run did not finish in time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from email.utils import parsedate_to_datetime
from typing import Any

import httpx

# Documented statuses: running, then one of these; the value is the exit code.
TERMINAL = {"success": 0, "warning": 0, "error": 1}


class ApiError(Exception):
    """The API answered with an error; the text carries its status and its own message."""


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
    """The API's own message: Etlworks errors are `{"message": ...}`."""
    try:
        return str(response.json()["message"])
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
        raise ApiError(f"HTTP {response.status_code}: {error_message(response)}")
    try:
        return response.json()
    except ValueError:
        raise ApiError(f"HTTP {response.status_code}: the body is not JSON") from None


def poll_flow(client: httpx.Client, args: argparse.Namespace) -> str:
    """Ask for the flow's status until it is terminal, doubling the interval each time."""
    params = {"auditId": args.audit_id} if args.audit_id is not None else {}
    deadline = time.monotonic() + args.timeout
    interval = args.interval
    while True:
        status = str(get_json(client, f"/rest/v1/executions/{args.flow_id}", params)["status"])
        print(f"flow {args.flow_id}: {status}", flush=True)
        if status in TERMINAL:
            return status
        if time.monotonic() + interval > deadline:
            raise TimeoutError(f"flow {args.flow_id} still {status} after {args.timeout:.0f} s")
        time.sleep(interval)
        interval = min(interval * 2, args.max_interval)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--base-url", required=True, help="e.g. https://app.etlworks.com")
    parser.add_argument("--flow-id", type=int, required=True)
    parser.add_argument("--audit-id", type=int, help="status of this execution of the flow")
    parser.add_argument("--token", default=os.environ.get("ETLWORKS_TOKEN", "example-token"))
    parser.add_argument("--interval", type=float, default=1.0, help="first wait between polls (s)")
    parser.add_argument("--max-interval", type=float, default=30.0, help="longest wait between polls (s)")
    parser.add_argument("--timeout", type=float, default=600.0, help="give up after this many seconds")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    headers = {"Authorization": f"Bearer {args.token}"}
    try:
        with httpx.Client(base_url=args.base_url, headers=headers, timeout=10) as client:
            status = poll_flow(client, args)
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
