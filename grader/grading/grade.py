"""Grade one submission: jailed worker + the assignment's checks through pytest -> SubmissionResult."""

from __future__ import annotations

import contextlib
import dataclasses
import io
import math
import os
import sys
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from grader.checks.context import CifarView, NotebookView
from grader.checks.plugin import GraderPlugin, Oracle, live_oracle
from grader.core.assignment import Assignment
from grader.core.errors import GraderError
from grader.core.results import CheckResult, NotebookOutcome, SubmissionResult
from grader.core.version import __version__
from grader.data.fullsize import is_full_size
from grader.data.grading import GradingData, split_sizes
from grader.grading.diagnose import diagnose
from grader.grading.discover import Submission, prepare
from grader.grading.limits import (
    cached_reference_check_seconds,
    cached_reference_seconds,
    derived,
    is_the_reference,
    record_reference_check_seconds,
    record_reference_seconds,
    reference_check_seconds,
    reference_seconds,
)
from grader.jail.client import Worker, WorkerOptions
from grader.jail.environment import interpreter_for
from grader.jail.sandbox import Interpreter, JailLimits, resolve_level
from grader.notebooks.module import write_notebook_module
from grader.notebooks.run import (
    NotebookLimits,
    as_course_notebooks,
    course_notebooks,
    locate,
    notebook_parameters,
    run_assignment_notebooks,
)
from grader.oracle.reference import Reference
from grader.oracle.replay import ReplayingReference, Tape

TRAINING_SECONDS = 300  # CPU budget of one check's process: checks that train need minutes
PRELOAD = {"matplotlib": "matplotlib.pyplot", "past": "past.builtins", "builtins": "builtins"}


class ChecksError(GraderError):
    """The assignment's checks could not be collected (a bug in the checks, not the submission)."""

    exit_code = 5


@dataclass(frozen=True)
class GradeOptions:
    """How to grade: isolation level (None = best available), which checks to run, the dataset,
    whether to run the notebooks, the notebook variables to override (``(name, value)`` pairs) and
    a pytest ``-k`` expression selecting checks (``select``), and where the reference's recorded
    answers are when the reference itself is not at hand (``answers``, see :mod:`grader.oracle.replay`)."""

    isolation: str | None = None
    public_only: bool = False
    data: GradingData | None = None
    notebooks: bool = True
    parameters: tuple[tuple[str, Any], ...] = ()
    select: str = ""
    answers: Path | None = None  # replay the reference's recorded answers from here (grader check)
    # (check id, seconds) time limits, measured once per batch so every submission gets the same
    # (None: derive them here, see check_limits)
    limits: tuple[tuple[str, float], ...] | None = None
    # the assignment's [environment]: build it when missing (grader check only uses a built one)
    build_environment: bool = True
    wheelhouse: Path | None = None  # build it offline from these wheels


def preload_for(submission: Submission) -> tuple[str, ...]:
    """numpy, plus the slow imports the submission's modules mention (imported once per worker)."""
    text = " ".join(
        p.read_text(encoding="utf-8", errors="replace")[:200_000] for p in sorted(submission.path.rglob("*.py"))[:200]
    )
    return ("numpy",) + tuple(
        module for word, module in PRELOAD.items() if f"import {word}" in text or f"from {word}" in text
    )


def student_interpreter(assignment: Assignment, options: GradeOptions) -> Interpreter | None:
    """The students' environment of the assignment (None: the grader's own Python)."""
    return interpreter_for(assignment, options.build_environment, options.wheelhouse)


def worker_options(assignment: Assignment, submission: Submission, options: GradeOptions) -> WorkerOptions:
    limits = assignment.limits
    return WorkerOptions(
        isolation=options.isolation,
        interpreter=student_interpreter(assignment, options),
        limits=JailLimits(
            memory_mb=limits.memory_mb,
            cpu_seconds=int(max(limits.check_seconds, limits.call_seconds, TRAINING_SECONDS)) + 5,
        ),
        call_seconds=limits.call_seconds,
        preload=preload_for(submission),
        rehang_seconds=limits.check_floor_seconds / 2,
    )


def oracle_for(assignment: Assignment, options: GradeOptions) -> Oracle:
    if options.answers is not None:
        tape = Tape.load(options.answers)
        return lambda check: ReplayingReference(tape, check)
    return live_oracle(Reference(assignment))


