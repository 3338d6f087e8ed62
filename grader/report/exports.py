"""Machine-readable exports: the class gradebook CSV and one JUnit XML per submission."""

from __future__ import annotations

import csv
import io
import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping, Sequence

from grader.core.results import CheckResult, SubmissionResult
from grader.core.written import Marked, written_points

# XML 1.0 cannot carry most control characters; student output may contain anything.
_NOT_XML = re.compile("[^\x09\x0a\x0d\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def check_columns(results: Sequence[SubmissionResult]) -> list[tuple[str, str]]:
    """``(check id, column title)`` for every check any submission ran, in first-seen order;
    titles made unique so a spreadsheet can tell the columns apart."""
    seen: dict[str, str] = {}
    for result in results:
        for check in result.checks:
            seen.setdefault(check.id, check.title)
    columns, used = [], set()
    for check_id, title in seen.items():
        name, n = f"{title} ({check_id.rsplit('::', 1)[-1]})", 2
        while name in used:
            name, n = f"{title} ({check_id}) #{n}", n + 1
        used.add(name)
        columns.append((check_id, name))
    return columns


def gradebook_csv(results: Sequence[SubmissionResult], written: Mapping[str, Sequence[Marked]] | None = None) -> str:
    """One row per student: ``Student`` and ``SIS Login ID`` (the submission id, which Canvas and
    Moodle match students on), one column of points per check, one per written question (empty
    until graded), then ``Total`` and ``Max`` (written questions included)."""
    written = written or {}
    columns = check_columns(results)
    questions = next((m for m in written.values() if m), ())
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(
        ["Student", "SIS Login ID"]
        + [name for _, name in columns]
        + [f"Written: {m.question.title}" for m in questions]
        + ["Total", "Max"]
    )
    for result in sorted(results, key=lambda r: r.submission):
        points = {c.id: c.points for c in result.checks}
        marked = written.get(result.submission, ())
        given, possible = written_points(marked)
        writer.writerow(
            [result.submission, result.submission]
            + [f"{points[i]:g}" if i in points else "" for i, _ in columns]
            + [f"{m.points:g}" if m.graded else "" for m in marked]
            + [f"{result.score + given:g}", f"{result.max_score + possible:g}"]
        )
    return buffer.getvalue()


def _text(value: str) -> str:
    return _NOT_XML.sub("\ufffd", value)


def _testcase(suite: ET.Element, assignment: str, check: CheckResult) -> None:
    module = check.id.split("::", 1)[0].removesuffix(".py").replace("/", ".")
    case = ET.SubElement(
        suite, "testcase", classname=f"{assignment}.{module}", name=_text(check.title), time=f"{check.duration:.3f}"
    )
    properties = ET.SubElement(case, "properties")
    for name, value in (
        ("check_id", check.id),
        ("points", f"{check.points:g}"),
        ("max_points", f"{check.max_points:g}"),
        ("outcome", check.outcome),
    ):
        ET.SubElement(properties, "property", name=name, value=_text(value))
    if check.passed:
        return
    text = _text(check.student_text())
    tag = "failure" if check.outcome in ("failed", "not-implemented") else "error"
    element = ET.SubElement(case, tag, type=check.outcome, message=text.split("\n", 1)[0][:500])
    element.text = text


def junit_xml(result: SubmissionResult) -> str:
    """JUnit XML for CI; what students may see only (hidden checks show their outcome)."""
    failures = sum(c.outcome in ("failed", "not-implemented") for c in result.checks)
    errors = sum(c.outcome in ("error", "timeout") for c in result.checks) + (not result.checks)
    counts = {
        "tests": str(len(result.checks) or 1),
        "failures": str(failures),
        "errors": str(errors),
        "time": f"{result.execution_time:.3f}",
    }
    root = ET.Element("testsuites", {"name": "grader", **counts})
    suite = ET.SubElement(
        root, "testsuite", {"name": f"{result.assignment}: {_text(result.submission)}", "skipped": "0", **counts}
    )
    for check in result.checks:
        _testcase(suite, result.assignment, check)
    if result.problems:
        ET.SubElement(suite, "system-err").text = _text("\n".join(result.problems))
    if not result.checks:
        case = ET.SubElement(suite, "testcase", classname=result.assignment, name="submission", time="0")
        ET.SubElement(case, "error", type="unreadable", message=_text(result.summary())[:500])
    ET.indent(root)
    return ET.tostring(root, encoding="unicode", xml_declaration=True) + "\n"
