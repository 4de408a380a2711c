"""`python -m benchmarks`: start every target, load them API by API, print the report, write the JSON.

Every target is started in turn (its startup timed alone) and kept running; then, for each API, the
five targets are loaded back to back, so the runs a ratio compares are minutes apart at most (the
machine may be shared). Idle targets wait between their runs.

Exit codes: 0 every measurement ran (targets may still FAIL: the report says so), 1 some
measurement could not be made, 2 the set-up failed (e.g. wrk cannot be installed).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from contextlib import ExitStack
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from benchmarks.ceiling import pick_body
from benchmarks.config import HOST, REPO, RESULTS_DIR, BenchError, Config
from benchmarks.endpoints import Endpoint, Pool, fixture_pool, generated_pool, resolve
from benchmarks.load import LoadResult, ensure_wrk, run_wrk, wrk_version
from benchmarks.prism import PACKAGE, PrismInfo, ensure_prism, prism_launch
from benchmarks.report import LABELS, WORKERS, Target, checks, machine_info, ratios, render, write_results
from benchmarks.servers import Launch, Probe, Server, free_port, get, mock_launch, running, system_busy_s
from benchmarks.verify_speed import time_schemathesis, time_verify

SAMPLE = 20  # mock responses per API read to size the ceiling's bodies
NOISY_CPU_PCT = 30.0  # CPU used by other processes during a run above which the run is flagged


def _mib(kib: int) -> float:
    return round(kib / 1024, 1)


def _say(text: str) -> None:
    print(f"bench: {text}", flush=True)


@dataclass
class Started:
    """A running target: its server, the URLs each API is loaded with, the port serving each API."""

    server: Server
    paths: Mapping[str, Sequence[str]]
    port_of: Callable[[Server, Endpoint], int]


def _single(server: Server, endpoint: Endpoint) -> int:
    return server.port()


def _per_spec(server: Server, endpoint: Endpoint) -> int:
    return server.port(Path(endpoint.spec).stem)


class Run:
    def __init__(self, config: Config, wrk: str, endpoints: Sequence[Endpoint], workdir: Path) -> None:
        self.config = config
        self.wrk = wrk
        self.endpoints = list(endpoints)
        self.workdir = workdir
        self.generated = {e.slug: generated_pool(config.project, e, config.pool_size) for e in endpoints}
        self.fixtures = {e.slug: fixture_pool(config.project, e) for e in endpoints}
        self.bodies: dict[str, bytes] = {}  # ceiling: path prefix -> a real mock body
        self.targets: dict[str, Target] = {}
        self.started: dict[str, Started] = {}
        self.notes: list[str] = []
        self.noisy: list[str] = []  # runs during which other work used the machine
        self.verify: dict[str, Any] = {}

    # --- start ----------------------------------------------------------------------------------

    def start(
        self,
        stack: ExitStack,
        name: str,
        launches: Sequence[Launch],
        paths: Mapping[str, Sequence[str]],
        port_of: Callable[[Server, Endpoint], int],
    ) -> Server | None:
        """Start a target (stopped when `stack` closes), time it to every API's first answer, read RSS."""
        label = LABELS[name]
        target: Target = {"name": name, "label": label, "argv": [list(launch.argv) for launch in launches]}
        self.targets[name] = target
        _say(f"{label}: starting {len(launches)} process(es)")
        try:
            server = stack.enter_context(running(name, launches, self.workdir / "logs"))
        except BenchError as exc:
            self.fail(name, str(exc))
            return None
        target["processes"] = len(launches)
        target["startup_s"] = round(server.startup_s, 3)
        target["first_answers"] = server.first_answers
        target["rss_before_mib"] = _mib(server.rss_kib())
        target["rss_before_per_process_mib"] = server.rss_per_process_mib()
        target["loads"] = {}
        _say(f"{label}: all APIs answered in {server.startup_s:.3f} s, RSS {target['rss_before_mib']} MiB")
        for answer, first in server.first_answers.items():
            if not 200 <= int(first["status"]) < 300:
                self.notes.append(f"{label}: first answer of {answer} was {first['status']}")
        self.started[name] = Started(server, paths, port_of)
        return server

    def fail(self, name: str, message: str) -> None:
        label = LABELS[name]
        target = self.targets.setdefault(name, {"name": name, "label": label})
        target["error"] = message.splitlines()[0]
        target["error_detail"] = message
        self.started.pop(name, None)
        self.notes.append(f"{label}: NOT MEASURED: {message}")
        _say(f"{label}: ERROR: {message}")

    def start_mock(self, stack: ExitStack, kind: str) -> None:
        pools = self.generated if kind == "generated" else self.fixtures
        launch = mock_launch(self.config.project, free_port(), self._probes(pools, full=True))
        paths = {slug: pool.full() for slug, pool in pools.items()}
        name = f"mock-{kind}"
        server = self.start(stack, name, [launch], paths, _single)
        if server is None:
            return
        if kind == "generated":
            self._sample(server, self.targets[name])
        else:
            self._check_fixtures(server, self.targets[name])

    def start_workers(self, stack: ExitStack) -> None:
        """(e): the generated mock with `--workers`; its answers must be those of one worker."""
        probes = self._probes(self.generated, full=True)
        launch = mock_launch(self.config.project, free_port(), probes, workers=WORKERS)
        paths = {slug: pool.full() for slug, pool in self.generated.items()}
        server = self.start(stack, "mock-workers", [launch], paths, _single)
        single = self.started.get("mock-generated")
        if server is None or single is None:
            return
        compared = identical = 0
        for endpoint in self.endpoints:
            for path in self.generated[endpoint.slug].full()[:SAMPLE]:
                # Read each URL from the pool twice (the kernel spreads connections over workers)
                # and once from the single worker; a state change in between gets one retry.
                for _ in range(2):
                    one = get(single.server.port(), path, endpoint.headers)
                    many = [get(server.port(), path, endpoint.headers) for _ in range(2)]
                    if one is not None and all(m == one for m in many):
                        break
                compared += 1
                identical += one is not None and all(m == one for m in many)
        self.targets["mock-workers"]["identical_answers"] = {"compared": compared, "identical": identical}
        if identical != compared:
            self.notes.append(f"(e) --workers {WORKERS}: {compared - identical} of {compared} answers differ")

    def start_ceiling(self, stack: ExitStack) -> None:
        missing = [e.slug for e in self.endpoints if e.prefix not in self.bodies]
        if missing:
            self.fail("ceiling", f"no generated mock body to copy for {', '.join(missing)}")
            return
        bodies = self.workdir / "ceiling-bodies.json"
        bodies.write_text(json.dumps({k: v.decode("utf-8", "replace") for k, v in self.bodies.items()}))
        port = free_port()
        argv = [sys.executable, "-m", "benchmarks.ceiling", "--port", str(port), "--bodies", str(bodies)]
        launch = Launch("ceiling", argv, port, self._probes(self.generated, full=True), cwd=REPO)
        paths = {slug: pool.full() for slug, pool in self.generated.items()}
        if self.start(stack, "ceiling", [launch], paths, _single) is not None:
            self.targets["ceiling"]["body_bytes"] = {
                prefix: len(body) for prefix, body in self.bodies.items()
            }

    def start_prism(self, stack: ExitStack, info: PrismInfo, dynamic: bool) -> None:
        name = "prism-dynamic" if dynamic else "prism-static"
        if info.binary is None:
            self.targets[name] = {
                "name": name,
                "label": LABELS[name],
                "skipped": info.reason or "not available",
            }
            return
        pools = self.generated if dynamic else self.fixtures
        launches = []
        for endpoint in self.endpoints:
            pool = pools[endpoint.slug]
            if not pool.paths:
                continue
            probe = Probe(endpoint.slug, pool.paths[0], endpoint.headers)
            spec = self.config.project / endpoint.spec
            launches.append(
                prism_launch(info.binary, spec, free_port(), probe, dynamic=dynamic, cwd=self.config.project)
            )
        # Prism serves a spec without its base path: the same pool, relative paths.
        paths = {slug: pool.paths for slug, pool in pools.items()}
        self.start(stack, name, launches, paths, _per_spec)

    def _probes(self, pools: Mapping[str, Pool], full: bool) -> list[Probe]:
        probes = []
        for endpoint in self.endpoints:
            pool = pools[endpoint.slug]
            if pool.paths:
                path = pool.full()[0] if full else pool.paths[0]
                probes.append(Probe(endpoint.slug, path, endpoint.headers))
        return probes

    def _sample(self, server: Server, target: Target) -> None:
        """Read real generated bodies: the ceiling answers the median-sized one per API."""
        samples: dict[str, Any] = {}
        for endpoint in self.endpoints:
            bodies: list[bytes] = []
            statuses: dict[str, int] = {}
            for path in self.generated[endpoint.slug].full()[:SAMPLE]:
                answer = get(server.port(), path, endpoint.headers)
                status = "none" if answer is None else str(answer[0])
                statuses[status] = statuses.get(status, 0) + 1
                if answer is not None and 200 <= answer[0] < 300:
                    bodies.append(answer[1])
            entry: dict[str, Any] = {"statuses": statuses}
            if bodies:
                body = pick_body(bodies)
                self.bodies[endpoint.prefix] = body
                sizes = sorted(len(b) for b in bodies)
                entry.update(
                    ceiling_body_bytes=len(body), sizes_min_median_max=[sizes[0], len(body), sizes[-1]]
                )
            if set(statuses) - {"200"}:
                self.notes.append(f"mock, generated, {endpoint.slug}: sample statuses {statuses}")
            samples[endpoint.slug] = entry
        target["samples"] = samples

    def _check_fixtures(self, server: Server, target: Target) -> None:
        statuses: dict[str, dict[str, int]] = {}
        for endpoint in self.endpoints:
            seen: dict[str, int] = {}
            for path in self.fixtures[endpoint.slug].full():
                answer = get(server.port(), path, endpoint.headers)
                status = "none" if answer is None else str(answer[0])
                seen[status] = seen.get(status, 0) + 1
            statuses[endpoint.slug] = seen
            if set(seen) - {"200"}:
                self.notes.append(f"mock, fixtures, {endpoint.slug}: fixture URL statuses {seen}")
        target["fixture_statuses"] = statuses

    # --- load -----------------------------------------------------------------------------------

    def load_all(self) -> None:
        """For each API, every running target in turn."""
        for endpoint in self.endpoints:
            for name in LABELS:
                started = self.started.get(name)
                if started is None:
                    continue
                server = started.server
                load = self.load(
                    name, endpoint, server, started.port_of(server, endpoint), started.paths[endpoint.slug]
                )
                self.targets[name]["loads"][endpoint.slug] = load
                if not server.alive():
                    self.fail(name, f"a server process died under load\n{server.log_tail()}")
        for name, started in self.started.items():
            target = self.targets[name]
            target["rss_after_mib"] = _mib(started.server.rss_kib())
            target["rss_after_per_process_mib"] = started.server.rss_per_process_mib()
            _say(f"{LABELS[name]}: RSS after the run {target['rss_after_mib']} MiB")

    def load(self, name: str, endpoint: Endpoint, server: Server, port: int, paths: Sequence[str]) -> Target:
        label = LABELS[name]
        if not paths:
            return {"error": "no URL in the pool"}
        script = f"{name}-{endpoint.slug}"

        def wrk(seconds: float) -> LoadResult:
            return run_wrk(
                self.wrk,
                port,
                paths,
                endpoint.headers,
                seconds=seconds,
                connections=self.config.connections,
                threads=self.config.threads,
                script_dir=self.workdir / "lua",
                name=script,
            )

        try:
            if self.config.warmup > 0:
                wrk(self.config.warmup)
            cpu, busy = server.cpu_s(), system_busy_s()
            result = wrk(self.config.seconds)
            server_cpu, busy = server.cpu_s() - cpu, system_busy_s() - busy
        except BenchError as exc:
            self.notes.append(f"{label} {endpoint.slug}: {exc}")
            return {"error": str(exc)}
        result.server_cpu_pct = round(100 * server_cpu / result.seconds, 1)
        other = 100 * busy / result.seconds - result.server_cpu_pct - (result.wrk_cpu_pct or 0)
        result.other_cpu_pct = round(max(other, 0.0), 1)
        data = result.as_json()
        data["example_url"] = paths[0]
        _say(
            f"{endpoint.slug}: {label}: {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
            f"p99 {result.p99_ms:.2f} ms, non-2xx {result.non_2xx}, "
            f"socket errors {result.socket_error_count}, {result.passes} passes over {result.urls} URLs, "
            f"CPU server {result.server_cpu_pct}% wrk {result.wrk_cpu_pct}% other {result.other_cpu_pct}%"
        )
        if (result.other_cpu_pct or 0) > NOISY_CPU_PCT:
            self.noisy.append(f"{label} {endpoint.slug} ({result.other_cpu_pct:.0f}%)")
        for status, body in result.samples.items():
            count = result.statuses.get(status, 0)
            self.notes.append(
                f"{label} {endpoint.slug}: {count:,} x {status} of {result.requests:,}; "
                f"first body: {body[:200]}"
            )
        if result.socket_error_count:
            errors = {k: v for k, v in result.socket_errors.items() if v}
            self.notes.append(f"{label} {endpoint.slug}: socket errors {errors} (wrk timeout 5 s)")
        return data

    # --- verify speed ---------------------------------------------------------------------------

    def time_verify(self) -> None:
        if not self.config.verify:
            self.verify = {"skipped": "BENCH_VERIFY=0"}
            return
        started = self.started.get("mock-generated")
        if started is None:
            self.verify = {"error": "the mock did not run"}
            return
        root = f"http://{HOST}:{started.server.port()}"
        apis: dict[str, Any] = {}
        for endpoint in self.endpoints:
            spec, headers, budget = endpoint.spec, endpoint.headers, self.config.max_examples
            ours = time_verify(self.config.project, spec, root, headers, budget)
            theirs = time_schemathesis(self.config.project, spec, root + endpoint.base, headers, budget)
            apis[endpoint.slug] = {"mockserver_verify": ours, "schemathesis_run": theirs}
            for tool, data in (("mockserver verify", ours), ("schemathesis run", theirs)):
                if "error" in data:
                    self.notes.append(f"{tool} {endpoint.slug}: {data['error']}")
                elif data.get("exit"):
                    detail = "; ".join(data.get("failure_lines") or [])[:300]
                    self.notes.append(
                        f"{tool} {endpoint.slug}: exit {data['exit']} against the mock: {detail}"
                    )
            _say(
                f"verify speed: {endpoint.slug}: mockserver verify {ours.get('wall_s')} s "
                f"({ours.get('cases')} cases), schemathesis {theirs.get('wall_s')} s "
                f"({theirs.get('cases')} cases)"
            )
        self.verify = {"apis": apis, "max_examples": self.config.max_examples, "seed": 0}
        self.targets["mock-generated"]["rss_after_verify_mib"] = _mib(started.server.rss_kib())


