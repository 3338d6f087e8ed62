"""Time limits derived from the reference: a hang should cost seconds, not half an hour.

A check's time limit is ``check_factor`` times what the reference takes on that same check
(run as the student, through the same jail, on the grading dataset), or twice it plus ten
seconds when that is less (training checks), at least ``check_floor_seconds`` and at most the
assignment's ``check_seconds`` or the check's own ``@timeout``; calls into student code within a
check share that budget. A check the reference cannot pass alone (one that needs the executed
notebook) keeps its declared limit. The times are measured once per assignment content, grader
version, isolation level and dataset, and cached on disk.

A notebook's deadline (and each cell's limit) is derived the same way (``notebook_factor``) from
what the reference notebook takes on the same dataset and parameters, at least
``notebook_floor_seconds`` and at most
the assignment's ``notebook_seconds`` / ``notebook_cell_seconds``. The reference is run once through
the same jail and the time is cached on disk, keyed by the reference's content, the dataset, the
parameters and the grader version.
"""

from __future__ import annotations

import hashlib
import json
import math
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from grader.core.assignment import Assignment, grading_digest, student_files, student_paths
from grader.core.files import write_json
from grader.core.paths import default_cache_dir
from grader.core.version import __version__


def reference_key(assignment: Assignment, dataset: Path | None, parameters: Mapping[str, Any]) -> str:
    digest = hashlib.sha256()
    for rel in student_paths(assignment.root):
        digest.update(rel.as_posix().encode() + b"\0" + (assignment.root / rel).read_bytes())
    digest.update(json.dumps([str(dataset), sorted(parameters.items(), key=str), __version__], default=str).encode())
    return digest.hexdigest()[:32]


def _times_file(assignment: Assignment, dataset: Path | None, parameters: Mapping[str, Any]) -> Path:
    return default_cache_dir() / "reference-times" / f"{reference_key(assignment, dataset, parameters)}.json"


def cached_reference_seconds(
    assignment: Assignment, dataset: Path | None, parameters: Mapping[str, Any]
) -> float | None:
    cache = _times_file(assignment, dataset, parameters)
    return json.loads(cache.read_text())["seconds"] if cache.is_file() else None


def record_reference_seconds(
    assignment: Assignment, dataset: Path | None, parameters: Mapping[str, Any], seconds: float
) -> None:
    write_json(
        _times_file(assignment, dataset, parameters),
        {"seconds": seconds, "assignment": assignment.name, "dataset": str(dataset)},
    )


def reference_seconds(
    assignment: Assignment, dataset: Path | None, parameters: Mapping[str, Any], measure: Callable[[Path], float | None]
) -> float | None:
    """Seconds the reference notebooks take (cached); ``measure(folder)`` runs them on a copy of
    the reference's student files and returns the time, or None when they did not complete."""
    cached = cached_reference_seconds(assignment, dataset, parameters)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="grader-ref-") as tmp:
        seconds = measure(student_files(assignment, Path(tmp) / "reference"))
    if seconds is not None:
        record_reference_seconds(assignment, dataset, parameters, seconds)
    return seconds


def is_the_reference(assignment: Assignment, folder: Path) -> bool:
    """Whether ``folder`` holds the reference's student files unchanged (then grading it is
    measuring the reference: one run serves both)."""
    for rel in student_paths(assignment.root):
        mine = folder / rel
        if not mine.is_file() or mine.is_symlink() or mine.read_bytes() != (assignment.root / rel).read_bytes():
            return False
    return True


LONG_FACTOR = 2.0  # past a few seconds, twice the reference's time ...
LONG_SLACK = 10.0  # ... plus this many seconds is room enough for slower correct code


def derived(declared: float, reference: float | None, factor: float, floor: float) -> float:
    """``factor`` x the reference's time (``LONG_FACTOR`` x it + ``LONG_SLACK`` when that is
    less: a long run's time is known well), rounded up to half a second, within [floor,
    declared]; the declared limit without a reference time."""
    if reference is None:
        return declared
    scaled = min(factor * reference, LONG_FACTOR * reference + LONG_SLACK)
    return min(declared, max(floor, math.ceil(scaled * 2) / 2))


def _checks_file(assignment: Assignment, isolation: str, dataset: Path | None) -> Path:
    key = hashlib.sha256(f"{grading_digest(assignment)}:{__version__}:{isolation}:{dataset}".encode()).hexdigest()[:32]
    return default_cache_dir() / "reference-times" / f"checks-{key}.json"


def cached_reference_check_seconds(
    assignment: Assignment, isolation: str, dataset: Path | None = None
) -> dict[str, float] | None:
    cache = _checks_file(assignment, isolation, dataset)
    return json.loads(cache.read_text())["checks"] if cache.is_file() else None


def record_reference_check_seconds(
    assignment: Assignment, isolation: str, dataset: Path | None, seconds: Mapping[str, float]
) -> None:
    write_json(
        _checks_file(assignment, isolation, dataset),
        {"checks": dict(seconds), "assignment": assignment.name, "isolation": isolation},
    )


def reference_check_seconds(
    assignment: Assignment, isolation: str, measure: Callable[[Path], Mapping[str, float]], dataset: Path | None = None
) -> dict[str, float]:
    """Seconds each check takes on the reference (cached); ``measure(folder)`` grades a copy of
    the reference's student files (on ``dataset``) and returns the durations of the checks that
    passed."""
    cached = cached_reference_check_seconds(assignment, isolation, dataset)
    if cached is not None:
        return cached
    with tempfile.TemporaryDirectory(prefix="grader-ref-") as tmp:
        seconds = dict(measure(student_files(assignment, Path(tmp) / "reference")))
    record_reference_check_seconds(assignment, isolation, dataset, seconds)
    return seconds
