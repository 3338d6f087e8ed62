"""``grader check``: a student grades their own work on the public checks, offline.

Everything comes from the assignment folder the student received (``grader release`` output):
``.grader/`` holds the public checks and the reference's recorded answers (:mod:`grader.oracle.replay`),
so no instructor file and no network are needed. The student's code runs in the same jail as at
grading time.
"""

from __future__ import annotations

import html
import json
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.core import assignment as assignments
from grader.core.errors import UsageError
from grader.core.paths import META
from grader.core.results import CheckResult, SubmissionResult
from grader.grading.discover import prepare
from grader.grading.grade import GradeOptions, grade_submission
from grader.jail import environment
from grader.jail.sandbox import protections_off

MARK = {"passed": "PASS", "failed": "FAIL", "error": "ERROR", "timeout": "TIMEOUT", "not-implemented": "TODO"}


@dataclass(frozen=True)
class SelfCheck:
    """The outcome of ``grader check`` with what the release withheld (shown to the student)."""

    folder: Path
    result: SubmissionResult
    hidden: int
    grading_time: tuple[str, ...]
    note: str = ""  # which protections were off (no jail on this machine)

    @property
    def failed(self) -> list[CheckResult]:
        return [c for c in self.result.checks if not c.passed]

    def text(self) -> str:
        return render_text(self)

    def _repr_html_(self) -> str:
        return render_html(self)

    def __repr__(self) -> str:
        return render_text(self)


def find_folder(start: Path, assignment: str | None = None) -> Path:
    """The assignment folder holding ``start`` (the nearest one with ``.grader/``)."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / META / "assignment.toml").is_file():
            break
    else:
        raise UsageError(
            f"{start} is not inside an assignment folder from your course (one with a "
            f"{META}/ folder). Run grader check in the folder you received, e.g. "
            "cd assignment1 && grader check"
        )
    if assignment:
        name = assignments.load(folder / META).name
        if name != assignment:
            raise UsageError(f"this folder holds the assignment '{name}', not '{assignment}'")
    return folder


def self_check(folder: Path, select: str = "", isolation: str | None = None) -> SelfCheck:
    """Grade ``folder`` on the public checks shipped in its ``.grader/``."""
    meta = folder / META
    spec = assignments.load(meta)
    options = GradeOptions(
        isolation=isolation,
        public_only=True,
        notebooks=False,
        select=select,
        answers=meta / "answers",
        build_environment=False,
    )
    with tempfile.TemporaryDirectory(prefix="grader-check-") as tmp:
        submission = prepare(folder, spec, Path(tmp))
        result = grade_submission(spec, submission, options)
    info = json.loads((meta / "release.json").read_text(encoding="utf-8"))
    notes = [protections_off(result.isolation)]
    if spec.environment.declared and environment.find(spec) is None:
        notes.append(
            f"note: your code ran on your own Python; `grader env build {folder / META}` builds the "
            f"course's environment ({', '.join(environment.requirements(spec)[:3])}...) for the next check."
        )
    return SelfCheck(
        folder,
        result,
        int(info.get("hidden_checks", 0)),
        tuple(info.get("grading_time_checks", ())),
        "\n".join(n for n in notes if n),
    )


def _name(check: CheckResult) -> str:
    return check.id.split("::")[-1]


def render_text(report: SelfCheck) -> str:
    r = report.result
    lines = [f"{r.assignment}: {r.score:g} / {r.max_score:g} points on the public checks", ""]
    for c in r.checks:
        lines.append(f"  {MARK[c.outcome]:<7} {c.points:g}/{c.max_points:g}  {c.title}")
        if c.outcome == "not-implemented":
            lines.append(f"            not written yet: {c.message.splitlines()[-1].strip()}")
        elif not c.passed:
            lines += [f"            {line}" for line in c.student_text().splitlines()[:12] if line.strip()]
    lines += [""] + [f"Problem: {p}" for p in r.problems]
    lines += next_steps(report) + ([report.note] if report.note else [])
    return "\n".join(lines).rstrip() + "\n"


def next_steps(report: SelfCheck) -> list[str]:
    later = []
    if report.hidden:
        later.append(f"{report.hidden} hidden check{'s' * (report.hidden != 1)}")
    if report.grading_time:
        later.append(
            f"{len(report.grading_time)} check{'s' * (len(report.grading_time) != 1)} of your notebook's results"
        )
    after = f" {' and '.join(later)} run when your submission is graded." if later else ""
    if not report.failed:
        return [f"All {len(report.result.checks)} public checks pass.{after}"]
    first = report.failed[0]
    return [
        f"{len(report.failed)} of {len(report.result.checks)} public checks do not pass yet.{after}",
        "Next:",
        f"  1. fix the first one ({first.title.rstrip('.')}) and run it alone:  grader check -k {_name(first)}",
        "  2. run every check again:  grader check",
    ]


def render_html(report: SelfCheck) -> str:
    """The same summary for a notebook cell (``grader.check()``), every text escaped."""
    r = report.result
    rows = []
    for c in r.checks:
        colour = "#1a7f37" if c.passed else "#cf222e"
        detail = "" if c.passed else f"<pre style='white-space:pre-wrap;margin:0'>{html.escape(c.student_text())}</pre>"
        rows.append(
            f"<tr><td style='color:{colour};font-weight:bold'>{MARK[c.outcome]}</td>"
            f"<td>{c.points:g}/{c.max_points:g}</td><td>{html.escape(c.title)}{detail}</td></tr>"
        )
    steps = "<br>".join(html.escape(s) for s in next_steps(report) + ([report.note] if report.note else []))
    return (
        f"<div><b>{html.escape(r.assignment)}: {r.score:g} / {r.max_score:g} points on the public checks</b>"
        f"<table>{''.join(rows)}</table><p>{steps}</p></div>"
    )
