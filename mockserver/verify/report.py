"""Evidence: a concise text report and JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from mockserver.verify.results import CaseFailure, Report

__all__ = ["render_heading", "render_text", "write_junit"]


def render_heading(report: Report) -> str:
    """What is checked against what, and which shell variables the reproduce commands read."""
    lines = [f"verify {report.spec} against {report.base_url}"]
    if report.credentials:
        lines.append(report.credentials)
    return "\n".join(lines)


def _failure_lines(word: str, failure: CaseFailure) -> list[str]:
    times = f" (x{failure.count})" if failure.count > 1 else ""
    lines = [f"  {word} {failure.check}: {failure.title}{times}"]
    if failure.decision and word == "WARN":
        lines.append(f"    drift from x-decision {failure.decision} (the vendor page is silent here)")
    lines += [f"    {line}" for line in failure.detail.strip().splitlines()[:8]]
    curl = failure.curl.strip().splitlines()
    if curl:
        lines.append(f"    reproduce: {curl[0]}")
        lines += [f"               {line}" for line in curl[1:]]
    return lines


def render_text(report: Report, *, heading: bool = True) -> str:
    """Per operation: cases, successes, each failure and drift warning with its evidence; a summary."""
    lines = [render_heading(report)] if heading else []
    for label, result in report.operations.items():
        failing = [f for f in result.failures.values() if f.decision is None or report.strict]
        drifting = [f for f in result.failures.values() if f.decision and not report.strict]
        verdict = f"{len(failing)} failing checks" if failing else "ok"
        if drifting:
            verdict += f", {len(drifting)} drift warnings"
        lines.append(f"{label}: {result.cases} cases, {result.succeeded} succeeded, {verdict}")
        for failure in failing:
            lines += _failure_lines("FAIL", failure)
        for failure in drifting:
            lines += _failure_lines("WARN", failure)
    failed = {f.check for _, f in report.failures}
    drift = f", {len(report.warnings)} drift warnings" if report.warnings else ""
    lines.append(
        f"{len(report.operations)} operations, {report.cases} cases, {report.succeeded} succeeded, "
        f"{len(report.failures)} failures"
        + (f" ({', '.join(sorted(failed))})" if failed else "")
        + drift
        + f" in {report.seconds:.1f} s"
    )
    return "\n".join(lines)


def write_junit(report: Report, path: Path) -> None:
    """One test suite per spec, one test case per operation; a failure is a <failure>, drift from
    a decision alone is <skipped> with its message and a `drift` property."""
    failing = {label for label, _ in report.failures}
    drifting = {label for label, _ in report.warnings} - failing
    suite = ET.Element(
        "testsuite",
        name=f"mockserver verify {report.spec}",
        tests=str(len(report.operations)),
        failures=str(len(failing)),
        skipped=str(len(drifting)),
        time=f"{report.seconds:.3f}",
    )
    for label, result in report.operations.items():
        case = ET.SubElement(suite, "testcase", classname=report.spec, name=label)
        warnings = [f for f in result.failures.values() if f.decision and not report.strict]
        if warnings:
            properties = ET.SubElement(case, "properties")
            for failure in warnings:
                ET.SubElement(properties, "property", name="drift", value=f"{failure.check}: {failure.title}")
        for failure in result.failures.values():
            if failure.decision is None or report.strict:
                element = ET.SubElement(case, "failure", type=failure.check, message=failure.title)
                element.text = f"{failure.detail}\nreproduce: {failure.curl}"
        if label in drifting:
            message = "; ".join(f"drift from x-decision {f.decision}: {f.check}: {f.title}" for f in warnings)
            ET.SubElement(case, "skipped", message=message)
        ET.SubElement(case, "system-out").text = f"{result.cases} cases, {result.succeeded} succeeded"
    tree = ET.ElementTree(suite)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
