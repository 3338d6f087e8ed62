"""Course configuration from ``[tool.grader]`` in the nearest ``pyproject.toml``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


def project_config(start: Path | None = None) -> tuple[dict[str, Any], Path | None]:
    """Return (``[tool.grader]`` table, its pyproject path) searching from ``start`` upwards."""
    here = (start or Path.cwd()).resolve()
    for folder in (here, *here.parents):
        candidate = folder / "pyproject.toml"
        if candidate.is_file():
            try:
                data = tomllib.loads(candidate.read_text(encoding="utf-8"))
            except (tomllib.TOMLDecodeError, OSError, UnicodeDecodeError):
                return {}, None
            table = data.get("tool", {}).get("grader", {})
            return (table, candidate) if isinstance(table, dict) else ({}, candidate)
    return {}, None
