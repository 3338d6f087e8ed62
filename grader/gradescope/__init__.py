"""Gradescope autograders: ``grader gradescope ASSIGNMENT`` writes the zip that Gradescope's
"Configure Autograder" page takes (:mod:`.bundle`); inside the image, its ``setup.sh`` and
``run_autograder`` call ``python -m grader.gradescope setup|run`` (:mod:`.image`).

Layout of an image (``/autograder``, or ``GRADER_AUTOGRADER_ROOT``)::

    source/        the zip: setup.sh, run_autograder, bundle.json, bundle.env, requirements.lock,
                   wheels/ (the grader and its dependencies), student-wheels/ (the students'
                   environment), assignment/<name>/ (checks, reference, configuration), data/
    grader/        made by setup.sh: venv/ (the grader), cache/ (students' environment, dataset,
                   reference times), python/ (an interpreter uv downloaded, if any), data/ (the
                   dataset), columns.json (leaderboard), reference-results.json (setup's proof)
    submission/    what the student uploaded (Gradescope's)
    results/       results.json (Gradescope's)

``source/`` and ``grader/venv`` are readable by root only: student code, jailed or run as an
unprivileged user, never sees the checks, the reference or the grader's packages.

May import: every stage below the command line.
"""

from __future__ import annotations

import os
from dataclasses import asdict, dataclass, fields
from pathlib import Path

ROOT_VARIABLE = "GRADER_AUTOGRADER_ROOT"
CONFIG = "bundle.json"


def autograder_root() -> Path:
    return Path(os.environ.get(ROOT_VARIABLE) or "/autograder")


@dataclass(frozen=True)
class BundleConfig:
    """What a bundle was built with (``source/bundle.json``)."""

    assignment: str  # the folder under source/assignment/
    python: str  # "3.11": the grader's and the students' interpreter version
    dataset: str  # "cifar10" (fetched at setup), "bundled" (source/data/) or "synthetic"
    hidden_visibility: str  # Gradescope visibility of hidden checks
    time_budget_seconds: float  # the autograder timeout set on Gradescope
    leaderboard: bool
    grader_version: str

    def to_json(self) -> dict:
        return {"type": "BundleConfig", **asdict(self)}

    @classmethod
    def from_json(cls, data: dict) -> BundleConfig:
        return cls(**{f.name: data[f.name] for f in fields(cls)})
