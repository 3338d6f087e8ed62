"""What checks may use besides the student's live code: the submission's executed notebooks
(``notebook`` fixture) and the grading dataset (``cifar`` fixture), both as plain data."""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Callable
from typing import Any

from grader.core.assignment import Assignment, Calibration, Thresholds, grading_digest
from grader.core.files import write_json
from grader.core.paths import default_cache_dir
from grader.core.results import NotebookOutcome
from grader.core.version import __version__
from grader.data.cifar10 import Split
from grader.data.grading import GradingData, load_split, split_sizes
from grader.oracle.calibration import prepare


class NotebookMissing(AssertionError):
    """A check needed something from the notebook that it did not produce."""


class NotebookView:
    def __init__(self, outcome: NotebookOutcome | None, requests: dict[str, str]) -> None:
        self.outcome = outcome or NotebookOutcome()
        self.requests = requests

    @property
    def runs(self):
        return self.outcome.runs

    def _why_not(self) -> str:
        if not self.outcome.runs:
            return "no notebook was run for this submission"
        return "; ".join(run.summary().replace("\n", ",") for run in self.outcome.runs)

    def value(self, name: str) -> Any:
        """An exported result (plain data), or a failure saying why the notebook has none."""
        if name in self.outcome.values:
            return self.outcome.values[name]
        expression = self.requests.get(name, name)
        detail = next((e for run in self.outcome.runs for e in run.export_errors if e.startswith(f"{expression}:")), "")
        raise NotebookMissing(
            f"your notebook did not leave '{name}' to grade"
            + (f" ({detail})" if detail else "")
            + f". Notebook: {self._why_not()}"
        )

    def require_completed(self) -> None:
        """Fail unless the notebook ran to the end without errors and produced every result
        that is graded."""
        assert self.outcome.runs, "no notebook was run"
        run = self.outcome.runs[0]
        assert run.status == "completed", run.summary()
        assert not run.export_errors, "the notebook ran but did not produce what is graded: " + "; ".join(
            run.export_errors
        )

    def files(self, pattern: str = "") -> dict[str, str]:
        return {k: v for k, v in self.outcome.files.items() if pattern in k}


_MEMO: dict[Any, Any] = {}


def memo(key: Any, compute):
    """``compute()`` once per grader process for ``key``: reference training runs on the grading
    data are the same for every submission of a class."""
    if key not in _MEMO:
        _MEMO[key] = compute()
    return _MEMO[key]


def measured_once(assignment: Assignment, key: Any, compute: Callable[[], float]) -> float:
    """A number the reference reaches (``compute()``, for example its accuracy after the grader's
    training), measured once per machine: kept in the grader's cache under the reference's
    content, the numpy that computed it and ``key``, so every later grading process (a batch's
    workers, each Gradescope upload) reads it instead of training the reference again."""
    import numpy

    digest = hashlib.sha256(
        json.dumps([grading_digest(assignment), repr(key), numpy.__version__, __version__]).encode()
    ).hexdigest()[:32]
    path = default_cache_dir() / "reference-measures" / f"{digest}.json"

    def compute_and_keep() -> float:
        if path.is_file():
            return float(json.loads(path.read_text(encoding="utf-8"))["value"])
        value = float(compute())
        write_json(path, {"value": value, "assignment": assignment.name, "key": repr(key)})
        return value

    return memo(digest, compute_and_keep)


class CifarView:
    """The grading dataset, split and preprocessed as the assignment's notebook does it."""

    def __init__(self, data: GradingData | None, assignment: Assignment) -> None:
        self.data = data
        self.assignment = assignment

    def _require(self) -> GradingData:
        if self.data is None:
            raise AssertionError("no dataset was given to this grading run")
        return self.data

    @property
    def name(self) -> str:
        return self._require().name

    @functools.cached_property
    def sizes(self) -> dict[str, int]:
        return split_sizes(self.assignment, self.name)

    def raw(self) -> Split:
        s = self.sizes
        return load_split(self._require().path, s["train"], s["val"], s["test"])

    @functools.cached_property
    def split(self) -> Split:
        return prepare(self.raw(), self.assignment.data.preprocess)

    @property
    def thresholds(self) -> Thresholds:
        if self.name not in self.assignment.thresholds:
            raise AssertionError(f"the assignment declares no accuracy thresholds for dataset '{self.name}'")
        return self.assignment.thresholds[self.name]

    def assert_learns_like_reference(
        self, accuracy: float, reference: Callable[[], float], how: str, band: float = 0.05
    ) -> None:
        """The student's validation ``accuracy`` is at most ``band`` below what ``reference()``
        reaches with the default hyperparameters on this dataset (measured once per machine)."""
        hp = self.calibration.default_hyperparameters if self.calibration else {}
        expected = measured_once(self.assignment, (str(self._require().path), sorted(hp.items())), reference)
        assert accuracy >= expected - band, (
            f"validation accuracy {accuracy:.3f} {how}; the reference reaches {expected:.3f} on the same data "
            f"({self.name}), so at least {expected - band:.3f} is expected"
        )

    @property
    def calibration(self) -> Calibration | None:
        """This dataset's calibration; real CIFAR-10 without its own takes the first one recorded
        on real images (the course's hyperparameters), never the synthetic set's shorter runs."""
        calibrations = self.assignment.calibration
        real = (c for name, c in calibrations.items() if name != "synthetic")
        return calibrations.get(self.name) or next(real, None)
