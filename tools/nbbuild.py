"""Build a notebook from a compact cell list: ``md(...)`` and ``code(...)`` entries.

Used to (re)write the reference notebooks from their sources in ``tools/notebooks/``:
    python tools/nbbuild.py tools/notebooks/*.py
Each source defines ``NOTEBOOK`` (the path from the repository root) and ``CELLS`` (a list
of ``("md" | "code", source, tags)`` tuples).
"""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

REPO = Path(__file__).resolve().parents[1]


def build(source: Path) -> Path:
    spec = runpy.run_path(str(source))
    cells = []
    for kind, source, tags in spec["CELLS"]:
        make = new_markdown_cell if kind == "md" else new_code_cell
        cell = make(source.strip("\n"))
        if tags:
            cell.metadata["tags"] = list(tags)
        cells.append(cell)
    nb = new_notebook(cells=cells, metadata={
        "kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"},
        "language_info": {"name": "python"},
    })
    out = REPO / spec["NOTEBOOK"]
    nbformat.validate(nb)
    nbformat.write(nb, str(out))
    return out


if __name__ == "__main__":
    for arg in sys.argv[1:]:
        print(build(Path(arg)))
