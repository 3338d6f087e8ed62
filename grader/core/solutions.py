"""Make the student version of a solved file: solution regions become ``NotImplementedError`` stubs.

Regions are the cs231n markers (``*****START OF YOUR CODE...*****`` / ``*****END OF YOUR
CODE...*****``, kept in place) and ``# BEGIN SOLUTION`` / ``# END SOLUTION`` (removed).
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from grader.core.assignment import Assignment, student_paths

# The marker words; a file containing either holds solution code (discover never copies such a
# file into a submission, whatever the shape of the marker line).
SOLUTION_MARKERS = ("START OF YOUR CODE", "BEGIN SOLUTION")
START = re.compile(r"^(\s*)#\s*\*+\s*START OF YOUR CODE.*$")
END = re.compile(r"^\s*#\s*\*+\s*END OF YOUR CODE.*$")
BEGIN = re.compile(r"^(\s*)#\s*BEGIN SOLUTION\s*$")
FINISH = re.compile(r"^\s*#\s*END SOLUTION\s*$")
STUB = 'raise NotImplementedError("TODO: write this part")'
PLACEHOLDER = "*fill this in*"  # the cs231n notebooks' written-answer placeholder
# A written answer's start: "Your Answer:" / "Your Explanation:" (cs231n 2019-), or a line
# "## Answer:" (cs231n 2017-2018)
ANSWER = re.compile(r"(your\s+(?:answer|explanation)\s*:?|^[ \t#*]*answer\s*\**\s*:\**)", re.IGNORECASE | re.M)


def stub_source(text: str) -> str:
    """Replace every solution region of ``text`` by a stub that raises ``NotImplementedError``."""
    out: list[str] = []
    lines = text.splitlines()
    i = 0
    while i < len(lines):
        line = lines[i]
        for opener, closer, keep in ((START, END, True), (BEGIN, FINISH, False)):
            match = opener.match(line)
            if match:
                end = next((j for j in range(i + 1, len(lines)) if closer.match(lines[j])), None)
                if end is None:
                    raise ValueError(f"solution region opened at line {i + 1} is never closed")
                indent = match.group(1)
                out += ([line] if keep else []) + [indent + STUB] + ([lines[end]] if keep else [])
                i = end + 1
                break
        else:
            out.append(line)
            i += 1
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def has_solution(text: str) -> bool:
    return any(START.match(l) or BEGIN.match(l) for l in text.splitlines())


def blank_answers(markdown: str) -> str:
    """A markdown cell with each written answer (after "Your Answer:", "Your Explanation:" or a
    line "## Answer:") replaced by the course's placeholder; the notebook's LaTeX around the
    markers (``$\\color{blue}{\\textit Your Answer:}$``) is kept."""
    pieces = ANSWER.split(markdown)
    out = [pieces[0]]
    for marker, text in zip(pieces[1::2], pieces[2::2]):
        closing = text[: len(text) - len(text.lstrip(" \t$}*"))]
        opening = re.search(r"\$?\\color\{\w+\}\{\\textit\s*$", text)
        out += [marker, closing.rstrip(), " ", PLACEHOLDER, "\n\n" + opening.group() if opening else ""]
    return "".join(out)


def stub_notebook(path: Path, dest: Path) -> None:
    """Copy a notebook with solution regions stubbed, written answers blanked and every output cleared."""
    import nbformat  # only release needs it; keeps it out of every grader start-up

    nb = nbformat.read(str(path), as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            cell.source = stub_source(cell.source) if has_solution(cell.source) else cell.source
            cell.outputs, cell.execution_count = [], None
        elif cell.cell_type == "markdown" and ANSWER.search(cell.source):
            cell.source = blank_answers(cell.source)
    nbformat.write(nb, str(dest))


def release_files(assignment: Assignment, dest: Path) -> Path:
    """Write the student files of ``assignment`` (everything but checks, config) into ``dest``."""
    for rel in student_paths(assignment.root):
        path = assignment.root / rel
        target = dest / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        if path.suffix == ".py":
            target.write_text(stub_source(path.read_text(encoding="utf-8")), encoding="utf-8")
        elif path.suffix == ".ipynb":
            stub_notebook(path, target)
        else:
            shutil.copyfile(path, target)
    return dest
