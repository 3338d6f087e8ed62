"""Grade several submissions and write their results and reports under ``OUT/<id>/``."""

from __future__ import annotations

import datetime
import tempfile
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from . import __version__
from .assignment import Assignment
from .discover import Submission, SubmissionError, find_submissions, prepare, submission_id
from .files import write_json
from .grade import GradeOptions, grade_submission
from .report import RESULT_FILE, write_class_reports, write_submission_reports
from .results import RunInfo, SubmissionResult


def unreadable(source: Path, assignment: Assignment, error: SubmissionError) -> SubmissionResult:
    return SubmissionResult(submission=submission_id(source), assignment=assignment.name, checks=(),
                            isolation="none", grader_version=__version__, content_hash="",
                            problems=(error.message,))


def run_info(assignment: Assignment, dataset: str = "") -> RunInfo:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return RunInfo(assignment=assignment.name, title=assignment.title, grader_version=__version__,
                   date=now, dataset=dataset)


def grade_one(assignment: Assignment, source: Path, out: Path, options: GradeOptions,
              run: RunInfo | None = None) -> SubmissionResult:
    """Prepare, grade and write one submission (results, reports, JUnit); an unreadable one gets a
    result that says why."""
    folder = out / submission_id(source)
    with tempfile.TemporaryDirectory(prefix="grader-sub-") as tmp:
        try:
            submission: Submission = prepare(source, assignment, Path(tmp))
        except SubmissionError as exc:
            result = unreadable(source, assignment, exc)
        else:
            result = grade_submission(assignment, submission, options, folder)
    write_json(folder / RESULT_FILE, result.to_json())
    write_json(folder / "results.json", result.to_gradescope())
    try:
        write_submission_reports(folder, result, run or run_info(assignment))
    except Exception as exc:  # a report bug must not cost the grade or the batch: results are written
        warnings.warn(f"could not render the reports of {result.submission}: {type(exc).__name__}: {exc}; "
                      f"its results are in {folder / RESULT_FILE}", stacklevel=1)
    return result


@dataclass(frozen=True)
class BatchOptions:
    grade: GradeOptions = GradeOptions()
    on_done: Callable[[SubmissionResult], None] | None = None
    dataset: str = ""


def grade_all(assignment: Assignment, paths: Iterable[Path], out: Path,
              options: BatchOptions = BatchOptions()) -> list[SubmissionResult]:
    """Grade every submission found under ``paths``, one after another, writing results and
    reports to ``out``, then the class dashboard and gradebook."""
    sources = [s for p in paths for s in find_submissions(Path(p), assignment)]
    ids = [submission_id(s) for s in sources]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SubmissionError(f"several submissions would be named {sorted(duplicates)}; rename them")
    run = run_info(assignment, options.dataset)
    results = []
    for source in sources:
        result = grade_one(assignment, source, out, options.grade, run)
        results.append(result)
        if options.on_done:
            options.on_done(result)
    write_class_reports(out, results, run)
    return results
