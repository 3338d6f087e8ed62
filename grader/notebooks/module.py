"""The definitions of a notebook as an importable module, for assignments whose graded functions
live in the notebook itself (``[notebook] module = "name"``).

Only definitions are kept, in cell order: ``import`` statements (each wrapped so that a missing
package, such as another autograder's client library, does not stop the rest), ``def`` and
``class`` statements, and assignments of literal constants. Everything else a cell does at top
level (printing, training, asserting, patching other tools, registering IPython hooks) is left
out, so importing the module only defines what the checks call, in the jail, under its limits.
Magic and shell lines (``%matplotlib``, ``!pip``) are dropped; a cell that still does not parse
is skipped and reported.
"""

from __future__ import annotations

import ast
from pathlib import Path

from grader.notebooks.run import read_notebook

MAGIC_PREFIXES = ("%", "!", "?")


# what parsing or unparsing a hostile cell may raise in the grader's process (e.g. nesting that
# exhausts the parser's recursion): the cell is skipped, never the submission
UNPARSABLE = (SyntaxError, ValueError, RecursionError, MemoryError)


def _parse(source: str) -> ast.Module | None:
    lines = [line for line in source.splitlines() if not line.lstrip().startswith(MAGIC_PREFIXES)]
    try:
        return ast.parse("\n".join(lines))
    except UNPARSABLE:
        return None


def _is_literal(node: ast.AST) -> bool:
    try:
        ast.literal_eval(node)
    except (TypeError, *UNPARSABLE):
        return False
    return True


def _kept(node: ast.stmt) -> str:
    """The source to keep for one top-level statement ("" to leave it out)."""
    if isinstance(node, (ast.Import, ast.ImportFrom)):
        return f"try:\n    {ast.unparse(node)}\nexcept ImportError:\n    pass"
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        return ast.unparse(node)
    if isinstance(node, (ast.Assign, ast.AnnAssign)) and node.value is not None and _is_literal(node.value):
        return ast.unparse(node)
    return ""


def module_source(cells: list[str]) -> tuple[str, list[str]]:
    """(module text, problems) from the code cells' sources."""
    parts, problems = ["# Definitions taken from the submitted notebook by grader (grader/notebooks/module.py)."], []
    for number, source in enumerate(cells, start=1):
        tree = _parse(source)
        try:
            kept = [text for text in (_kept(node) for node in tree.body) if text] if tree else None
        except UNPARSABLE:
            kept = None
        if kept is None:
            problems.append(f"code cell {number} does not parse as Python; its definitions were not graded")
            continue
        parts += kept
    return "\n\n".join(parts) + "\n", problems


def write_notebook_module(notebook: Path, target: Path) -> list[str]:
    """Write the definitions of ``notebook`` to ``target``; return problems met on the way."""
    try:
        nb, problems = read_notebook(notebook)
    except Exception as exc:  # NotebookInvalid and friends: the checks will say the function is missing
        return [f"{notebook.name} could not be read: {exc}"]
    cells = [cell.source for cell in nb.cells if cell.cell_type == "code"]
    text, more = module_source(cells)
    target.write_text(text, encoding="utf-8")
    return list(problems) + more
