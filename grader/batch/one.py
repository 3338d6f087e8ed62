"""One submission of a class, graded into its own folder ``OUT/<id>/``: prepared, graded, its
own code kept for ``grader similarity``, its reports written and ``result.json`` last. Both the
local batch (:mod:`grader.batch.run`) and a cluster's workers (:mod:`grader.batch.cluster`) call
:func:`grade_one`."""

from __future__ import annotations

import dataclasses
import datetime
import shutil
import traceback
import warnings
from pathlib import Path

from grader.core.assignment import Assignment
from grader.core.errors import GraderError, WorkerError
from grader.core.files import scratch_dir, write_json
from grader.core.results import RunInfo, SubmissionResult
from grader.core.version import __version__
from grader.grading.discover import Submission, SubmissionError, prepare, submission_id
from grader.grading.grade import GradeOptions, grade_submission
from grader.grading.owncode import CODE_FILE, own_code
from grader.report import RESULT_FILE, write_gradescope_results, write_submission_reports, written_of


def unreadable(source: Path, assignment: Assignment, message: str) -> SubmissionResult:
    return SubmissionResult(
        submission=submission_id(source),
        assignment=assignment.name,
        checks=(),
        isolation="none",
        grader_version=__version__,
        content_hash="",
        problems=(message,),
    )


def run_info(assignment: Assignment, dataset: str = "") -> RunInfo:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return RunInfo(
        assignment=assignment.name,
        title=assignment.title,
        grader_version=__version__,
        date=now,
        dataset=dataset,
        source=str(assignment.root),
        written=tuple(q.to_json() for q in assignment.written),
    )


def grade_one(
    assignment: Assignment, source: Path, out: Path, options: GradeOptions, run: RunInfo | None = None, key: str = ""
) -> SubmissionResult:
    """Prepare, grade and write one submission (reports, JUnit, Gradescope ``results.json``,
    then ``result.json`` stamped with ``key``). An unreadable submission gets a result that says
    why; a grader bug on one submission is reported in its result instead of ending the batch."""
    result = grade_source(assignment, source, options, out / submission_id(source), key)
    write_outputs(out / submission_id(source), result, run or run_info(assignment))
    return result


def grade_source(
    assignment: Assignment, source: Path, options: GradeOptions, folder: Path | None, key: str = ""
) -> SubmissionResult:
    """Prepare and grade one submission (artifacts into ``folder`` when given); the result says
    why when it cannot be read or a grader bug stopped it."""
    tmp = scratch_dir("grader-sub-")
    try:
        try:
            submission: Submission = prepare(source, assignment, Path(tmp))
            if folder is not None:
                keep_own_code(assignment, submission, folder)
            result = dataclasses.replace(grade_submission(assignment, submission, options, folder), cache_key=key)
        except SubmissionError as exc:  # as deterministic as a grade: kept under the key
            result = dataclasses.replace(unreadable(source, assignment, exc.message), cache_key=key)
        except GraderError as exc:
            if not isinstance(exc, WorkerError):
                raise  # the assignment, checks or dataset are broken: every submission would fail
            result = unreadable(source, assignment, f"grading stopped: {exc.message}")
        except Exception as exc:  # a grader bug must cost one submission, never the batch
            result = unreadable(
                source,
                assignment,
                f"internal grader error (please report it): "
                f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}",
            )
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    return result


def keep_own_code(assignment: Assignment, submission: Submission, folder: Path) -> None:
    """``code.json``: the submission's own code, read from its pristine copy for ``grader similarity``
    (a failure to read it is noted there; it never costs the grade)."""
    kept: dict = {"submission": submission.id, "content_hash": submission.content_hash, "files": []}
    try:
        kept["files"] = [f.to_json() for f in own_code(assignment, submission.path)]
    except Exception as exc:  # similarity is a report, never a reason to lose a grade
        kept["problem"] = f"{type(exc).__name__}: {exc}"
    write_json(folder / CODE_FILE, kept)


def write_outputs(folder: Path, result: SubmissionResult, run: RunInfo) -> None:
    marked = written_of(folder.parent, result, run)
    write_gradescope_results(folder, result, marked)
    try:
        write_submission_reports(folder, result, run, marked)
    except Exception as exc:  # a report bug must not cost the grade or the batch: results are written
        warnings.warn(
            f"could not render the reports of {result.submission}: {type(exc).__name__}: {exc}; "
            f"its results are in {folder / RESULT_FILE}",
            stacklevel=1,
        )
    write_json(folder / RESULT_FILE, result.to_json())  # last: marks the submission as done
