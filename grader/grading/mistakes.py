"""Catalogued mistakes: small edits of the reference that students typically make.

``reference/<name>/mistakes.toml`` lists them; each has a title, a hint, the edits that make
it, and the checks it must fail (all others must pass). Tests build a submission per mistake
and grade it; the example class is built the same way.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

from grader.core.assignment import Assignment, student_files
from grader.core.errors import AssignmentError

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Edit:
    file: str
    old: str
    new: str


@dataclass(frozen=True)
class Mistake:
    id: str
    title: str
    hint: str
    fails: tuple[str, ...]
    edits: tuple[Edit, ...]
    # grader.grading.diagnose: try this mutant on failed checks (false for mistakes that hang or do not
    # import), and a regex naming it from a failed check's message
    diagnose: bool = True
    signature: str = ""


def load_mistakes(assignment: Assignment) -> list[Mistake]:
    path = assignment.root / "mistakes.toml"
    if not path.is_file():
        return []
    raw = tomllib.loads(path.read_text(encoding="utf-8"))
    mistakes = []
    for entry in raw.get("mistake", []):
        try:
            edits = tuple(Edit(**e) for e in entry["edit"])
            mistakes.append(
                Mistake(
                    entry["id"],
                    entry["title"],
                    entry["hint"],
                    tuple(entry.get("fails", ())),
                    edits,
                    bool(entry.get("diagnose", True)),
                    str(entry.get("signature", "")),
                )
            )
        except (KeyError, TypeError) as exc:
            raise AssignmentError(f"{path}: invalid mistake {entry.get('id', '?')}: {exc}") from None
    return mistakes


def apply_edits(folder: Path, edits: tuple[Edit, ...]) -> None:
    """Apply each edit in place; the text to replace must occur exactly once."""
    for edit in edits:
        path = folder / edit.file
        text = path.read_text(encoding="utf-8")
        if text.count(edit.old) != 1:
            raise AssignmentError(
                f"{edit.file}: the text to replace occurs {text.count(edit.old)} times, not once: {edit.old!r}"
            )
        path.write_text(text.replace(edit.old, edit.new), encoding="utf-8")


def make_mistaken_submission(assignment: Assignment, mistake: Mistake, dest: Path) -> Path:
    """A copy of the reference's student files with ``mistake`` made."""
    student_files(assignment, dest)
    apply_edits(dest, mistake.edits)
    return dest
