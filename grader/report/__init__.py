"""Reports from stored results: per-submission HTML (student and instructor versions) and JUnit,
the class dashboard and the gradebook CSV. Everything here reads only results, so
``grader report OUT`` re-renders a graded class without regrading it."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Sequence

from ..errors import UsageError
from ..files import write_json, write_text
from ..results import RunInfo, SubmissionResult
from ..similarity import load_similarity
from .exports import gradebook_csv, junit_xml
from .html import check_images, render_dashboard, render_submission

RESULT_FILE = "result.json"
RUN_FILE = "run.json"
STUDENT_REPORT = "report.html"
INSTRUCTOR_REPORT = "report.instructor.html"


def write_submission_reports(folder: Path, result: SubmissionResult, run: RunInfo) -> None:
    """``report.html`` (student), ``report.instructor.html`` and ``junit.xml`` in ``folder``."""
    images = check_images(result, folder)
    write_text(folder / STUDENT_REPORT, render_submission(result, run, "student", images))
    write_text(folder / INSTRUCTOR_REPORT, render_submission(result, run, "instructor", images))
    write_text(folder / "junit.xml", junit_xml(result))


def write_class_reports(out: Path, results: Sequence[SubmissionResult], run: RunInfo) -> Path:
    """``index.html``, ``gradebook.csv`` and ``run.json`` in ``out``; returns the dashboard's path."""
    write_json(out / RUN_FILE, run.to_json())
    write_text(out / "gradebook.csv", gradebook_csv(results))
    write_text(out / "index.html", render_dashboard(results, run, load_similarity(out)))
    return out / "index.html"


def load_results(out: Path) -> list[SubmissionResult]:
    """Every ``OUT/<submission>/result.json``, sorted by submission."""
    results = []
    for path in sorted(out.glob(f"*/{RESULT_FILE}")):
        results.append(SubmissionResult.from_json(json.loads(path.read_text(encoding="utf-8"))))
    return sorted(results, key=lambda r: r.submission)


def load_run(out: Path) -> RunInfo:
    path = out / RUN_FILE
    if not path.is_file():
        raise UsageError(f"no graded results in {out}: expected {RUN_FILE} and <submission>/{RESULT_FILE} "
                         "written by 'grader grade ... -o OUT'")
    return RunInfo.from_json(json.loads(path.read_text(encoding="utf-8")))


def rerender(out: Path) -> Path:
    """Render every report of a graded folder again from its stored results."""
    run = load_run(out)
    results = load_results(out)
    for result in results:
        write_submission_reports(out / result.submission, result, run)
    return write_class_reports(out, results, run)


def rerender_dashboard(out: Path) -> Path:
    """The class dashboard and gradebook of a graded folder again (e.g. after ``grader similarity``)."""
    return write_class_reports(out, load_results(out), load_run(out))
