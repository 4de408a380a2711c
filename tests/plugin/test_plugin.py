"""The pytest plugin as a client developer uses it: `mock_server`, reset, scenarios per test."""

from __future__ import annotations

import httpx
import pytest

from mockserver.pytest_plugin import MockServerHandle

AUTH = {"Authorization": "Bearer test-token"}


def _poll_until_done(base_url: str, flow_id: int) -> list[str]:
    """The loop a user writes (kept tiny here)."""
    seen = []
    for _ in range(20):
        status = httpx.get(f"{base_url}/rest/v1/executions/{flow_id}", headers=AUTH).json()["status"]
        seen.append(status)
        if status != "running":
            break
    return seen


def test_my_poller_sees_the_pinned_story(mock_server: MockServerHandle) -> None:
    assert _poll_until_done(mock_server.base_url, 9002) == ["running"] * 3 + ["error"]
    assert len(mock_server.journal(path="/rest/v1/executions/9002")) == 4


def test_each_test_starts_from_a_reset_mock(mock_server: MockServerHandle) -> None:
    assert mock_server.journal() == []
    assert _poll_until_done(mock_server.base_url, 9002)[0] == "running"


@pytest.mark.mock_scenario(
    api="etlworks", operation="getFlowStatus", params={"flowId": 77}, scenario="warns-after-2-polls"
)
def test_a_marker_pins_any_id_to_a_scenario(mock_server: MockServerHandle) -> None:
    assert _poll_until_done(mock_server.base_url, 77) == ["running", "running", "warning"]
    report = mock_server.polls()
    assert report[0]["stoppedWhenTerminal"] is True and report[0]["polls"] == 3


def test_pytester_runs_a_user_suite_with_the_plugin(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import httpx

        def test_user_poller(mock_server):
            body = httpx.get(mock_server.url("/rest/v1/executions/9001"),
                             headers={"Authorization": "Bearer t"}).json()
            assert body["status"] == "running"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_mockserver_args_keep_the_plugins_clock_origin_now(pytester: pytest.Pytester) -> None:
    # The README's own example: extra arguments add to the defaults, they do not replace them.
    pytester.makepyfile(
        """
        from pathlib import Path

        def test_arguments_of_the_running_mock(mock_server):
            argv = Path(f"/proc/{mock_server.process.pid}/cmdline").read_bytes().decode().split("\\0")
            options = dict(zip(argv, argv[1:]))
            assert options["--clock-origin"] == "now"
            assert options["--seed"] == "7" and options["--time-scale"] == "30"
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--mockserver-args=--seed 7 --time-scale 30"
    )
    result.assert_outcomes(passed=1)


def test_mockserver_args_may_choose_another_clock_origin(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmockserver_args = --clock-origin day\n")
    pytester.makepyfile(
        """
        import httpx

        def test_health_of_a_day_anchored_mock(mock_server):
            argv = mock_server.process.args
            assert argv[argv.index("--clock-origin", argv.index("now")) + 1] == "day"
            assert httpx.get(mock_server.url("/__mock/health")).json()["status"] == "ok"
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def test_a_misspelled_scenario_shows_the_mocks_message_with_the_valid_ones(pytester: pytest.Pytester) -> None:
    pytester.makepyfile(
        """
        import pytest

        @pytest.mark.mock_scenario(api="etlworks", operation="getFlowStatus",
                                   params={"flowId": 42}, scenario="fails-after-3-pols")
        def test_pinned(mock_server):
            pass
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(errors=1)
    result.stdout.fnmatch_lines(
        [
            "*mock_scenario*HTTP 400: no scenario 'fails-after-3-pols': getFlowStatus offers"
            " *fails-after-3-polls*",
        ]
    )
    assert "HTTPStatusError" not in result.stdout.str()


def test_two_sessions_on_one_mock_tell_their_own_stories(mock_server: MockServerHandle) -> None:
    alice, bob = mock_server.for_session("alice"), mock_server.for_session("bob")
    for handle in (alice, bob):
        handle.reset()
    alice.pin("etlworks", "getFlowStatus", {"flowId": 4848}, "stays-running")
    bob.pin("etlworks", "getFlowStatus", {"flowId": 4848}, "fails-after-3-polls")
    assert _poll_until_done(bob.base_url, 4848) == ["running"] * 3 + ["error"]
    assert _poll_until_done(alice.base_url, 4848) == ["running"] * 20
    assert len(alice.journal()) == 20 and len(bob.journal()) == 4
    assert [p["polls"] for p in bob.polls()] == [4]
    assert mock_server.journal(path="/4848") == []  # the default session saw none of it


USER_SUITE = """
import httpx, pathlib, pytest

def poll(base_url, flow_id):
    seen = []
    for _ in range(12):
        seen.append(httpx.get(f"{base_url}/rest/v1/executions/{flow_id}",
                              headers={"Authorization": "Bearer t"}).json()["status"])
        if seen[-1] != "running":
            break
    return seen

@pytest.mark.parametrize("scenario", ["fails-after-3-polls", "stays-running", "warns-after-2-polls"] * 2)
def test_same_id_other_story(mock_server, scenario):
    mock_server.pin("etlworks", "getFlowStatus", {"flowId": 4949}, scenario)
    seen = poll(mock_server.base_url, 4949)
    expected = {"fails-after-3-polls": ["running"] * 3 + ["error"],
                "stays-running": ["running"] * 12,
                "warns-after-2-polls": ["running"] * 2 + ["warning"]}[scenario]
    assert seen == expected
    assert len(mock_server.journal(path="/4949")) == len(expected)
    root = mock_server.base_url.split("/__session/")[0]
    pathlib.Path(f"{mock_server.session or 'none'}.root").write_text(root)
"""


def test_xdist_workers_share_one_mock_each_in_its_own_session(pytester: pytest.Pytester) -> None:
    pytest.importorskip("xdist")  # pinned in the test extra: installed by `make .venv/.installed`
    pytester.makepyfile(USER_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "-n", "2")
    result.assert_outcomes(passed=6)
    roots = {path.stem: path.read_text() for path in pytester.path.glob("*.root")}
    assert set(roots) == {"gw0", "gw1"} and len(set(roots.values())) == 1, roots


def test_a_session_per_test_keeps_even_one_workers_tests_apart(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\nmockserver_session_per_test = true\n")
    pytester.makepyfile(USER_SUITE)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=6)
    assert len(list(pytester.path.glob("t-*.root"))) == 6
