"""Grade one submission: jailed worker + the assignment's checks through pytest -> SubmissionResult."""

from __future__ import annotations

import contextlib
import io
import os
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest

from . import __version__
from .assignment import Assignment
from .checks.plugin import GraderPlugin
from .discover import Submission
from .errors import GraderError
from .jail.client import Worker, WorkerOptions
from .jail.sandbox import JailLimits
from .reference import Reference
from .results import CheckResult, SubmissionResult

PRELOAD = {"matplotlib": "matplotlib.pyplot", "past": "past.builtins", "builtins": "builtins"}


class ChecksError(GraderError):
    """The assignment's checks could not be collected (a bug in the checks, not the submission)."""

    exit_code = 5


@dataclass(frozen=True)
class GradeOptions:
    """How to grade: isolation level (None = best available) and which checks to run."""

    isolation: str | None = None
    public_only: bool = False


def preload_for(submission: Submission) -> tuple[str, ...]:
    """numpy, plus the slow imports the submission's modules mention (imported once per worker)."""
    text = " ".join(p.read_text(encoding="utf-8", errors="replace")[:200_000]
                    for p in sorted(submission.path.rglob("*.py"))[:200])
    return ("numpy",) + tuple(module for word, module in PRELOAD.items()
                              if f"import {word}" in text or f"from {word}" in text)


def worker_options(assignment: Assignment, submission: Submission,
                   isolation: str | None) -> WorkerOptions:
    limits = assignment.limits
    return WorkerOptions(
        isolation=isolation,
        limits=JailLimits(memory_mb=limits.memory_mb,
                          cpu_seconds=int(max(limits.check_seconds, limits.call_seconds)) + 5),
        call_seconds=limits.call_seconds,
        preload=preload_for(submission),
    )


def run_checks(assignment: Assignment, worker: Worker, options: GradeOptions,
               artifacts: Path | None = None) -> list[CheckResult]:
    """Run ``checks/`` of the assignment against the worker's submission; one result per check.
    Weight arrays the checks record are written to ``artifacts`` (skipped when None)."""
    plugin = GraderPlugin(worker, Reference(assignment), assignment.limits.check_seconds,
                          assignment.packages, artifacts)
    checks = assignment.root / "checks"
    args = [str(checks), "-p", "no:cacheprovider", "--import-mode=importlib", "--strict-markers", "-q", "-c", os.devnull,
            "--rootdir", str(checks), "-W", "ignore::pytest.PytestAssertRewriteWarning"]
    if options.public_only:
        args += ["-m", "not hidden"]
    out = io.StringIO()
    with contextlib.redirect_stdout(out), _importable(checks):
        code = pytest.main(args, plugins=[plugin])
    if code not in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED) or not plugin.results:
        raise ChecksError(f"the checks of '{assignment.name}' could not run "
                          f"(pytest exit {int(code)}):\n{out.getvalue()[-3000:]}")
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
        for name, module in list(sys.modules.items()):
            file = getattr(module, "__file__", None)
            if file and Path(file).resolve().is_relative_to(checks.resolve()):
                del sys.modules[name]


def common_problems(results: list[CheckResult]) -> list[str]:
    """Submission-level problems visible in many checks, e.g. a module that does not import."""
    import_failures = {r.message.split("\n")[0] for r in results
                       if r.outcome == "error" and " in importing " in r.message}
    return sorted(import_failures)


def grade_submission(assignment: Assignment, submission: Submission,
                     options: GradeOptions = GradeOptions(), artifacts: Path | None = None) -> SubmissionResult:
    """Grade ``submission`` in a fresh jailed worker; never raises for anything the student did.
    ``artifacts`` is the folder for recorded weight arrays (see :mod:`grader.checks.record`)."""
    start = time.perf_counter()
    with Worker(submission.path, worker_options(assignment, submission, options.isolation)) as worker:
        results = run_checks(assignment, worker, options, artifacts)
        isolation = worker.isolation
    return SubmissionResult(
        submission=submission.id, assignment=assignment.name, checks=tuple(results),
        isolation=isolation, grader_version=__version__, content_hash=submission.content_hash,
        execution_time=time.perf_counter() - start,
        problems=tuple(submission.problems) + tuple(common_problems(results)))
