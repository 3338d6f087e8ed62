"""The committed example class is exactly what tools/make_examples.py writes."""

from __future__ import annotations

import runpy
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*"))
            if p.is_file() and "__pycache__" not in p.parts}


def test_examples_do_not_drift(tmp_path):
    make = runpy.run_path(str(REPO / "tools" / "make_examples.py"))
    for name in make["CLASSES"]:
        fresh = make["write_class"](name, tmp_path / name)
        assert tree(fresh) == tree(REPO / "examples" / name), (
            f"examples/{name} differs from what tools/make_examples.py writes; rerun it")
