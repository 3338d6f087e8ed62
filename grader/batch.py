"""Grade several submissions and write their results: ``OUT/<id>/results.json`` and ``result.json``."""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable

from . import __version__
from .assignment import Assignment
from .discover import Submission, SubmissionError, find_submissions, prepare, submission_id
from .grade import GradeOptions, grade_submission
from .results import SubmissionResult


def write_json(path: Path, data: dict) -> None:
    """Write atomically (temporary file, then rename) so a killed run never leaves half a file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        json.dump(data, f, indent=2, sort_keys=False)
        f.write("\n")
    os.replace(tmp, path)


def unreadable(source: Path, assignment: Assignment, error: SubmissionError) -> SubmissionResult:
    return SubmissionResult(submission=submission_id(source), assignment=assignment.name, checks=(),
                            isolation="none", grader_version=__version__, content_hash="",
                            problems=(error.message,))


def grade_one(assignment: Assignment, source: Path, out: Path, options: GradeOptions) -> SubmissionResult:
    """Prepare, grade and write one submission; an unreadable one gets a result that says why."""
    with tempfile.TemporaryDirectory(prefix="grader-sub-") as tmp:
        try:
            submission: Submission = prepare(source, assignment, Path(tmp))
        except SubmissionError as exc:
            result = unreadable(source, assignment, exc)
        else:
            result = grade_submission(assignment, submission, options)
    folder = out / result.submission
    write_json(folder / "result.json", result.to_json())
    write_json(folder / "results.json", result.to_gradescope())
    return result


@dataclass(frozen=True)
class BatchOptions:
    grade: GradeOptions = GradeOptions()
    on_done: Callable[[SubmissionResult], None] | None = None


def grade_all(assignment: Assignment, paths: Iterable[Path], out: Path,
              options: BatchOptions = BatchOptions()) -> list[SubmissionResult]:
    """Grade every submission found under ``paths``, one after another, writing results to ``out``."""
    sources = [s for p in paths for s in find_submissions(Path(p), assignment)]
    ids = [submission_id(s) for s in sources]
    duplicates = {i for i in ids if ids.count(i) > 1}
    if duplicates:
        raise SubmissionError(f"several submissions would be named {sorted(duplicates)}; rename them")
    results = []
    for source in sources:
        result = grade_one(assignment, source, out, options.grade)
        results.append(result)
        if options.on_done:
            options.on_done(result)
    return results
