"""Machine facts, ratios, PASS/FAIL targets, the printed table and the JSON files."""

from __future__ import annotations

import json
import os
import platform
import subprocess
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any

__all__ = ["checks", "machine_info", "ratios", "render", "write_results"]

Target = dict[str, Any]  # one server's results: startup, RSS, loads per API (see __main__)

# Target names and labels, in the order they are run and printed.
LABELS = {
    "mock-generated": "(a) mock, generated",
    "mock-fixtures": "(b) mock, fixtures",
    "ceiling": "(c) bare ASGI ceiling",
    "prism-static": "(d) Prism static",
    "prism-dynamic": "(d) Prism dynamic",
    "mock-workers": "(e) mock, generated, --workers 2",
}
WORKERS = 2
WORKERS_LIMIT = 1.5  # 2 workers share the 2 CPUs with wrk: 2x is out of reach, well above 1x is not
STARTUP_LIMIT_S = 1.0
RSS_LIMIT_MIB = 150.0


def _read(path: str) -> str:
    try:
        return Path(path).read_text(encoding="utf-8")
    except OSError:
        return ""


def _git(project: Path, *args: str) -> str:
    try:
        done = subprocess.run(
            ["git", *args], cwd=project, capture_output=True, text=True, timeout=10, check=False
        )
    except OSError:
        return ""
    return done.stdout.strip() if done.returncode == 0 else ""


def machine_info(project: Path, now: datetime) -> dict[str, Any]:
    cpuinfo = _read("/proc/cpuinfo")
    model = next(
        (ln.split(":", 1)[1].strip() for ln in cpuinfo.splitlines() if ln.startswith("model name")), ""
    )
    meminfo = _read("/proc/meminfo")
    mem_kib = next((int(ln.split()[1]) for ln in meminfo.splitlines() if ln.startswith("MemTotal:")), 0)
    changed = _git(project, "status", "--porcelain", "--", "mockserver", "specs", "fixtures")
    return {
        "date": now.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "nproc": len(os.sched_getaffinity(0)),
        "cpu_count": os.cpu_count(),
        "cpu_model": model or platform.processor() or "unknown",
        "memory_mib": round(mem_kib / 1024),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "loadavg_at_start": list(os.getloadavg()),
        "project": str(project),
        "git_commit": _git(project, "rev-parse", "HEAD") or None,
        "git_uncommitted": changed.splitlines() if changed else [],
    }


def _load(targets: Mapping[str, Target], name: str, slug: str) -> Mapping[str, Any] | None:
    target = targets.get(name) or {}
    load = (target.get("loads") or {}).get(slug)
    return load if load and "rps" in load else None


def _ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 3) if a is not None and b else None


def ratios(targets: Mapping[str, Target], slugs: Sequence[str]) -> dict[str, dict[str, float | None]]:
    out: dict[str, dict[str, float | None]] = {}
    for slug in slugs:
        gen = _load(targets, "mock-generated", slug)
        fix = _load(targets, "mock-fixtures", slug)
        ceiling = _load(targets, "ceiling", slug)
        static = _load(targets, "prism-static", slug)
        dynamic = _load(targets, "prism-dynamic", slug)
        workers = _load(targets, "mock-workers", slug)

        def rps(load: Mapping[str, Any] | None) -> float | None:
            return None if load is None else float(load["rps"])

        def p99(load: Mapping[str, Any] | None) -> float | None:
            return None if load is None else float(load["p99_ms"])

        out[slug] = {
            "generated_over_ceiling": _ratio(rps(gen), rps(ceiling)),
            "generated_over_prism_dynamic": _ratio(rps(gen), rps(dynamic)),
            "generated_p99_over_prism_dynamic_p99": _ratio(p99(gen), p99(dynamic)),
            "fixtures_over_prism_static": _ratio(rps(fix), rps(static)),
            "workers_over_one_worker": _ratio(rps(workers), rps(gen)),
        }
    return out


def _check(name: str, value: float | None, limit: str, ok: bool | None, why: str = "") -> dict[str, Any]:
    result = "N/A" if ok is None else ("PASS" if ok else "FAIL")
    return {"check": name, "value": value, "limit": limit, "result": result, "why": why}


