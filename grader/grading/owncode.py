"""The students' own code: what a submitted file holds beyond the template the course handed out.

A file's own code is every line that is not the template's (a line diff, trailing whitespace
ignored): the solution regions and whatever else the student wrote; the template's code,
docstrings and comments stay out. A notebook contributes its code cells the same way, compared
with the template's code cells. Collected when a submission is graded, from its pristine copy,
into ``OUT/<id>/code.json`` (:mod:`grader.similarity.pairs` reads it); never executed, only read as text.
"""

from __future__ import annotations

import difflib
import functools
from dataclasses import dataclass
from pathlib import Path

from grader.core.assignment import Assignment, student_paths
from grader.core.solutions import has_solution, stub_source
from grader.notebooks.run import NotebookInvalid, locate, read_notebook

CODE_FILE = "code.json"
MAX_FILE_BYTES = 1 << 20  # a larger "source file" is data or an attack, not code someone wrote
MAX_LINES = 20_000  # lines of one file compared with its template (the diff grows with both)


@dataclass(frozen=True)
class Line:
    """One line of a file: its place in the file (0-based, counting across notebook cells), the
    label a reader finds it by (``"12"`` or ``"cell 7, 3"``) and its text."""

    index: int
    label: str
    text: str


@dataclass(frozen=True)
class OwnFile:
    """The own lines of one file (``path`` relative to the submission, or a known file's path)."""

    path: str
    lines: tuple[Line, ...]

    @property
    def text(self) -> str:
        return "\n".join(line.text for line in self.lines)

    def to_json(self) -> dict:
        return {"path": self.path, "lines": [[l.index, l.label, l.text] for l in self.lines]}

    @classmethod
    def from_json(cls, data: dict) -> OwnFile:
        return cls(str(data["path"]), tuple(Line(int(i), str(label), str(text)) for i, label, text in data["lines"]))


def file_lines(path: Path) -> list[Line]:
    """The lines of a Python file, or of a notebook's code cells (magics and shell lines kept:
    they are text here). Unreadable or oversized files have none."""
    if not path.is_file() or path.stat().st_size > MAX_FILE_BYTES:
        return []
    if path.suffix == ".ipynb":
        try:
            nb, _ = read_notebook(path)
        except NotebookInvalid:
            return []
        return cell_lines([c.source for c in nb.cells if c.cell_type == "code"])[:MAX_LINES]
    text = path.read_bytes().decode("utf-8", errors="replace")
    return [Line(i, str(i + 1), t) for i, t in enumerate(text.splitlines()[:MAX_LINES])]


def cell_lines(cells: list[str]) -> list[Line]:
    lines: list[Line] = []
    for number, source in enumerate(cells, start=1):
        for row, text in enumerate(source.splitlines(), start=1):
            lines.append(Line(len(lines), f"cell {number}, {row}", text))
    return lines


def own_lines(template: list[str], lines: list[Line]) -> tuple[Line, ...]:
    """The non-blank ``lines`` that a line diff does not match to the ``template``."""
    matcher = difflib.SequenceMatcher(
        None, [t.rstrip() for t in template], [l.text.rstrip() for l in lines], autojunk=False
    )
    matched = {j + n for _, j, size in matcher.get_matching_blocks() for n in range(size)}
    return tuple(l for i, l in enumerate(lines) if i not in matched and l.text.strip())


@functools.lru_cache(maxsize=8)
def templates(root: Path) -> tuple[tuple[str, tuple[str, ...]], ...]:
    """(path, template lines) of each file of the assignment at ``root`` that students write in:
    Python files with solution regions (stubbed as released) and every notebook (code cells)."""
    found = []
    for rel in student_paths(root):
        path = root / rel
        if path.suffix == ".py":
            text = path.read_text(encoding="utf-8")
            if has_solution(text):
                found.append((rel.as_posix(), tuple(stub_source(text).splitlines())))
        elif path.suffix == ".ipynb":
            nb, _ = read_notebook(path)
            cells = [
                stub_source(c.source) if has_solution(c.source) else c.source for c in nb.cells if c.cell_type == "code"
            ]
            found.append((rel.as_posix(), tuple(l.text for l in cell_lines(cells))))
    return tuple(found)


def own_code(assignment: Assignment, folder: Path) -> tuple[OwnFile, ...]:
    """The own code of each file of the submission in ``folder`` that students write in."""
    files = []
    for rel, template in templates(assignment.root):
        path = locate(folder, rel)[0] if rel.endswith(".ipynb") else folder / rel
        own = own_lines(list(template), file_lines(path))
        if own:
            files.append(OwnFile(rel, own))
    return tuple(files)


def known_code(assignment: Assignment, folder: Path) -> tuple[OwnFile, ...]:
    """The own code of every Python file and notebook under ``folder`` (solutions the instructor
    collected, as submissions or loose files), each compared with the template file of the same
    name when there is one; paths are relative to ``folder``."""
    by_name = {Path(rel).name: template for rel, template in templates(assignment.root)}
    files = []
    for path in sorted(p for p in folder.rglob("*") if p.suffix in (".py", ".ipynb") and p.is_file()):
        if ".ipynb_checkpoints" in path.parts or "__pycache__" in path.parts:
            continue
        own = own_lines(list(by_name.get(path.name, ())), file_lines(path))
        if own:
            files.append(OwnFile(path.relative_to(folder).as_posix(), own))
    return tuple(files)
