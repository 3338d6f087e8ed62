"""Import an assignment's reference modules in the grader's (trusted) process.

Several assignments ship a top-level ``cs231n`` package, so each assignment's files are
imported under a private package prefix (``_grader_ref_<name>``): ``cs231n.layers`` of
``fc_nets`` becomes ``_grader_ref_fc_nets.cs231n.layers`` and cannot collide with the
two-layer net's ``cs231n``. Reference modules use relative imports between themselves.

Only reference code (ours) is imported here; student code never is.
"""

from __future__ import annotations

import importlib
import re
import sys
import types
from pathlib import Path

from grader.core.assignment import Assignment


class Reference:
    """The reference solution of one assignment, importable module by module."""

    def __init__(self, assignment: Assignment) -> None:
        self.assignment = assignment
        self.prefix = "_grader_ref_" + re.sub(r"\W", "_", assignment.name)
        self._ensure_package(assignment.root)

    def _ensure_package(self, root: Path) -> None:
        existing = sys.modules.get(self.prefix)
        if existing is not None and list(existing.__path__) == [str(root)]:
            return
        package = types.ModuleType(self.prefix)
        package.__path__ = [str(root)]
        package.__package__ = self.prefix
        sys.modules[self.prefix] = package

    def module(self, dotted: str) -> types.ModuleType:
        """Import ``dotted`` (as a student would write it, e.g. ``cs231n.layers``)."""
        return importlib.import_module(f"{self.prefix}.{dotted}")


def load_reference(assignment: Assignment) -> Reference:
    return Reference(assignment)