def checks(
    targets: Mapping[str, Target], slugs: Sequence[str], prism_reason: str | None
) -> list[dict[str, Any]]:
    """The issue's targets, PASS / FAIL / N/A (not measured, with the reason)."""
    found: list[dict[str, Any]] = []
    table = ratios(targets, slugs)
    for slug in slugs:
        gen = _load(targets, "mock-generated", slug)
        dynamic = _load(targets, "prism-dynamic", slug)
        static = _load(targets, "prism-static", slug)
        fix = _load(targets, "mock-fixtures", slug)
        missing = prism_reason or "not measured"
        ratio = table[slug]["generated_over_prism_dynamic"]
        found.append(
            _check(
                f"{slug}: generated req/s >= 2x Prism dynamic",
                ratio,
                ">= 2",
                None if ratio is None else ratio >= 2,
                "" if ratio is not None else missing,
            )
        )
        if gen is not None and dynamic is not None:
            found.append(
                _check(
                    f"{slug}: generated p99 < Prism dynamic p99",
                    gen["p99_ms"],
                    f"< {dynamic['p99_ms']:.2f} ms",
                    gen["p99_ms"] < dynamic["p99_ms"],
                )
            )
        else:
            found.append(_check(f"{slug}: generated p99 < Prism dynamic p99", None, "", None, missing))
        ratio = table[slug]["fixtures_over_prism_static"]
        found.append(
            _check(
                f"{slug}: fixtures req/s >= Prism static",
                ratio,
                ">= 1",
                None if ratio is None else ratio >= 1,
                "" if ratio is not None and fix is not None and static is not None else missing,
            )
        )
    # Over all APIs together: one API's pair of 10 s runs is too noisy on a shared 2-CPU machine
    # to judge scaling alone (the ratios table gives each API's).
    pairs = [(_load(targets, "mock-workers", slug), _load(targets, "mock-generated", slug)) for slug in slugs]
    measured = [(float(e["rps"]), float(a["rps"])) for e, a in pairs if e is not None and a is not None]
    overall = _ratio(sum(e for e, _ in measured), sum(a for _, a in measured)) if measured else None
    found.append(
        _check(
            f"--workers {WORKERS}: generated req/s over one worker (all APIs' requests together)",
            overall,
            f">= {WORKERS_LIMIT:g}",
            None if overall is None else overall >= WORKERS_LIMIT,
            "" if overall is not None else "not measured",
        )
    )
    same = targets.get("mock-workers", {}).get("identical_answers")
    found.append(
        _check(
            f"--workers {WORKERS}: answers identical to one worker's",
            None if same is None else float(same["identical"]),
            f"= {same['compared']}" if same else "",
            None if same is None else same["identical"] == same["compared"],
            "" if same is not None else "not measured",
        )
    )
    mocks = [targets[n] for n in ("mock-generated", "mock-fixtures") if targets.get(n, {}).get("startup_s")]
    startup = max((t["startup_s"] for t in mocks), default=None)
    found.append(
        _check(
            "mock startup to first answer of all five APIs (worst start)",
            startup,
            f"< {STARTUP_LIMIT_S:g} s",
            None if startup is None else startup < STARTUP_LIMIT_S,
            "" if startup is not None else "the mock did not start",
        )
    )
    rss = max((t["rss_after_mib"] for t in mocks if t.get("rss_after_mib") is not None), default=None)
    found.append(
        _check(
            "mock RSS after the run (worst process)",
            rss,
            f"< {RSS_LIMIT_MIB:g} MiB",
            None if rss is None else rss < RSS_LIMIT_MIB,
            "" if rss is not None else "not measured",
        )
    )
    return found


def _cell(value: Any, digits: int = 1) -> str:
    if value is None:
        return "-"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def _times(value: float | None) -> str:
    """A ratio: 2 decimals, 3 below 0.1 so that small ratios do not print as 0.00."""
    if value is None:
        return "-"
    return f"{value:.3f}" if value < 0.1 else f"{value:.2f}"


def _table(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> list[str]:
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join("---" for _ in header) + "|"]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return lines


def _statuses(load: Mapping[str, Any]) -> str:
    bad = {k: v for k, v in load.get("statuses", {}).items() if not k.startswith("2")}
    if not bad:
        return "0"
    return f"{load['non_2xx']:,} (" + ", ".join(f"{k}: {v:,}" for k, v in bad.items()) + ")"