def run_checks(
    assignment: Assignment,
    worker: Worker,
    options: GradeOptions,
    artifacts: Path | None = None,
    notebooks: NotebookOutcome | None = None,
    oracle: Oracle | None = None,
    limits: Mapping[str, float] | None = None,
    compared_only: bool = False,
) -> list[CheckResult]:
    """Run ``checks/`` of the assignment against the worker's submission; one result per check.
    Weight arrays the checks record are written to ``artifacts`` (skipped when None); ``oracle``
    gives each check its ``reference`` (default: :func:`oracle_for` the options); ``limits`` maps
    check ids to their time limits (default: the declared ``check_seconds``); ``compared_only``
    runs only the checks that use the reference (none may match)."""
    plugin = GraderPlugin(
        worker,
        oracle or oracle_for(assignment, options),
        assignment.limits.check_seconds,
        assignment.packages,
        artifacts,
        NotebookView(notebooks, dict(assignment.notebook.results)) if notebooks else None,
        CifarView(options.data, assignment),
        limits,
        assignment.regularization,
        compared_only,
    )
    checks = assignment.root / "checks"
    # Results come from the exceptions themselves, so pytest's long tracebacks (the source of every
    # frame of every failure parsed: half the time of grading a broken module) give way to native
    # ones, and its unraisable-exception hunt (a garbage collection per session, 0.1 s) is off.
    args = [
        str(checks),
        "-p",
        "no:cacheprovider",
        "-p",
        "no:unraisableexception",
        "-p",
        "no:threadexception",
        "--import-mode=importlib",
        "--strict-markers",
        "-q",
        "--tb=native",
        "-c",
        os.devnull,
        "--rootdir",
        str(checks),
        "-W",
        "ignore::pytest.PytestAssertRewriteWarning",
    ]
    if options.public_only:
        args += ["-m", "not hidden"]
    if options.select:
        args += ["-k", options.select]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), _importable(checks):
        code = pytest.main(args, plugins=[plugin])
    if compared_only and code == pytest.ExitCode.NO_TESTS_COLLECTED:
        return []
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not plugin.results:
        raise ChecksError(
            f"the checks of '{assignment.name}' could not run (pytest exit {int(code)}):\n{out.getvalue()[-3000:]}"
        )
    return plugin.results


