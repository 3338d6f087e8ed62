"""Where the bundled assignments, templates and report templates live.

A wheel carries them under ``grader/_bundled/``; an editable install or a source
checkout reads them from the repository root next to the ``grader`` package.
"""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def bundled(name: str) -> Path:
    """Return the folder ``name`` (``reference``, ``student_template`` or ``reports``)."""
    inside = _PACKAGE / "_bundled" / name
    if inside.is_dir():
        return inside
    return _PACKAGE.parent / name


def reference_root() -> Path:
    return bundled("reference")
