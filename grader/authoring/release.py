"""``grader release``: the student version of an assignment, generated from its reference.

The output is what a student receives and works in::

    <dest>/                     the reference's student files, solution regions stubbed
    <dest>/.grader/             what `grader check` needs, and nothing more:
        assignment.toml         the assignment's configuration
        checks/                 the public checks (hidden ones, and checks that need the notebook run or
                                the dataset, are cut out together with helpers only they used)
        answers/                the reference's recorded answers to those checks (grader.oracle.replay)
        release.json            what was withheld, for the student's summary

Never copied: hidden checks, ``mistakes.toml`` (its edits are solution code), solution regions.
"""

from __future__ import annotations

import ast
import json
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.core import assignment as assignments
from grader.core.assignment import Assignment, student_files
from grader.core.errors import GraderError
from grader.core.paths import META
from grader.core.solutions import release_files
from grader.core.version import __version__
from grader.grading.grade import GradeOptions, checks_of_folder
from grader.grading.mistakes import load_mistakes, make_mistaken_submission
from grader.oracle.reference import Reference
from grader.oracle.replay import RecordingReference, Tape

GRADING_TIME_FIXTURES = ("notebook", "cifar")  # need the executed notebook or the dataset


class ReleaseError(GraderError):
    """The student version cannot be made (e.g. the reference fails a public check)."""

    exit_code = 5


@dataclass(frozen=True)
class Release:
    dest: Path
    public: tuple[str, ...]
    hidden: int
    grading_time: tuple[str, ...]
    answers: int


def _decorator_names(node: ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef) -> set[str]:
    names = set()
    for deco in node.decorator_list:
        target = deco.func if isinstance(deco, ast.Call) else deco
        names.add(target.attr if isinstance(target, ast.Attribute) else getattr(target, "id", ""))
    return names


def _withheld(node: ast.AST) -> str:
    """Why a top-level check is not shipped: "hidden", "grading-time" or "" (shipped)."""
    if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) or not node.name.startswith("test"):
        return ""
    if "hidden" in _decorator_names(node):
        return "hidden"
    params = {a.arg for a in node.args.args + node.args.kwonlyargs}
    return "grading-time" if params & set(GRADING_TIME_FIXTURES) else ""


def _defined_name(node: ast.AST) -> str:
    """The name a top-level helper defines, when it may be dropped once nothing uses it."""
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
        if node.name.startswith("test") or "fixture" in _decorator_names(node):
            return ""
        return node.name
    if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name):
        return node.targets[0].id if not node.targets[0].id.startswith("__") else ""
    return ""


def _used_names(trees: dict[str, ast.Module], dropped: set[int]) -> set[str]:
    used = set()
    for tree in trees.values():
        for top in tree.body:
            if id(top) in dropped:
                continue
            for node in ast.walk(top):
                if isinstance(node, ast.Name) and not isinstance(node.ctx, ast.Store):
                    used.add(node.id)
                elif isinstance(node, ast.Attribute):
                    used.add(node.attr)
                elif isinstance(node, ast.alias):
                    used.add(node.asname or node.name)
    return used


def public_checks(checks: Path) -> tuple[dict[str, str], list[tuple[str, str]]]:
    """The text of each shipped check file, and (check, why) for each check withheld."""
    sources = {p.name: p.read_text(encoding="utf-8") for p in sorted(checks.glob("*.py"))}
    trees = {name: ast.parse(text) for name, text in sources.items()}
    withheld, dropped = [], set()
    for name, tree in trees.items():
        for node in tree.body:
            why = _withheld(node)
            if why and isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                withheld.append((f"{name}::{node.name}", why))
                dropped.add(id(node))
    while True:  # drop helpers and constants that only withheld checks used
        used = _used_names(trees, dropped)
        unused = {
            id(n)
            for t in trees.values()
            for n in t.body
            if id(n) not in dropped and _defined_name(n) and _defined_name(n) not in used
        }
        if not unused:
            break
        dropped |= unused
    shipped = {}
    for name, tree in trees.items():
        kept = [n for n in tree.body if id(n) not in dropped]
        if name.startswith("test") and not any(
            isinstance(n, ast.FunctionDef) and n.name.startswith("test") for n in kept
        ):
            continue
        shipped[name] = _cut(sources[name], [n for n in tree.body if id(n) in dropped])
    return shipped, withheld


def _cut(text: str, nodes: list[ast.stmt]) -> str:
    """``text`` without the lines of ``nodes`` (decorators included), blank runs tidied."""
    lines = text.splitlines()
    gone: set[int] = set()
    for node in nodes:
        first = min([node.lineno] + [d.lineno for d in getattr(node, "decorator_list", [])])
        gone.update(range(first - 1, node.end_lineno or node.lineno))
    kept = [line for i, line in enumerate(lines) if i not in gone]
    out: list[str] = []
    for line in kept:
        if line.strip() or len(out) < 2 or out[-1].strip() or out[-2].strip():
            out.append(line)
    return "\n".join(out).rstrip() + "\n"


def release(assignment: Assignment, dest: Path, isolation: str | None = None) -> Release:
    """Write the student version of ``assignment`` into ``dest`` (replaced if it exists)."""
    if dest.exists():
        shutil.rmtree(dest)
    release_files(assignment, dest)
    meta = dest / META
    (meta / "checks").mkdir(parents=True)
    shutil.copyfile(assignment.root / "assignment.toml", meta / "assignment.toml")
    shipped, withheld = public_checks(assignment.root / "checks")
    for name, text in shipped.items():
        (meta / "checks" / name).write_text(text, encoding="utf-8")
    for path in sorted((assignment.root / "checks").iterdir()):
        if path.is_file() and path.suffix not in (".py", ".pyc"):
            shutil.copyfile(path, meta / "checks" / path.name)
    tape, public = record_answers(assignment, assignments.load(meta), isolation)
    tape.save(meta / "answers")
    info = Release(
        dest,
        tuple(public),
        sum(w == "hidden" for _, w in withheld),
        tuple(c for c, w in withheld if w == "grading-time"),
        len(tape.steps),
    )
    (meta / "release.json").write_text(
        json.dumps(
            {
                "assignment": assignment.name,
                "grader_version": __version__,
                "public_checks": list(info.public),
                "hidden_checks": info.hidden,
                "grading_time_checks": list(info.grading_time),
            },
            indent=2,
        )
        + "\n"
    )
    return info


def record_answers(assignment: Assignment, shipped: Assignment, isolation: str | None) -> tuple[Tape, list[str]]:
    """Run the shipped checks against the reference, then each catalogued mistake, recording the
    reference's answers; the reference must pass every one of them."""
    tape = Tape()
    reference = Reference(assignment)

    def oracle(check: str) -> RecordingReference:
        return RecordingReference(reference, tape, check)

    with tempfile.TemporaryDirectory(prefix="grader-release-") as tmp:
        base = student_files(assignment, Path(tmp) / "reference")
        options = GradeOptions(isolation=isolation, public_only=True, notebooks=False)
        results = checks_of_folder(shipped, base, Path(tmp) / "work", options, oracle)
        failing = [f"{r.id}: {r.message}" for r in results if not r.passed]
        if failing:
            raise ReleaseError("the reference fails its own public checks:\n" + "\n".join(failing))
        for mistake in load_mistakes(assignment):
            folder = make_mistaken_submission(assignment, mistake, Path(tmp) / mistake.id)
            checks_of_folder(shipped, folder, Path(tmp) / "work", options, oracle)
    return tape, [r.id for r in results]
