"""The pytest plugin that runs an assignment's checks against one submission.

Checks are ordinary pytest test functions in ``reference/<name>/checks/``. Markers (registered,
so a misspelling fails collection under ``--strict-markers``):

    @pytest.mark.points(n)        points the check is worth (default 1)
    @pytest.mark.hidden           inputs, expected values and messages never reach students
    @pytest.mark.title("...")     readable name (default: the docstring's first line)
    @pytest.mark.timeout(s)       time budget of the whole check (default: the assignment's)
    @pytest.mark.call_timeout(s)  time limit of each call into student code (default: the
                                  assignment's ``call_seconds``), for checks that train

Fixtures: ``student`` (the submission, through the jailed worker; a fresh process per check),
``reference`` (the reference solution, imported in the grader) and ``record`` (plain data for the
report: ``record.curves(...)``, ``record.weights(...)``). Each check's outcome is recorded
as a :class:`CheckResult`; grading decisions happen here, in the grader, never in the worker.
"""

from __future__ import annotations

import dataclasses
import inspect
import random
import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from grader.checks.context import CifarView, NotebookView
from grader.checks.helpers import Mismatch, PartialCredit, take_metrics, take_notes
from grader.checks.hints import hint_for
from grader.checks.record import Recorder
from grader.core.errors import StudentError, WorkerError
from grader.core.results import CheckResult
from grader.jail.client import RemoteObject, Session, Worker
from grader.oracle.reference import Reference

MARKERS = {
    "points(n): the number of points the check is worth (default 1)",
    "hidden: students see only the check's name and score",
    "title(text): the check's readable name",
    "timeout(seconds): time budget for the whole check",
    "call_timeout(seconds): time limit of each call into student code in this check",
}
META_KEY = pytest.StashKey["CheckMeta"]()
RECORD_KEY = pytest.StashKey[Recorder]()
RESULT_KEY = pytest.StashKey[CheckResult]()


@dataclass(frozen=True)
class CheckMeta:
    """The evaluated markers of one check."""

    points: float
    hidden: bool
    title: str
    timeout: float
    call_timeout: float | None = None


def _marker_arg(item: pytest.Item, name: str, default: Any) -> Any:
    marker = item.get_closest_marker(name)
    if marker is None:
        return default
    if marker.kwargs or len(marker.args) != 1:
        raise pytest.UsageError(f"{item.nodeid}: @pytest.mark.{name} takes exactly one argument")
    return marker.args[0]


def _doc_title(item: pytest.Item) -> list[str]:
    """The docstring's first paragraph as one line (``[]`` without a docstring)."""
    text = inspect.cleandoc(getattr(getattr(item, "function", None), "__doc__", None) or "")
    return [" ".join(text.split("\n\n")[0].split())] if text else []


def check_meta(item: pytest.Item, default_timeout: float) -> CheckMeta:
    doc = _doc_title(item)
    points = _marker_arg(item, "points", 1)
    timeout = _marker_arg(item, "timeout", default_timeout)
    if not isinstance(points, (int, float)) or points < 0:
        raise pytest.UsageError(f"{item.nodeid}: invalid points {points!r} from marker")
    if not isinstance(timeout, (int, float)) or timeout <= 0:
        raise pytest.UsageError(f"{item.nodeid}: invalid timeout {timeout!r} from marker")
    call_timeout = _marker_arg(item, "call_timeout", None)
    if call_timeout is not None and (not isinstance(call_timeout, (int, float)) or call_timeout <= 0):
        raise pytest.UsageError(f"{item.nodeid}: invalid call_timeout {call_timeout!r} from marker")
    return CheckMeta(
        points=float(points),
        hidden=item.get_closest_marker("hidden") is not None,
        title=_marker_arg(item, "title", doc[0] if doc else item.name),
        timeout=float(timeout),
        call_timeout=call_timeout,
    )


class StudentView:
    """What a check sees of the student: ``module(name)``, ``seed(n)``, ``output()``."""

    def __init__(self, session: Session, worker: Worker) -> None:
        self.session = session
        self._worker = worker

    def module(self, name: str) -> RemoteObject:
        return self.session.module(name)

    def seed(self, value: int) -> None:
        self.session.seed(value)

    def hold(self, value: Any) -> RemoteObject:
        """A mutable copy of ``value`` living in the student's process (fetch it back later)."""
        return self.session.hold(value)

    def output(self) -> str:
        return self._worker.output()


class ReferenceView:
    """The same interface over the reference solution, in the grader's own process."""

    def __init__(self, reference: Reference) -> None:
        self._reference = reference

    def module(self, name: str) -> Any:
        return self._reference.module(name)

    def seed(self, value: int) -> None:
        np.random.seed(value)
        random.seed(value)

    def hold(self, value: Any) -> Any:
        return value


Oracle = Callable[[str], Any]  # check id -> what the ``reference`` fixture gives that check


def live_oracle(reference: Reference) -> Oracle:
    """The reference solution itself, imported in the grader's process."""
    view = ReferenceView(reference)
    return lambda check: view


