"""Evidence: a concise text report and JUnit XML for CI."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

from mockserver.verify.runner import Report

__all__ = ["render_text", "write_junit"]


def render_text(report: Report) -> str:
    """Per operation: cases and each failure with its check, expected/got, and a curl to reproduce."""
    lines = [f"verify {report.spec} against {report.base_url}"]
    for label, result in report.operations.items():
        verdict = "ok" if not result.failures else f"{len(result.failures)} failing checks"
        lines.append(f"{label}: {result.cases} cases, {verdict}")
        for failure in result.failures.values():
            times = f" (x{failure.count})" if failure.count > 1 else ""
            lines.append(f"  FAIL {failure.check}: {failure.title}{times}")
            lines += [f"    {line}" for line in failure.detail.strip().splitlines()[:8]]
            curl = failure.curl.strip().splitlines() or [""]
            lines.append(f"    reproduce: {curl[0]}")
            lines += [f"               {line}" for line in curl[1:]]
    failed = {f.check for _, f in report.failures}
    lines.append(
        f"{len(report.operations)} operations, {report.cases} cases, {len(report.failures)} failures"
        + (f" ({', '.join(sorted(failed))})" if failed else "")
        + f" in {report.seconds:.1f} s"
    )
    return "\n".join(lines)


def write_junit(report: Report, path: Path) -> None:
    """One test suite per spec, one test case per operation; each failure an XML <failure>."""
    suite = ET.Element(
        "testsuite",
        name=f"mockserver verify {report.spec}",
        tests=str(len(report.operations)),
        failures=str(sum(1 for r in report.operations.values() if r.failures)),
        time=f"{report.seconds:.3f}",
    )
    for label, result in report.operations.items():
        case = ET.SubElement(suite, "testcase", classname=report.spec, name=label)
        ET.SubElement(case, "system-out").text = f"{result.cases} cases"
        for failure in result.failures.values():
            element = ET.SubElement(case, "failure", type=failure.check, message=failure.title)
            element.text = f"{failure.detail}\nreproduce: {failure.curl}"
    tree = ET.ElementTree(suite)
    ET.indent(tree)
    tree.write(path, encoding="utf-8", xml_declaration=True)
