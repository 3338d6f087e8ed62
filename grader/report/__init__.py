"""Reports from stored results: per-submission HTML (student and instructor versions) and JUnit,
the class dashboard and the gradebook CSV. Everything here reads only results, so
``grader report OUT`` re-renders a graded class without regrading it.

May import: :mod:`grader.core` (and matplotlib and jinja2); it never grades."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from grader.core.errors import UsageError
from grader.core.files import write_json, write_text
from grader.core.results import RunInfo, SubmissionResult
from grader.core.written import Marked, Written, gradescope_tests, load_written, questions_of, written_points
from grader.report.exports import gradebook_csv, junit_xml
from grader.report.html import check_images, render_dashboard, render_submission

RESULT_FILE = "result.json"
RUN_FILE = "run.json"
STUDENT_REPORT = "report.html"
INSTRUCTOR_REPORT = "report.instructor.html"
SIMILARITY_FILE = "similarity.json"  # written by grader.similarity.pairs, shown on the dashboard


def written_of(out: Path, result: SubmissionResult, run: RunInfo, written: Written | None = None) -> tuple[Marked, ...]:
    """The submission's written questions with their grades (``written``, else ``OUT/written.json``)."""
    questions = questions_of(run.written)
    if not questions:
        return ()
    return (load_written(out) if written is None else written).marked(result, questions)


def write_gradescope_results(folder: Path, result: SubmissionResult, marked: Sequence[Marked] = ()) -> None:
    """``results.json``: the checks, and each written question of ``marked`` once it is graded."""
    data = result.to_gradescope()
    tests = gradescope_tests(marked)
    if tests:
        data["tests"] += tests
        data["score"] = result.score + sum(t["score"] for t in tests)
        data["extra_data"]["max_score"] = result.max_score + written_points(marked)[1]
    write_json(folder / "results.json", data)


def write_submission_reports(
    folder: Path, result: SubmissionResult, run: RunInfo, marked: Sequence[Marked] | None = None
) -> None:
    """``report.html`` (student), ``report.instructor.html`` and ``junit.xml`` in ``folder``, with
    the written questions of ``marked`` (else read from the class's ``written.json``)."""
    images = check_images(result, folder)
    marked = written_of(folder.parent, result, run) if marked is None else marked
    write_text(folder / STUDENT_REPORT, render_submission(result, run, "student", images, marked))
    write_text(folder / INSTRUCTOR_REPORT, render_submission(result, run, "instructor", images, marked))
    write_text(folder / "junit.xml", junit_xml(result))


def write_class_reports(
    out: Path, results: Sequence[SubmissionResult], run: RunInfo, written: Written | None = None
) -> Path:
    """``index.html``, ``gradebook.csv`` and ``run.json`` in ``out``; returns the dashboard's path."""
    write_json(out / RUN_FILE, run.to_json())
    written = load_written(out) if written is None and run.written else written
    marked = {r.submission: written_of(out, r, run, written) for r in results}
    write_text(out / "gradebook.csv", gradebook_csv(results, marked))
    write_text(out / "index.html", render_dashboard(results, run, load_similarity(out), marked))
    return out / "index.html"


def load_similarity(out: Path) -> dict | None:
    """What ``grader similarity`` last wrote into ``out``, or None."""
    path = out / SIMILARITY_FILE
    if not path.is_file():
        return None
    return json.loads(path.read_text(encoding="utf-8"))


def load_results(out: Path) -> list[SubmissionResult]:
    """Every ``OUT/<submission>/result.json``, sorted by submission."""
    results = []
    for path in sorted(out.glob(f"*/{RESULT_FILE}")):
        results.append(SubmissionResult.from_json(json.loads(path.read_text(encoding="utf-8"))))
    return sorted(results, key=lambda r: r.submission)


def load_run(out: Path) -> RunInfo:
    path = out / RUN_FILE
    if not path.is_file():
        raise UsageError(
            f"no graded results in {out}: expected {RUN_FILE} and <submission>/{RESULT_FILE} "
            "written by 'grader grade ... -o OUT'"
        )
    return RunInfo.from_json(json.loads(path.read_text(encoding="utf-8")))


def rerender(out: Path) -> Path:
    """Render every report of a graded folder again from its stored results."""
    run = load_run(out)
    results = load_results(out)
    written = load_written(out)
    for result in results:
        marked = written_of(out, result, run, written)
        write_gradescope_results(out / result.submission, result, marked)
        write_submission_reports(out / result.submission, result, run, marked)
    return write_class_reports(out, results, run, written)


def rerender_dashboard(out: Path) -> Path:
    """The class dashboard and gradebook of a graded folder again (e.g. after ``grader similarity``)."""
    return write_class_reports(out, load_results(out), load_run(out))
