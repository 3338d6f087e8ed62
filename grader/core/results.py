"""Results as frozen dataclasses that round-trip through JSON, and the Gradescope ``results.json``."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("passed", "failed", "error", "timeout", "not-implemented")
TIMING_FIELDS = ("duration", "execution_time", "time_limit")
ARTIFACT_KINDS = ("curves", "weights")


@dataclass(frozen=True)
class Artifact:
    """Something a check recorded for the report, as plain data.

    ``curves``: ``data`` maps series names to lists of numbers (loss or accuracy histories);
    ``weights``: ``file`` is an ``.npy`` (relative to the submission's output folder) of
    first-layer weights, one column per hidden unit, shown as an image grid.
    """

    kind: str
    title: str
    data: dict[str, Any] = field(default_factory=dict)
    file: str = ""

    def __post_init__(self) -> None:
        if self.kind not in ARTIFACT_KINDS:
            raise ValueError(f"unknown artifact kind {self.kind!r}")

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Artifact:
        return cls(**{k: data[k] for k in ("kind", "title", "data", "file") if k in data})


@dataclass(frozen=True)
class CheckResult:
    """One check of one submission. ``message`` is the full text (instructors only for hidden checks)."""

    id: str
    title: str
    points: float
    max_points: float
    outcome: str
    message: str = ""
    hidden: bool = False
    duration: float = 0.0
    output: str = ""
    hint: str = ""
    details: dict[str, Any] = field(default_factory=dict)
    artifacts: tuple[Artifact, ...] = ()
    diagnosis: dict[str, str] = field(default_factory=dict)  # a catalogued mistake: mistake, title, hint
    time_limit: float = 0.0  # seconds the check was allowed (derived from the reference's time)
    notes: tuple[str, ...] = ()  # what the check accepted or detected (a keepdims shape, an L2 convention)
    metrics: dict[str, float] = field(default_factory=dict)  # numbers it measured (accuracies): leaderboards

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"unknown outcome {self.outcome!r}")

    @property
    def passed(self) -> bool:
        return self.outcome == "passed"

    def student_text(self) -> str:
        """What a student may read: a hidden check shows only its outcome, never inputs or expected values."""
        if self.hidden:
            return f"Hidden check: {self.outcome}."
        parts = [
            self.message,
            f"Hint: {self.hint}" if self.hint else "",
            f"Likely mistake: {self.diagnosis['title']}. {self.diagnosis['hint']}" if self.diagnosis else "",
            f"Your code printed:\n{self.output}" if self.output and not self.passed else "",
            *(f"Note: {text}" for text in self.notes),
            "Measured by the grader: " + ", ".join(f"{k} {v:.4g}" for k, v in self.metrics.items())
            if self.metrics
            else "",
        ]
        return "\n\n".join(p for p in parts if p)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["artifacts"] = [dataclasses.asdict(a) for a in self.artifacts]
        data["notes"] = list(self.notes)
        return {"type": "CheckResult", **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> CheckResult:
        fields = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in fields}
        kwargs["artifacts"] = tuple(Artifact.from_json(a) for a in data.get("artifacts", ()))
        kwargs["notes"] = tuple(data.get("notes", ()))
        return cls(**kwargs)


@dataclass(frozen=True)
class CellError:
    """A notebook cell that raised (or ran out of time): its 1-based position among all cells."""

    cell: int
    ename: str
    evalue: str
    timeout: bool = False

    def describe(self) -> str:
        what = "ran out of time" if self.timeout else f"raised {self.ename}: {self.evalue}"
        return f"cell {self.cell} {what}"


@dataclass(frozen=True)
class Answer:
    """An inline question of the notebook and the student's written answer."""

    cell: int
    question: str
    answer: str


NOTEBOOK_STATUSES = ("completed", "errors", "deadline", "kernel-died", "missing", "invalid")


@dataclass(frozen=True)
class NotebookRun:
    """How a student notebook ran headlessly in the jail (``status`` in :data:`NOTEBOOK_STATUSES`)."""

    notebook: str
    status: str
    message: str = ""
    cells: int = 0
    executed: int = 0
    errors: tuple[CellError, ...] = ()
    duration: float = 0.0
    files: tuple[str, ...] = ()
    answers: tuple[Answer, ...] = ()
    exported: tuple[str, ...] = ()
    export_errors: tuple[str, ...] = ()
    artifacts: tuple[Artifact, ...] = ()

    def __post_init__(self) -> None:
        if self.status not in NOTEBOOK_STATUSES:
            raise ValueError(f"unknown notebook status {self.status!r}")

    def summary(self) -> str:
        head = {
            "completed": "ran to the end",
            "errors": "ran to the end with errors",
            "deadline": "stopped at the notebook deadline",
            "kernel-died": "stopped: the kernel died",
            "missing": "is missing",
            "invalid": "could not be read",
        }[self.status]
        lines = [f"{self.notebook} {head}" + (f": {self.message}" if self.message else "")]
        lines += [f"  {e.describe()}" for e in self.errors]
        return "\n".join(lines)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NotebookRun:
        kwargs = {f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data}
        kwargs["errors"] = tuple(CellError(**e) for e in data.get("errors", ()))
        kwargs["answers"] = tuple(Answer(**a) for a in data.get("answers", ()))
        kwargs["artifacts"] = tuple(Artifact.from_json(a) for a in data.get("artifacts", ()))
        for key in ("files", "exported", "export_errors"):
            kwargs[key] = tuple(data.get(key, ()))
        return cls(**kwargs)


@dataclass(frozen=True)
class NotebookOutcome:
    """Everything checks may use from the submission's notebooks, as plain data."""

    runs: tuple[NotebookRun, ...] = ()
    values: Mapping[str, Any] = field(default_factory=dict)
    files: Mapping[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()


@dataclass(frozen=True)
class SubmissionResult:
    """Every check of one submission, with the facts needed to trust and reproduce the grade."""

    submission: str
    assignment: str
    checks: tuple[CheckResult, ...]
    isolation: str
    grader_version: str
    content_hash: str
    execution_time: float = 0.0
    problems: tuple[str, ...] = ()
    notebooks: tuple[NotebookRun, ...] = ()
    cache_key: str = ""  # see grader.batch.cache: what this result was computed from

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 6)

    def below(self, percent: float) -> bool:
        """Whether the score is under ``percent`` of the maximum."""
        return 100 * self.score < percent * max(self.max_score, 1e-9)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["checks"] = [c.to_json() for c in self.checks]
        data["problems"] = list(self.problems)
        data["notebooks"] = [dataclasses.asdict(n) for n in self.notebooks]
        return {"type": "SubmissionResult", "score": self.score, "max_score": self.max_score, **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SubmissionResult:
        if data.get("type") != "SubmissionResult":
            raise ValueError("not a SubmissionResult")
        fields = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in fields}
        kwargs["checks"] = tuple(CheckResult.from_json(c) for c in data["checks"])
        kwargs["problems"] = tuple(data.get("problems", ()))
        kwargs["notebooks"] = tuple(NotebookRun.from_json(n) for n in data.get("notebooks", ()))
        return cls(**kwargs)

    def to_gradescope(
        self, hidden_visibility: str = "after_published", leaderboard: Sequence[str] | None = None
    ) -> dict[str, Any]:
        """A valid Gradescope autograder ``results.json``: hidden checks carry no details and are
        shown at ``hidden_visibility``; the autograder's own printing is never shown to students.
        ``leaderboard``: the metric names (see :meth:`metrics`) to put on Gradescope's leaderboard,
        in this order (0 where this submission has none)."""
        data = {
            "score": self.score,
            "execution_time": round(self.execution_time, 3),
            "output": self.summary(),
            "output_format": "text",
            "test_output_format": "text",
            "stdout_visibility": "hidden",
            "tests": [_gradescope_test(c, hidden_visibility) for c in self.checks],
            "extra_data": {
                "submission": self.submission,
                "assignment": self.assignment,
                "max_score": self.max_score,
                "isolation": self.isolation,
                "grader_version": self.grader_version,
                "content_hash": self.content_hash,
                "problems": list(self.problems),
            },
        }
        if leaderboard is not None:
            measured = self.metrics()
            data["leaderboard"] = [
                {"name": name, "value": measured.get(name, 0.0), "order": "desc"} for name in leaderboard
            ]
        return data

    def metrics(self, public_only: bool = True) -> dict[str, float]:
        """The numbers the checks measured, by name: ``Validation accuracy``, or the check's title
        and the name when two checks measure the same thing. Hidden checks' only when asked."""
        checks = [c for c in self.checks if not (public_only and c.hidden)]
        counts = Counter(name for c in checks for name in c.metrics)
        return {
            (name.capitalize() if counts[name] == 1 else f"{c.title}: {name}"): value
            for c in checks
            for name, value in c.metrics.items()
        }

    def summary(self) -> str:
        lines = [f"{self.score:g} / {self.max_score:g} points"]
        lines += [f"Problem: {p}" for p in self.problems]
        lines += [f"Notebook: {n.summary()}" for n in self.notebooks if n.status != "completed"]
        return "\n".join(lines)


@dataclass(frozen=True)
class RunInfo:
    """Facts about one grading run, shown on the dashboard and kept in ``OUT/run.json``."""

    assignment: str
    title: str
    grader_version: str
    date: str
    dataset: str = ""
    source: str = ""  # the assignment's folder, for commands run later on the results
    written: tuple[dict[str, Any], ...] = ()  # the assignment's written questions (grader.core.written)

    def to_json(self) -> dict[str, Any]:
        return {"type": "RunInfo", **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> RunInfo:
        values = {f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data}
        return cls(**{**values, "written": tuple(values.get("written", ()))})


def _gradescope_test(c: CheckResult, hidden_visibility: str) -> dict[str, Any]:
    return {
        "name": c.title,
        "score": c.points,
        "max_score": c.max_points,
        "status": "passed" if c.passed else "failed",
        "output": c.student_text(),
        "visibility": hidden_visibility if c.hidden else "visible",
        "extra_data": {"check_id": c.id, "outcome": c.outcome, "duration": round(c.duration, 3)},
    }


def without_timing(data: Any) -> Any:
    """A copy of a results JSON with timing fields removed, for determinism comparisons."""
    if isinstance(data, dict):
        return {k: without_timing(v) for k, v in data.items() if k not in TIMING_FIELDS}
    if isinstance(data, list):
        return [without_timing(v) for v in data]
    return data