def render(result: Mapping[str, Any]) -> str:
    """The markdown-ish report printed at the end of a run."""
    machine, settings = result["machine"], result["settings"]
    targets: Mapping[str, Target] = result["targets"]
    slugs: list[str] = [e["slug"] for e in result["endpoints"]]
    prism = result["prism"]
    prism_text = (
        f"Prism {prism['version']} (Node {prism['node']})"
        if prism.get("version") and not prism.get("reason")
        else f"Prism NOT MEASURED: {prism.get('reason')}"
    )
    out = [
        f"# mockserver benchmark, {machine['date']}",
        "",
        f"{machine['cpu_model']}, {machine['nproc']} CPUs, {machine['memory_mib']:,} MiB, "
        f"Python {machine['python']}, {settings['wrk']}, {prism_text}",
        f"wrk: {settings['threads']} thread, {settings['connections']} connections, "
        f"{settings['seconds']:g} s per run after {settings['warmup']:g} s warm-up; "
        f"generated pools of {settings['pool_size']} URLs per API; all on 127.0.0.1",
        "",
        "## Servers",
        "",
    ]
    rows = []
    for name, label in LABELS.items():
        target = targets.get(name)
        if target is None:
            continue
        if target.get("error") or target.get("skipped"):
            rows.append([label, "NOT MEASURED: " + (target.get("error") or target["skipped"]), "", "", ""])
            continue
        rows.append(
            [
                label,
                target["processes"],
                _cell(target.get("startup_s"), 3),
                _cell(target.get("rss_before_mib")),
                _cell(target.get("rss_after_mib")),
            ]
        )
    out += _table(["target", "processes", "startup s (all 5 APIs)", "RSS before MiB", "RSS after MiB"], rows)
    out += ["", "## Load (one endpoint per API)", ""]
    rows = []
    for slug in slugs:
        for name, label in LABELS.items():
            load = (targets.get(name, {}).get("loads") or {}).get(slug)
            if not load:
                continue
            if "error" in load:
                rows.append([slug, label, "ERROR: " + load["error"][:120], "", "", "", "", "", ""])
                continue
            rows.append(
                [
                    slug,
                    label,
                    f"{load['urls']} ({load['passes']:g})",
                    _cell(load["rps"], 0),
                    _cell(load["p50_ms"], 2),
                    _cell(load["p99_ms"], 2),
                    _statuses(load),
                    _cell(load["socket_error_count"]),
                    " / ".join(
                        _cell(load.get(k), 0) for k in ("server_cpu_pct", "wrk_cpu_pct", "other_cpu_pct")
                    ),
                ]
            )
    header = ["API", "target", "URLs (passes)", "req/s", "p50 ms", "p99 ms", "non-2xx", "socket errors"]
    out += _table([*header, "CPU % server / wrk / other"], rows)
    out += ["", "## Ratios", ""]
    rows = [
        [
            slug,
            _times(r["generated_over_ceiling"]),
            _times(r["generated_over_prism_dynamic"]),
            _times(r["generated_p99_over_prism_dynamic_p99"]),
            _times(r["fixtures_over_prism_static"]),
            _times(r.get("workers_over_one_worker")),
        ]
        for slug, r in result["ratios"].items()
    ]
    header = ["API", "(a)/(c) req/s", "(a)/(d-dynamic) req/s", "(a)/(d-dynamic) p99", "(b)/(d-static) req/s"]
    out += _table([*header, "(e)/(a) req/s"], rows)
    verify = result.get("verify") or {}
    if verify.get("skipped") or verify.get("error"):
        out += ["", f"## Verify speed: NOT MEASURED: {verify.get('skipped') or verify.get('error')}"]
    elif verify.get("apis"):
        out += [
            "",
            f"## Verify speed (against the mock, --max-examples {settings['max_examples']}, seed 0; "
            "wall time incl. start-up)",
            "",
        ]
        rows = []
        for slug, pair in verify["apis"].items():
            ours, theirs = pair["mockserver_verify"], pair["schemathesis_run"]
            rows.append(
                [
                    slug,
                    _cell(ours.get("wall_s"), 2),
                    _cell(ours.get("cases")),
                    _cell(ours.get("cases_per_s")),
                    _cell(ours.get("failures")) if "error" not in ours else "ERROR",
                    _cell(theirs.get("wall_s"), 2),
                    _cell(theirs.get("cases")),
                    _cell(theirs.get("cases_per_s")),
                    _cell(theirs.get("exit")),
                ]
            )
        out += _table(
            [
                "API",
                "verify s",
                "cases",
                "cases/s",
                "failures",
                "schemathesis s",
                "cases",
                "cases/s",
                "exit",
            ],
            rows,
        )
    out += ["", "## Targets", ""]
    for check in result["checks"]:
        value = check["value"]
        shown = "" if value is None else f" = {_cell(value, 2)}"
        why = f" ({check['why']})" if check["why"] else ""
        out.append(f"{check['result']:<4}  {check['check']}{shown} [{check['limit']}]{why}")
    if result.get("notes"):
        out += ["", "## Notes", ""]
        out += ["- " + note.replace("\n", "\n  ") for note in result["notes"]]
    return "\n".join(out)


def write_results(result: Mapping[str, Any], directory: Path, now: datetime) -> Path:
    """`<UTC timestamp>.json` and `latest.json` in `directory`; returns the first."""
    directory.mkdir(parents=True, exist_ok=True)
    text = json.dumps(result, indent=2, sort_keys=False) + "\n"
    path = directory / f"{now.strftime('%Y%m%dT%H%M%SZ')}.json"
    path.write_text(text, encoding="utf-8")
    (directory / "latest.json").write_text(text, encoding="utf-8")
    return path
