"""What a grading result depends on, as one key, so a batch grades only what changed.

A result is reused when ``OUT/<id>/result.json`` carries the same key: the hash of the
submission's bytes as handed in, the hash of the assignment (reference, checks, configuration),
the grader's version and the options that change scores (checks selected, dataset, notebook
variables, isolation). ``result.json`` is the last file a grading writes, so a run killed
half-way leaves either a complete, reusable result or none.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from grader.core.assignment import Assignment, grading_digest
from grader.core.files import tree_hash
from grader.core.results import SubmissionResult
from grader.core.version import __version__
from grader.grading.grade import GradeOptions
from grader.report import RESULT_FILE, STUDENT_REPORT


def options_digest(options: GradeOptions) -> dict:
    """The options that change what a grading produces, as plain data."""
    data = options.data
    return {
        "isolation": options.isolation or "auto",
        "public_only": options.public_only,
        "select": options.select,
        "notebooks": options.notebooks,
        "parameters": [[name, repr(value)] for name, value in options.parameters],
        "dataset": data.name if data else "",
    }


def run_fingerprint(assignment: Assignment, options: GradeOptions) -> str:
    """The part of every key shared by one batch: assignment, grader version, options."""
    doc = {"assignment": grading_digest(assignment), "grader": __version__, "options": options_digest(options)}
    return hashlib.sha256(json.dumps(doc, sort_keys=True).encode()).hexdigest()


def cache_key(source: Path, fingerprint: str) -> str:
    """The key of ``source`` graded under ``fingerprint`` ("" when it cannot be read: never reused)."""
    try:
        return hashlib.sha256(f"{tree_hash(source)}:{fingerprint}".encode()).hexdigest()
    except OSError:
        return ""


def cached_result(folder: Path, key: str) -> SubmissionResult | None:
    """The stored result in ``folder`` when it was graded under ``key`` and its report exists."""
    path = folder / RESULT_FILE
    if not key or not path.is_file() or not (folder / STUDENT_REPORT).is_file():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        result = SubmissionResult.from_json(data)
    except (ValueError, TypeError, KeyError, OSError):
        return None
    return result if result.cache_key == key else None
