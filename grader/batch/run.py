"""Grade a class: find the submissions, skip those already graded, grade the rest in parallel
(processes on this machine, or a Dask cluster), write results, reports and the dashboard.

Each submission's grading is self-contained (:func:`grader.batch.one.grade_one` writes
``OUT/<id>/`` with ``result.json`` last), so any number of them can run at once and a killed batch
resumes where it stopped: see :mod:`grader.batch.cache`.
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import functools
import multiprocessing
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from grader.batch.cache import cache_key, cached_result, run_fingerprint
from grader.batch.one import grade_one, run_info
from grader.core import assignment as assignments
from grader.core.assignment import Assignment
from grader.core.results import RunInfo, SubmissionResult
from grader.grading.discover import SubmissionError, find_submissions, submission_id
from grader.grading.grade import GradeOptions, check_limits
from grader.report import (
    write_class_reports,
)


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

    grade: GradeOptions = field(default_factory=GradeOptions)
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


def grade_all(
    assignment: Assignment, paths: Iterable[Path], out: Path, options: BatchOptions = BatchOptions()
) -> BatchResult:
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


def _execute(
    assignment: Assignment, tasks: list[Task], out: Path, options: BatchOptions, run: RunInfo
) -> Iterator[SubmissionResult]:
    if options.scheduler:
        from grader.batch.cluster import grade_on_cluster  # Dask is imported only when asked for

        yield from grade_on_cluster(options.scheduler, assignment, tasks, out, options.grade, run)
    elif options.jobs <= 1 or len(tasks) <= 1:
        for task in tasks:
            yield grade_one(assignment, task.source, out, options.grade, run, task.key)
    else:
        yield from _in_processes(assignment, tasks, out, options, run)


def _in_processes(
    assignment: Assignment, tasks: list[Task], out: Path, options: BatchOptions, run: RunInfo
) -> Iterator[SubmissionResult]:
    """One process per job (fresh interpreters: pytest and the reference are per process), each
    grading one submission at a time; results arrive as submissions finish."""
    context = multiprocessing.get_context("spawn")
    with concurrent.futures.ProcessPoolExecutor(min(options.jobs, len(tasks)), mp_context=context) as pool:
        futures = [pool.submit(_grade_in_child, str(assignment.root), t, out, options.grade, run) for t in tasks]
        try:
            for future in concurrent.futures.as_completed(futures):
                yield SubmissionResult.from_json(future.result())
        except BaseException:
            for future in futures:
                future.cancel()
            raise


def _grade_in_child(root: str, task: Task, out: Path, options: GradeOptions, run: RunInfo) -> dict:
    return grade_one(_load(root), task.source, out, options, run, task.key).to_json()


@functools.cache
def _load(root: str) -> Assignment:
    """The assignment, loaded once per pool process."""
    return assignments.load(root)