@contextlib.contextmanager
def _importable(checks: Path):
    """Let check modules import their helpers (``from support import ...``) during the run, and
    forget every module loaded from ``checks`` afterwards: assignments reuse module names."""
    sys.path.insert(0, str(checks))
    autoload = os.environ.get("PYTEST_DISABLE_PLUGIN_AUTOLOAD")
    os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"  # only our plugin: third-party ones cost seconds
    try:
        yield
    finally:
        if autoload is None:
            del os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"]
        else:
            os.environ["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = autoload
        sys.path.remove(str(checks))
        inside = tuple({f"{checks}{os.sep}", f"{checks.resolve()}{os.sep}"})  # no resolve per module: thousands
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if file and file.startswith(inside):
                del sys.modules[name]


def common_problems(results: list[CheckResult]) -> list[str]:
    """Submission-level problems visible in many checks, e.g. a module that does not import."""
    import_failures = {
        r.message.split("\n")[0] for r in results if r.outcome == "error" and " in importing " in r.message
    }
    return sorted(import_failures)


def run_notebooks(
    assignment: Assignment, submission: Submission, options: GradeOptions, out: Path | None
) -> NotebookOutcome | None:
    """Execute the assignment's notebooks in the jail (None when the run skips notebooks), with
    limits derived from the reference notebook's time (:mod:`grader.grading.limits`)."""
    if not options.notebooks or not assignment.notebooks or not assignment.notebook.execute:
        return None
    data = options.data
    sizes = split_sizes(assignment, data.name) if data is not None else None
    parameters = notebook_parameters(assignment, data.name if data else None, sizes, dict(options.parameters))
    dataset = data.path if data else None
    limits = assignment.limits
    jail_limits = JailLimits(memory_mb=limits.notebook_memory_mb, cpu_seconds=int(limits.notebook_seconds) + 60)
    level = resolve_level(options.isolation)

    def run(folder: Path, notebook_limits: NotebookLimits, executed: Path | None) -> NotebookOutcome:
        return run_assignment_notebooks(
            assignment,
            folder,
            level,
            jail_limits,
            notebook_limits,
            dataset,
            parameters,
            executed,
            student_interpreter(assignment, options),
            sizes,
        )

    declared = NotebookLimits(limits.notebook_cell_seconds, limits.notebook_seconds, limits.notebook_memory_mb)

    # a course notebook (no parameters cell) does the course's full work: time the reference so
    course = dataset is not None and course_notebooks(assignment, submission.path) and not is_full_size(dataset)

    def measure(folder: Path) -> float | None:
        if course:
            as_course_notebooks(assignment, folder)
        return completed_seconds(run(folder, declared, None))

    key = {**parameters, "(course notebook)": course}
    if cached_reference_seconds(assignment, dataset, key) is None and is_the_reference(assignment, submission.path):
        outcome = run(submission.path, declared, out / "executed" if out else None)  # measured as it is graded
        seconds = completed_seconds(outcome)
        if seconds is not None:
            record_reference_seconds(assignment, dataset, key, seconds)
        return outcome
    seconds = reference_seconds(assignment, dataset, key, measure)
    deadline = derived(limits.notebook_seconds, seconds, limits.notebook_factor, limits.notebook_floor_seconds)
    cell = min(limits.notebook_cell_seconds, deadline)
    return run(
        submission.path, NotebookLimits(cell, deadline, limits.notebook_memory_mb), out / "executed" if out else None
    )


def checks_of_folder(
    assignment: Assignment, folder: Path, workdir: Path, options: GradeOptions, oracle: Oracle
) -> list[CheckResult]:
    """Only the checks of ``folder`` (no notebook run, no diagnosis, declared limits), with
    ``oracle`` as the reference: for measuring or recording the reference itself."""
    submission = prepare(folder, assignment, workdir)
    notebook_modules(assignment, submission)
    with Worker(submission.path, worker_options(assignment, submission, options)) as worker:
        return run_checks(assignment, worker, options, oracle=oracle)


def check_limits(assignment: Assignment, options: GradeOptions) -> dict[str, float]:
    """Each check's time limit, derived from the reference's time on it (:mod:`grader.grading.limits`)."""
    declared = assignment.limits
    if declared.check_factor <= 0:
        return {}
    level = resolve_level(options.isolation)

    def measure(folder: Path) -> dict[str, float]:
        results = checks_of_folder(
            assignment,
            folder,
            folder.parent / "work",
            GradeOptions(
                isolation=level,
                notebooks=False,
                wheelhouse=options.wheelhouse,
                build_environment=options.build_environment,
                data=options.data,
            ),
            live_oracle(Reference(assignment)),
        )
        return {r.id: r.duration for r in results if r.passed}

    times = reference_check_seconds(assignment, level, measure, dataset_of(options))
    # capped later by each check's declared limit (check_seconds or its own @timeout)
    return {
        check: derived(math.inf, seconds, declared.check_factor, declared.check_floor_seconds)
        for check, seconds in times.items()
    }


def completed_seconds(outcome: NotebookOutcome) -> float | None:
    """How long the notebooks took, when every one of them completed."""
    ok = outcome.runs and all(r.status == "completed" for r in outcome.runs)
    return sum(r.duration for r in outcome.runs) if ok else None


def dataset_of(options: GradeOptions) -> Path | None:
    return options.data.path if options.data is not None else None


def measures_itself(assignment: Assignment, submission: Submission, options: GradeOptions) -> bool:
    """Whether grading ``submission`` measures the reference's check times as well: it is the
    reference, unchanged, graded on every check with limits still unknown here (one pass, not
    one to measure and one to grade)."""
    if options.limits is not None or options.answers is not None or options.select or options.public_only:
        return False
    if assignment.limits.check_factor <= 0:
        return False
    level = resolve_level(options.isolation)
    return cached_reference_check_seconds(assignment, level, dataset_of(options)) is None and is_the_reference(
        assignment, submission.path
    )


def notebook_modules(assignment: Assignment, submission: Submission) -> list[str]:
    """Write the definitions of the submission's notebook as ``[notebook] module`` (in the
    submission's private copy) for assignments whose functions live in the notebook."""
    name = assignment.notebook.module
    if not name or not assignment.notebooks:
        return []
    path, notes = locate(submission.path, assignment.notebooks[0])
    if not path.is_file():
        return [f"{assignment.notebooks[0]} is missing: its functions cannot be graded"]
    return notes + write_notebook_module(path, submission.path / f"{name}.py")


def grade_submission(
    assignment: Assignment, submission: Submission, options: GradeOptions = GradeOptions(), out: Path | None = None
) -> SubmissionResult:
    """Grade ``submission``: its notebooks in a jailed kernel, then the checks in a fresh jailed
    worker; never raises for anything the student did. ``out`` (the submission's output folder)
    receives executed notebooks and recorded weight arrays."""
    start = time.perf_counter()
    module_problems = notebook_modules(assignment, submission)
    notebooks = run_notebooks(assignment, submission, options, out)
    measuring = measures_itself(assignment, submission, options)  # the reference, limits not yet known
    limits = (
        {}
        if measuring
        else dict(options.limits)
        if options.limits is not None
        else check_limits(assignment, options)
        if options.answers is None
        else {}
    )
    with Worker(submission.path, worker_options(assignment, submission, options)) as worker:
        results = run_checks(assignment, worker, options, out / "artifacts" if out else None, notebooks, limits=limits)
        if measuring:
            record_reference_check_seconds(
                assignment, worker.isolation, dataset_of(options), {r.id: r.duration for r in results if r.passed}
            )
        if options.answers is None:  # offline (grader check) there is no reference to mutate
            results = diagnose(
                assignment,
                results,
                lambda select, oracle: run_checks(
                    assignment,
                    worker,
                    dataclasses.replace(options, select=select),
                    None,
                    notebooks,
                    oracle,
                    limits,
                    compared_only=True,
                ),
            )
        isolation = worker.isolation
    return SubmissionResult(
        submission=submission.id,
        assignment=assignment.name,
        checks=tuple(results),
        isolation=isolation,
        grader_version=__version__,
        content_hash=submission.content_hash,
        execution_time=time.perf_counter() - start,
        problems=tuple(submission.problems)
        + tuple(module_problems)
        + tuple(common_problems(results))
        + (notebooks.problems if notebooks else ()),
        notebooks=notebooks.runs if notebooks else (),
    )
