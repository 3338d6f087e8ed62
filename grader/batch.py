"""Grade a class: find the submissions, skip those already graded, grade the rest in parallel
(processes on this machine, or a Dask cluster), write results, reports and the dashboard.

Each submission's grading is self-contained (:func:`grade_one` writes ``OUT/<id>/`` with
``result.json`` last), so any number of them can run at once and a killed batch resumes where
it stopped: see :mod:`grader.cache`.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import datetime
import functools
import multiprocessing
import shutil
import traceback
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable, Iterable, Iterator

from . import __version__
from . import assignment as assignments
from .assignment import Assignment
from .cache import cache_key, cached_result, run_fingerprint
from .discover import Submission, SubmissionError, find_submissions, prepare, submission_id
from .errors import GraderError, WorkerError
from .files import scratch_dir, write_json
from .grade import GradeOptions, check_limits, grade_submission
from .owncode import CODE_FILE, own_code
from .report import RESULT_FILE, write_class_reports, write_gradescope_results, write_submission_reports, written_of
from .results import RunInfo, SubmissionResult


def unreadable(source: Path, assignment: Assignment, message: str) -> SubmissionResult:
    return SubmissionResult(submission=submission_id(source), assignment=assignment.name, checks=(),
                            isolation="none", grader_version=__version__, content_hash="",
                            problems=(message,))


def run_info(assignment: Assignment, dataset: str = "") -> RunInfo:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    return RunInfo(assignment=assignment.name, title=assignment.title, grader_version=__version__,
                   date=now, dataset=dataset, source=str(assignment.root),
                   written=tuple(q.to_json() for q in assignment.written))


def grade_one(assignment: Assignment, source: Path, out: Path, options: GradeOptions,
              run: RunInfo | None = None, key: str = "") -> SubmissionResult:
    """Prepare, grade and write one submission (reports, JUnit, Gradescope ``results.json``,
    then ``result.json`` stamped with ``key``). An unreadable submission gets a result that says
    why; a grader bug on one submission is reported in its result instead of ending the batch."""
    result = grade_source(assignment, source, options, out / submission_id(source), key)
    write_outputs(out / submission_id(source), result, run or run_info(assignment))
    return result


def grade_source(assignment: Assignment, source: Path, options: GradeOptions, folder: Path | None,
                 key: str = "") -> SubmissionResult:
    """Prepare and grade one submission (artifacts into ``folder`` when given); the result says
    why when it cannot be read or a grader bug stopped it."""
    tmp = scratch_dir("grader-sub-")
    try:
        try:
            submission: Submission = prepare(source, assignment, Path(tmp))
            if folder is not None:
                keep_own_code(assignment, submission, folder)
            result = dataclasses.replace(grade_submission(assignment, submission, options, folder),
                                         cache_key=key)
        except SubmissionError as exc:  # as deterministic as a grade: kept under the key
            result = dataclasses.replace(unreadable(source, assignment, exc.message), cache_key=key)
        except GraderError as exc:
            if not isinstance(exc, WorkerError):
                raise  # the assignment, checks or dataset are broken: every submission would fail
            result = unreadable(source, assignment, f"grading stopped: {exc.message}")
        except Exception as exc:  # a grader bug must cost one submission, never the batch
            result = unreadable(source, assignment, f"internal grader error (please report it): "
                                f"{type(exc).__name__}: {exc}\n{traceback.format_exc(limit=-3)}")
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
        warnings.warn(f"could not render the reports of {result.submission}: {type(exc).__name__}: {exc}; "
                      f"its results are in {folder / RESULT_FILE}", stacklevel=1)
    write_json(folder / RESULT_FILE, result.to_json())  # last: marks the submission as done


@dataclass(frozen=True)
class Task:
    """One submission to grade: where it is, its output id and its cache key."""

    source: Path
    id: str
    key: str


@dataclass(frozen=True)
class BatchOptions:
    """``jobs``: submissions graded at once on this machine; ``scheduler``: a Dask scheduler
    address (``tcp://host:port``) to grade on instead; ``force``: regrade even when a result
    with the same key exists; ``on_done(result, reused)`` is called as each one finishes."""

    grade: GradeOptions = GradeOptions()
    jobs: int = 1
    scheduler: str = ""
    force: bool = False
    on_start: Callable[[int], None] | None = None
    on_done: Callable[[SubmissionResult, bool], None] | None = None
    dataset: str = ""


@dataclass(frozen=True)
class BatchResult:
    results: tuple[SubmissionResult, ...]
    graded: int
    reused: int


def find_all(assignment: Assignment, paths: Iterable[Path]) -> list[Path]:
    sources = [s for p in paths for s in find_submissions(Path(p), assignment)]
    ids = [submission_id(s) for s in sources]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise SubmissionError(f"several submissions would be named {duplicates}; rename them")
    return sources


def plan(assignment: Assignment, sources: list[Path], options: GradeOptions) -> list[Task]:
    fingerprint = run_fingerprint(assignment, options)
    return [Task(s, submission_id(s), cache_key(s, fingerprint)) for s in sources]


def grade_all(assignment: Assignment, paths: Iterable[Path], out: Path,
              options: BatchOptions = BatchOptions()) -> BatchResult:
    """Grade every submission found under ``paths`` into ``out`` (reusing results whose key is
    unchanged), then write the class dashboard and gradebook."""
    tasks = plan(assignment, find_all(assignment, paths), options.grade)
    run = run_info(assignment, options.dataset)
    done: dict[str, SubmissionResult] = {}
    todo = []
    for task in tasks:
        cached = None if options.force else cached_result(out / task.id, task.key)
        if cached is None:
            todo.append(task)
        else:
            done[task.id] = cached
            if options.on_done:
                options.on_done(cached, True)
    if options.on_start:
        options.on_start(len(todo))
    if todo:  # measured once here, so every job (and every Dask worker) uses the same limits
        limits = tuple(sorted(check_limits(assignment, options.grade).items()))
        options = dataclasses.replace(options, grade=dataclasses.replace(options.grade, limits=limits))
    for result in _execute(assignment, todo, out, options, run):
        done[result.submission] = result
        if options.on_done:
            options.on_done(result, False)
    results = tuple(done[t.id] for t in tasks)
    write_class_reports(out, results, run)
    return BatchResult(results, graded=len(todo), reused=len(tasks) - len(todo))


def _execute(assignment: Assignment, tasks: list[Task], out: Path, options: BatchOptions,
             run: RunInfo) -> Iterator[SubmissionResult]:
    if options.scheduler:
        from .distributed import grade_on_cluster  # Dask is imported only when asked for

        yield from grade_on_cluster(options.scheduler, assignment, tasks, out, options.grade, run)
    elif options.jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield grade_one(assignment, task.source, out, options.grade, run, task.key)
    else:
        yield from _in_processes(assignment, tasks, out, options, run)


def _in_processes(assignment: Assignment, tasks: list[Task], out: Path, options: BatchOptions,
                  run: RunInfo) -> Iterator[SubmissionResult]:
    """One process per job (fresh interpreters: pytest and the reference are per process), each
    grading one submission at a time; results arrive as submissions finish."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(min(options.jobs, len(tasks)), mp_context=context) as pool:
        futures = [pool.submit(_grade_in_child, str(assignment.root), t, out, options.grade, run)
                   for t in tasks]
        try:
            for future in concurrent.futures.as_completed(futures):
                yield SubmissionResult.from_json(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _grade_in_child(root: str, task: Task, out: Path, options: GradeOptions, run: RunInfo) -> dict:
    return grade_one(_load(root), task.source, out, options, run, task.key).to_json()


@functools.lru_cache(maxsize=None)
def _load(root: str) -> Assignment:
    """The assignment, loaded once per pool process."""
    return assignments.load(root)
