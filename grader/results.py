"""Results as frozen dataclasses that round-trip through JSON, and the Gradescope ``results.json``."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

OUTCOMES = ("passed", "failed", "error", "timeout", "not-implemented")
TIMING_FIELDS = ("duration", "execution_time")
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
    def from_json(cls, data: dict[str, Any]) -> "Artifact":
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
        parts = [self.message, f"Hint: {self.hint}" if self.hint else "",
                 f"Your code printed:\n{self.output}" if self.output and not self.passed else ""]
        return "\n\n".join(p for p in parts if p)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["artifacts"] = [dataclasses.asdict(a) for a in self.artifacts]
        return {"type": "CheckResult", **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "CheckResult":
        fields = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in fields}
        kwargs["artifacts"] = tuple(Artifact.from_json(a) for a in data.get("artifacts", ()))
        return cls(**kwargs)


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

    @property
    def score(self) -> float:
        return round(sum(c.points for c in self.checks), 6)

    @property
    def max_score(self) -> float:
        return round(sum(c.max_points for c in self.checks), 6)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["checks"] = [c.to_json() for c in self.checks]
        data["problems"] = list(self.problems)
        return {"type": "SubmissionResult", "score": self.score, "max_score": self.max_score, **data}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "SubmissionResult":
        if data.get("type") != "SubmissionResult":
            raise ValueError("not a SubmissionResult")
        fields = {f.name for f in dataclasses.fields(cls)}
        kwargs = {k: v for k, v in data.items() if k in fields}
        kwargs["checks"] = tuple(CheckResult.from_json(c) for c in data["checks"])
        kwargs["problems"] = tuple(data.get("problems", ()))
        return cls(**kwargs)

    def to_gradescope(self) -> dict[str, Any]:
        """A valid Gradescope autograder ``results.json``; hidden checks carry no details."""
        return {
            "score": self.score,
            "execution_time": round(self.execution_time, 3),
            "output": self.summary(),
            "tests": [_gradescope_test(c) for c in self.checks],
            "extra_data": {
                "submission": self.submission, "assignment": self.assignment,
                "max_score": self.max_score, "isolation": self.isolation,
                "grader_version": self.grader_version, "content_hash": self.content_hash,
                "problems": list(self.problems),
            },
        }

    def summary(self) -> str:
        lines = [f"{self.score:g} / {self.max_score:g} points"]
        lines += [f"Problem: {p}" for p in self.problems]
        return "\n".join(lines)


@dataclass(frozen=True)
class RunInfo:
    """Facts about one grading run, shown on the dashboard and kept in ``OUT/run.json``."""

    assignment: str
    title: str
    grader_version: str
    date: str
    dataset: str = ""

    def to_json(self) -> dict[str, Any]:
        return {"type": "RunInfo", **dataclasses.asdict(self)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "RunInfo":
        return cls(**{f.name: data[f.name] for f in dataclasses.fields(cls) if f.name in data})


def _gradescope_test(c: CheckResult) -> dict[str, Any]:
    return {
        "name": c.title,
        "score": c.points,
        "max_score": c.max_points,
        "status": "passed" if c.passed else "failed",
        "output": c.student_text(),
        "visibility": "after_published" if c.hidden else "visible",
        "extra_data": {"check_id": c.id, "outcome": c.outcome, "duration": round(c.duration, 3)},
    }


def without_timing(data: Any) -> Any:
    """A copy of a results JSON with timing fields removed, for determinism comparisons."""
    if isinstance(data, dict):
        return {k: without_timing(v) for k, v in data.items() if k not in TIMING_FIELDS}
    if isinstance(data, list):
        return [without_timing(v) for v in data]
    return data
