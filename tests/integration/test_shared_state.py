"""One behaviour, every store: one process (memory), `--workers 2` (SQLite), two processes on Redis.

Each request goes over a new connection, so with several workers any of them may answer; with
two processes on Redis the requests alternate between them. The story must be the same.
"""

from __future__ import annotations

import itertools
import subprocess
import sys
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from tests.conftest import CREDENTIALS, RunningServer, start_server
from tests.integration.test_scenarios import _POLL as SCENARIO_POLLS
from tests.integration.test_scenarios import ROWS
from tests.store_fixtures import RedisServer, redis_server

__all__ = ["redis_server"]  # the fixture, used by this module

ETL = CREDENTIALS["etlworks"]
CODECATALYST = CREDENTIALS["codecatalyst"]


@dataclass
class Mock:
    """The servers of one deployment; each request goes to the next one, on a new connection."""

    servers: list[RunningServer]
    workers: int = 1
    turn: Iterator[int] = field(init=False)

    def __post_init__(self) -> None:
        self.turn = itertools.cycle(range(len(self.servers)))

    def request(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        base = self.servers[next(self.turn)].base_url
        headers = {"Connection": "close", **kwargs.pop("headers", {})}
        return httpx.request(method, base + path, headers=headers, timeout=10, **kwargs)

    def stop(self) -> None:
        for server in self.servers:
            server.stop()


def pin(mock: Mock, flow: int, scenario: str, **headers: str) -> None:
    body = {"api": "etlworks", "operation": "getFlowStatus", "params": {"flowId": flow}, "scenario": scenario}
    response = mock.request("PUT", "/__mock/scenarios", json=body, headers=headers)
    assert response.status_code == 200, response.text


def status(mock: Mock, flow: int, prefix: str = "", **headers: str) -> str:
    response = mock.request("GET", f"{prefix}/rest/v1/executions/{flow}", headers={**ETL, **headers})
    return str(response.json()["status"]) if response.status_code == 200 else f"HTTP {response.status_code}"


def eventually(read: Callable[[], Any], want: Callable[[Any], bool]) -> Any:
    """`read()` once it satisfies `want` (shared journals are written behind, within a round trip)."""
    deadline = time.monotonic() + 10
    while True:
        value = read()
        if want(value) or time.monotonic() > deadline:
            return value
        time.sleep(0.05)


@pytest.fixture(scope="module", params=["memory", "workers-2", "redis-2-processes"])
def mock(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Mock]:
    tmp = tmp_path_factory.mktemp(request.param)
    workers = 1
    if request.param == "memory":
        servers = [start_server(tmp=tmp)]
    elif request.param == "workers-2":
        servers = [start_server("--workers", "2", tmp=tmp)]
        workers = 2
    else:
        redis: RedisServer = request.getfixturevalue("redis_server")
        state = ("--state", redis.url, "--state-prefix", f"t{uuid.uuid4().hex[:8]}")
        servers = [start_server(*state, tmp=tmp), start_server(*state, tmp=tmp)]
    deployment = Mock(servers, workers)
    yield deployment
    deployment.stop()


def test_every_process_answers(mock: Mock) -> None:
    # The stories below are only shared when more than one process tells them: each health
    # answer names its worker, so fresh connections must reach two (one for `memory`).
    expected = len(mock.servers) * mock.workers
    pids = set()
    for _ in range(200):
        pids.add(mock.request("GET", "/__mock/health").json()["worker"]["pid"])
        if len(pids) >= expected:
            break
    assert len(pids) == expected, pids


@pytest.fixture
def fresh(mock: Mock) -> Mock:
    assert mock.request("POST", "/__mock/reset").status_code == 200
    return mock


def test_a_pinned_scenario_is_told_poll_by_poll(fresh: Mock) -> None:
    pin(fresh, 4242, "fails-after-3-polls")
    assert [status(fresh, 4242) for _ in range(5)] == ["running"] * 3 + ["error"] * 2


def test_a_fixture_pinned_scenario_counts_every_poll_once(fresh: Mock) -> None:
    states = [status(fresh, 9005) for _ in range(6)]
    assert states == ["running", "HTTP 500", "HTTP 500", "running", "success", "success"]


def test_journal_health_and_poll_report_agree_whoever_answers(fresh: Mock) -> None:
    pin(fresh, 4343, "succeeds-after-3-polls")
    for _ in range(4):
        status(fresh, 4343)
    for _ in range(3):  # every process reads the same journal
        health = eventually(
            lambda: fresh.request("GET", "/__mock/health").json()["state"], lambda s: s["journal"] == 4
        )
        assert health == {"journal": 4, "pinned": 1, "scenarioRuns": 1, "clockOffsets": 0}
    report = fresh.request("GET", "/__mock/polls").json()["polls"]
    assert [(r["polls"], r["states"], r["stoppedWhenTerminal"]) for r in report] == [
        (4, ["running", "running", "running", "success"], True)
    ]
    entries = fresh.request("GET", "/__mock/journal").json()["entries"]
    assert [e["path"] for e in entries] == ["/rest/v1/executions/4343"] * 4
    assert entries[0]["headers"]["authorization"].startswith("Bearer ***")


@pytest.mark.parametrize(("slug", "execution", "name", "polls"), ROWS, ids=[f"{r[0]}:{r[1]}" for r in ROWS])
def test_every_documented_scenario_is_told_alike_whoever_answers(
    fresh: Mock, slug: str, execution: str, name: str, polls: list[str]
) -> None:
    # README's scenario table, as tests/integration/test_scenarios.py replays it on one process.
    path, read = SCENARIO_POLLS[slug]
    expected = [*polls, polls[-1], polls[-1]]  # the last step repeats
    seen = []
    for _ in expected:
        response = fresh.request("GET", path(execution), headers=CREDENTIALS[slug])
        seen.append(read(response.json()) if response.status_code == 200 else str(response.status_code))
    assert seen == expected, name


def test_the_clock_moves_for_every_process(fresh: Mock) -> None:
    path = "/v1/spaces/acme/projects/web/workflowRuns/0f8fad5b-d9cb-469f-a165-70867728950e"
    before = fresh.request("GET", path, headers=CODECATALYST).json()
    moved = fresh.request("POST", "/__mock/clock", json={"seconds": 7200})
    assert moved.status_code == 200
    after = [fresh.request("GET", path, headers=CODECATALYST).json() for _ in range(2)]
    assert {a["status"] for a in after} <= {"SUCCEEDED", "FAILED", "STOPPED"}
    assert {a["startTime"] for a in after} == {before["startTime"]}
    nows = [fresh.request("GET", "/__mock/health").json()["now"][:16] for _ in range(2)]
    assert min(nows) >= moved.json()["now"][:16]  # without a shared clock one would be 2 h behind


def test_reset_forgets_pins_in_every_process(fresh: Mock) -> None:
    pin(fresh, 4444, "stays-running")
    assert fresh.request("POST", "/__mock/reset").status_code == 200
    sizes = [fresh.request("GET", "/__mock/health").json()["state"]["pinned"] for _ in range(2)]
    assert sizes == [0, 0]


def test_sessions_isolate_two_clients_on_the_same_id(fresh: Mock) -> None:
    pin(fresh, 4545, "stays-running", **{"X-Mock-Session": "alice"})
    pin(fresh, 4545, "fails-after-3-polls", **{"X-Mock-Session": "bob"})
    alice = [status(fresh, 4545, **{"X-Mock-Session": "alice"}) for _ in range(4)]
    bob = [status(fresh, 4545, prefix="/__session/bob") for _ in range(4)]  # the URL-prefix form
    assert alice == ["running"] * 4 and bob == ["running"] * 3 + ["error"]
    alice_journal = eventually(
        lambda: fresh.request("GET", "/__session/alice/__mock/journal").json()["entries"],
        lambda entries: len(entries) == 4,
    )
    assert [e["path"] for e in alice_journal] == ["/rest/v1/executions/4545"] * 4
    bob_health = eventually(
        lambda: fresh.request("GET", "/__mock/health", headers={"X-Mock-Session": "bob"}).json(),
        lambda h: h["state"]["journal"] == 4,
    )
    assert bob_health["state"] == {"journal": 4, "pinned": 1, "scenarioRuns": 1, "clockOffsets": 0}
    default = fresh.request("GET", "/__mock/health").json()["state"]
    assert default["pinned"] == 0 and default["journal"] == 0
    bad = fresh.request("GET", "/rest/v1/executions/1", headers={**ETL, "X-Mock-Session": "no spaces"})
    assert bad.status_code == 400 and bad.json()["type"].endswith(":bad-session")


def test_redis_state_outlives_a_mock_restart_and_an_outage_is_a_503(
    redis_server: RedisServer, tmp_path: Any
) -> None:
    state = ("--state", redis_server.url, "--state-prefix", f"r{uuid.uuid4().hex[:8]}")
    first = Mock([start_server(*state, tmp=tmp_path)])
    pin(first, 4646, "fails-after-3-polls")
    assert [status(first, 4646) for _ in range(2)] == ["running", "running"]
    port = first.servers[0].base_url.rsplit(":", 1)[1]
    first.stop()
    again = Mock([start_server(*state, tmp=tmp_path, port=int(port))])
    try:
        assert status(again, 4646) == "running"  # poll 3 of the story, after a restart
        redis_server.stop()
        try:
            lost = again.request("GET", "/rest/v1/executions/4646", headers=ETL)  # a hang times out
            control = again.request("GET", "/__mock/health")
            assert lost.status_code == 503 and control.status_code == 503
            assert control.json()["type"].endswith(":state-unavailable")
        finally:
            redis_server.start()
        # This redis-server keeps nothing on disk: back, it is empty, and the mock works again.
        assert eventually(lambda: status(again, 4646), lambda s: s != "HTTP 503") != "HTTP 503"
        pin(again, 4646, "fails-after-3-polls")
        assert [status(again, 4646) for _ in range(4)] == ["running"] * 3 + ["error"]
    finally:
        again.stop()
    log = again.servers[0].log.read_text()
    assert "Traceback" not in log and "unavailable" in log


def test_redis_replicas_answer_unpinned_ids_without_reading_the_store(
    redis_server: RedisServer, tmp_path: Any
) -> None:
    state = ("--state", redis_server.url, "--state-prefix", f"q{uuid.uuid4().hex[:8]}")
    mock = Mock([start_server(*state, tmp=tmp_path), start_server(*state, tmp=tmp_path)])
    try:
        pin(mock, 4747, "fails-after-3-polls")
        assert status(mock, 4747) == "running"  # each replica has read its snapshot once now
        assert status(mock, 4747) == "running"
        with redis_server.client() as raw:
            raw.config_resetstat()
            answered = [status(mock, 50_000 + n) for n in range(60)]
            stats = raw.info("commandstats")
        assert not [state for state in answered if state.startswith("HTTP")], answered
        reads = stats.get("cmdstat_hgetall", {}).get("calls", 0)
        # Without the cache: two reads per request (pin and clock), 120 here. With it: a snapshot
        # (two hashes) per replica when one is over a second old (`max_age`), however many ids.
        assert reads <= 2 * 2 * 8, stats
        pin(mock, 4747, "stays-running")  # a change through one replica ...
        assert [status(mock, 4747) for _ in range(4)] == ["running"] * 4  # ... told by both at once
    finally:
        mock.stop()


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["--state", "redis://h:6379/x"], "database 'x' is not a number"),
        (["--state", "rediss:/nohost"], "no host"),
        (["--state", "memory", "--workers", "2"], "cannot be shared by --workers 2"),
        (["--state", "reddis://h:1/0"], "did you mean redis://?"),
        (["--state", "redis://127.0.0.1:1/0"], "unavailable: Error 111"),
    ],
)
def test_a_bad_state_is_one_line_and_exit_2(args: list[str], expected: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "mockserver", "serve", *args, "--port", "1"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and expected in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1