class GraderPlugin:
    """Registered with ``pytest.main(plugins=[...])``; collects one :class:`CheckResult` per check."""

    def __init__(
        self,
        worker: Worker,
        oracle: Oracle,
        default_timeout: float,
        packages: tuple[str, ...] = (),
        artifacts: Path | None = None,
        notebook: NotebookView | None = None,
        cifar: CifarView | None = None,
        limits: Mapping[str, float] | None = None,
        regularization: str = "any",
        compared_only: bool = False,
    ) -> None:
        self._worker = worker
        self._compared_only = compared_only  # only the checks that use the ``reference`` fixture
        self._regularization = regularization
        self._artifacts = artifacts
        self._notebook = notebook
        self._cifar = cifar
        self._oracle = oracle
        self._default_timeout = default_timeout
        self._limits = dict(limits or {})  # check id -> time limit derived from the reference
        self._packages = packages
        self.results: list[CheckResult] = []
        self._started: dict[str, float] = {}

    def pytest_configure(self, config: pytest.Config) -> None:
        for line in sorted(MARKERS):
            config.addinivalue_line("markers", line)

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self._compared_only:
            blind = [item for item in items if "reference" not in getattr(item, "fixturenames", ())]
            items[:] = [item for item in items if item not in blind]
            config.hook.pytest_deselected(items=blind)
        for item in items:
            meta = check_meta(item, self._default_timeout)
            if item.nodeid in self._limits:  # derived from the reference, within the declared limit
                meta = dataclasses.replace(meta, timeout=min(meta.timeout, self._limits[item.nodeid]))
            item.stash[META_KEY] = meta

    @pytest.fixture
    def student(self, request: pytest.FixtureRequest) -> Iterator[StudentView]:
        meta = request.node.stash[META_KEY]
        session = self._worker.session(meta.timeout, meta.call_timeout)
        try:
            yield StudentView(session, self._worker)
        finally:
            session.close()

    @pytest.fixture
    def reference(self, request: pytest.FixtureRequest) -> Any:
        return self._oracle(request.node.nodeid)

    @pytest.fixture
    def regularization(self) -> str:
        """The assignment's L2 convention (``"any"`` when it fixes none): see grader.checks.l2."""
        return self._regularization

    @pytest.fixture
    def notebook(self) -> NotebookView:
        if self._notebook is None:
            raise AssertionError("notebooks were not run for this grading run")
        return self._notebook

    @pytest.fixture
    def cifar(self) -> CifarView:
        if self._cifar is None:
            raise AssertionError("no dataset was given to this grading run")
        return self._cifar

    @pytest.fixture
    def record(self, request: pytest.FixtureRequest) -> Recorder:
        recorder = Recorder(request.node.name, self._artifacts)
        request.node.stash[RECORD_KEY] = recorder
        return recorder

    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        take_notes()  # none left over from a check that ended abruptly
        take_metrics()
        self._started[item.nodeid] = time.perf_counter()

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        yield
        failed_setup = call.when == "setup" and call.excinfo is not None
        if call.when == "call" or failed_setup:
            item.stash[RESULT_KEY] = self._result(item, call)
        elif call.when == "teardown" and RESULT_KEY in item.stash:
            # the student's child has ended by now and its output is complete (see Session.close)
            result = item.stash[RESULT_KEY]
            self.results.append(dataclasses.replace(result, output=self._worker.output()[-2000:]))

    def _result(self, item: pytest.Item, call: pytest.CallInfo) -> CheckResult:
        meta = item.stash[META_KEY]
        outcome, message, hint = classify(call.excinfo, self._packages)
        partial = _fraction(call.excinfo)
        return CheckResult(
            id=item.nodeid,
            title=meta.title,
            max_points=meta.points,
            points=meta.points if outcome == "passed" else round(meta.points * partial, 6),
            outcome=outcome,
            message=message,
            hint=hint,
            hidden=meta.hidden,
            duration=time.perf_counter() - self._started.get(item.nodeid, time.perf_counter()),
            time_limit=meta.timeout,
            notes=take_notes(),
            metrics=take_metrics(),
            details=_details(call.excinfo),
            artifacts=tuple(item.stash[RECORD_KEY].artifacts) if RECORD_KEY in item.stash else (),
        )


def _fraction(excinfo: pytest.ExceptionInfo | None) -> float:
    return excinfo.value.fraction if excinfo is not None and isinstance(excinfo.value, PartialCredit) else 0.0


def _details(excinfo: pytest.ExceptionInfo | None) -> dict[str, Any]:
    return excinfo.value.details if excinfo is not None and isinstance(excinfo.value, Mismatch) else {}


def classify(excinfo: pytest.ExceptionInfo | None, packages: tuple[str, ...]) -> tuple[str, str, str]:
    """(outcome, message, hint) for the exception a check ended with."""
    if excinfo is None:
        return "passed", "", ""
    exc = excinfo.value
    if isinstance(exc, StudentError):
        trace = "\n".join(f"  {line}" for line in exc.traceback)
        return exc.outcome, exc.message + (f"\n{trace}" if trace else ""), hint_for(exc, packages)
    if isinstance(exc, WorkerError):
        return exc.outcome, exc.message, ""
    if isinstance(exc, AssertionError):
        return "failed", str(exc).split("\nassert ")[0].strip() or "assertion failed", ""
    if isinstance(exc, pytest.UsageError):
        raise exc
    return "error", (f"the check could not use what your code returned: {type(exc).__name__}: {exc}"), ""
