"""`python -m benchmarks.unshared_workers PORT`: the baseline of the `--workers 2` row of
`benchmarks.shared`: two uvicorn workers on one socket, exactly as `mockserver serve --workers 2`
runs them, but each with its own memory store, sharing nothing (the mock before shared state).

Only this differs from `--workers 2`, so the row's ratio is what sharing costs and nothing else:
two workers on one listening socket do not divide the connections as two processes on two ports
loaded by one wrk each do. Never a way to serve: the workers' scenarios would contradict each other.
"""

from __future__ import annotations

import os
import sys

from mockserver.launch import quiet_dependency_warnings


def main(port: int) -> None:
    import uvicorn

    from mockserver.settings import UVICORN_OPTIONS, parse_origin

    quiet_dependency_warnings()
    # Each worker builds its settings from MOCKSERVER_*; "1 worker" is what keeps a memory store.
    os.environ["MOCKSERVER_WORKERS"] = "1"
    os.environ["MOCKSERVER_CLOCK_ORIGIN"] = repr(parse_origin("day"))
    os.environ.pop("MOCKSERVER_STATE", None)
    uvicorn.run(
        "mockserver.launch:worker_app",
        factory=True,
        workers=2,
        host="127.0.0.1",
        port=port,
        **UVICORN_OPTIONS,
    )


if __name__ == "__main__":  # uvicorn's workers import this module again: start only in the parent
    main(int(sys.argv[1]))
