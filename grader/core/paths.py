"""Where things live: the bundled assignments, templates and report templates, the grader's
cache, and the folder a released assignment keeps the grader's files in.

A wheel carries them under ``grader/_bundled/``; an editable install or a source
checkout reads them from the repository root next to the ``grader`` package.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

_PACKAGE = Path(__file__).resolve().parents[1]
META = ".grader"  # in a released assignment: its configuration, public checks and recorded answers


def bundled(name: str) -> Path:
    """Return the folder ``name`` (``reference``, ``student_template`` or ``reports``)."""
    inside = _PACKAGE / "_bundled" / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


def reference_root() -> Path:
    return bundled("reference")


def default_cache_dir() -> Path:
    return Path(os.environ.get("GRADER_CACHE_DIR") or platformdirs.user_cache_dir("grader"))