def _endpoint_json(run: Run, endpoint: Endpoint) -> dict[str, Any]:
    generated, fixtures = run.generated[endpoint.slug], run.fixtures[endpoint.slug]
    return {
        "slug": endpoint.slug,
        "operation": endpoint.operation,
        "spec": endpoint.spec,
        "base_path": endpoint.base,
        "template": endpoint.template,
        "headers": dict(endpoint.headers),
        "generated_urls": len(generated.paths),
        "generated_examples": list(generated.paths[:3]),
        "fixture_urls": list(fixtures.paths),
        "fixture_notes": list(fixtures.notes),
    }


def main() -> int:
    started = time.monotonic()
    now = datetime.now(UTC)
    try:
        config = Config.from_env()
        wrk = ensure_wrk()
        endpoints = resolve(config.project)
    except BenchError as exc:
        print(f"bench: error: {exc}", file=sys.stderr)
        return 2
    run = Run(config, wrk, endpoints, RESULTS_DIR / "work")
    machine = machine_info(config.project, now)
    load_1m = machine["loadavg_at_start"][0]
    if load_1m > 0.5:
        run.notes.append(
            f"the machine was not idle at the start (load average {load_1m:.2f} on {machine['nproc']} CPUs); "
            "see the 'other' CPU column"
        )
    runs = len(LABELS) * len(endpoints) * (config.seconds + config.warmup)
    _say(f"project {config.project}; about {runs / 60:.1f} min of load plus start-ups and verify timings")
    prism = ensure_prism() if config.prism else PrismInfo(None, reason="skipped (BENCH_PRISM=0)")
    if prism.reason:
        _say(f"Prism NOT AVAILABLE: {prism.reason}")
        run.notes.append(f"Prism was not measured: {prism.reason}")
    # Start-up is timed for a server, not for compiling Python: byte-compile first, as an install does.
    compile_all = [sys.executable, "-m", "compileall", "-q", str(config.project / "mockserver")]
    subprocess.run(compile_all, check=False)
    with ExitStack() as stack:
        run.start_mock(stack, "generated")
        run.start_mock(stack, "fixtures")
        run.start_ceiling(stack)
        run.start_prism(stack, prism, dynamic=False)
        run.start_prism(stack, prism, dynamic=True)
        run.start_workers(stack)
        run.load_all()
        run.time_verify()
        _say("stopping every server")
    targets = {name: run.targets[name] for name in LABELS if name in run.targets}
    slugs = [e.slug for e in endpoints]
    if run.noisy:
        run.notes.append(
            f"NOISY: in {len(run.noisy)} of the load runs, CPU time outside the server and wrk (other "
            f"processes on this shared machine, kernel) exceeded {NOISY_CPU_PCT:.0f}% of a CPU: "
            + ", ".join(run.noisy)
        )
    result: dict[str, Any] = {
        "schema": "mockserver-bench/1",
        "machine": {**machine, "loadavg_at_end": list(os.getloadavg())},
        "settings": {**config.as_json(), "wrk": wrk_version(wrk), "wrk_timeout_s": 5, "order": "per API"},
        "prism": {
            "package": PACKAGE,
            "version": prism.version,
            "node": prism.node,
            "reason": prism.reason,
            "install_s": prism.install_s,
        },
        "endpoints": [_endpoint_json(run, e) for e in endpoints],
        "targets": targets,
        "ratios": ratios(targets, slugs),
        "verify": run.verify,
        "checks": checks(targets, slugs, prism.reason),
        "notes": run.notes,
    }
    result["elapsed_s"] = round(time.monotonic() - started, 1)
    print()
    print(render(result))
    path = write_results(result, RESULTS_DIR, now)
    print(f"\nresults: {path} (and {RESULTS_DIR / 'latest.json'}); took {result['elapsed_s']:.0f} s")
    failed = [t["label"] for t in targets.values() if t.get("error")]
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
