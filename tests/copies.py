"""Submissions for the similarity tests and bench: independently written solutions, and copies
disguised the ways students disguise them.

``tests/similarity/<assignment>/<student>/<file>.regions`` holds one student's solution regions
(``### n`` before the n-th region, bodies written at indent 0); :func:`write_solution` puts them
into the released template in place of its stubs. :func:`disguise` renames the variables a
solution introduces, swaps adjacent statements that do not depend on each other, rewrites the
comments and adds prints.
"""

from __future__ import annotations

import ast
import random
import re
import textwrap
from pathlib import Path

from grader.core import assignment as assignments
from grader.core.solutions import STUB, release_files

SOLUTIONS = Path(__file__).parent / "similarity"


def students(assignment: str) -> list[str]:
    return sorted(p.name for p in (SOLUTIONS / assignment).iterdir() if p.is_dir())


def regions(path: Path) -> list[str]:
    parts = re.split(r"^### \d+\n", path.read_text(encoding="utf-8"), flags=re.M)
    return [part.rstrip("\n") for part in parts[1:]]


def fill(template: str, bodies: list[str]) -> str:
    """``template`` with its n-th stub replaced by ``bodies[n]`` at the stub's indent."""
    stubs = iter(bodies)

    def body(match: re.Match) -> str:
        return textwrap.indent(next(stubs), match.group(1))

    text = re.sub(rf"^([ \t]*){re.escape(STUB)}$", body, template, flags=re.M)
    return text


def write_bodies(spec, dest: Path, bodies: dict[str, list[str]]) -> Path:
    """The released template of ``spec`` with each file's stubs (by file stem) filled by ``bodies``."""
    release_files(spec, dest)
    for stem, parts in bodies.items():
        target = next(dest.rglob(stem + ".py"))
        target.write_text(fill(target.read_text(encoding="utf-8"), parts), encoding="utf-8")
    return dest


def write_solution(assignment: str, student: str, dest: Path, change=None) -> Path:
    """The released template of ``assignment`` with ``student``'s solutions (each region's bodies
    passed through ``change(bodies)`` first when given)."""
    parts = {p.stem: regions(p) for p in sorted((SOLUTIONS / assignment / student).glob("*.regions"))}
    return write_bodies(assignments.load(assignment), dest,
                        {stem: change(bodies) if change else bodies for stem, bodies in parts.items()})


def template_names(spec) -> set[str]:
    """Every name the template's own code uses: a disguise must leave them alone."""
    from grader.grading.owncode import templates

    return {name for _, lines in templates(spec.root) for name in re.findall(r"[A-Za-z_]\w*", "\n".join(lines))}


def reference_bodies(assignment: str) -> dict[str, list[str]]:
    """The reference's own solution regions per file name, in the same form as ``.regions``."""
    from grader.core.solutions import BEGIN, END, FINISH, START

    spec = assignments.load(assignment)
    found = {}
    for path in sorted(spec.root.rglob("*.py")):
        if "checks" in path.relative_to(spec.root).parts:
            continue
        lines, bodies, i = path.read_text(encoding="utf-8").splitlines(), [], 0
        while i < len(lines):
            match = START.match(lines[i]) or BEGIN.match(lines[i])
            if match:
                closer = END if START.match(lines[i]) else FINISH
                end = next(j for j in range(i + 1, len(lines)) if closer.match(lines[j]))
                bodies.append(textwrap.dedent("\n".join(lines[i + 1:end])))
                i = end
            i += 1
        if bodies:
            found[path.stem] = bodies
    return found


def _names(tree: ast.AST, context: type) -> set[str]:
    return {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, context)}


def _swap_independent(statements: list[str]) -> list[str]:
    """Swap every other pair of adjacent top-level statements that neither reads nor writes what
    the other writes."""
    out, i = list(statements), 0
    while i + 1 < len(out):
        try:
            first, second = ast.parse(out[i]), ast.parse(out[i + 1])
        except SyntaxError:
            i += 1
            continue
        writes1, writes2 = _names(first, ast.Store), _names(second, ast.Store)
        reads1, reads2 = _names(first, ast.Load), _names(second, ast.Load)
        flat = not any(isinstance(n, (ast.Return, ast.If, ast.For, ast.While, ast.AugAssign, ast.Raise))
                       for n in first.body + second.body)
        attrs = "self." in out[i] + out[i + 1] or "[" in out[i].split("=")[0] + out[i + 1].split("=")[0]
        if flat and not attrs and not (writes1 & (reads2 | writes2)) and not (writes2 & reads1):
            out[i], out[i + 1] = out[i + 1], out[i]
            i += 3
        else:
            i += 1
    return out


def _statements(body: str) -> list[str]:
    """The top-level statements of ``body`` as source text (each with its continuation lines)."""
    tree = ast.parse(body)
    lines = body.splitlines()
    return ["\n".join(lines[node.lineno - 1:node.end_lineno]) for node in tree.body]


def disguise(bodies: list[str], protected: set[str], seed: int = 0) -> list[str]:
    """The bodies renamed (every variable a body introduces, except ``protected`` names the
    template around it reads), reordered, re-commented and with added prints."""
    rng = random.Random(seed)
    introduced = set()
    for body in bodies:
        introduced |= _names(ast.parse(body), ast.Store)
    renames = {name: f"{rng.choice(['tmp', 'val', 'my', 'res', 'q'])}_{name[::-1].lower()}{i}"
               for i, name in enumerate(sorted(introduced - protected))}
    out = []
    for n, body in enumerate(bodies):
        for old, new in renames.items():
            body = re.sub(rf"(?<![\w.'\"]){re.escape(old)}\b(?!['\"])", new, body)
        body = re.sub(r"#.*$", "", body, flags=re.M)
        statements = _swap_independent(_statements(body))
        lines = [f"# part {n}: worked this out myself"]
        for k, statement in enumerate(statements):
            lines.append(statement)
            if k == 0 and not statement.lstrip().startswith(("return", "raise")):
                lines.append(f"print('checkpoint {n}')")
        out.append("\n".join(lines))
    return out
