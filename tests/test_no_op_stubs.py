"""No check pays for doing nothing: every function students write, replaced by a stub that returns
``None``, zeros of the right structure, its input unchanged, or (methods) leaves ``self.params``
untouched, earns 0 on every check of that function.

The stubs are built mechanically: each function holding a solution region of the reference is
wrapped in the reference's own module (the strongest no-op: right types and shapes, right
histories, wrong values). The wrapper does nothing only when a check calls the function itself;
other student code calling it gets the real one, so that "the checks of a function", those that
fail when only that function raises ``NotImplementedError`` when a check calls it, are the checks
that grade it, not every check of code built on it.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.core.solutions import SOLUTION_MARKERS
from grader.grading import grade as grade_module
from grader.grading.discover import prepare
from grader.grading.grade import GradeOptions, grade_submission

NAMES = ["two_layer_net", "fc_nets", "cs498dl_nn", "softmax"]
MODULE_CHECKS = "not test_notebook and not test_cifar"
# Checks of another function that call this one only to set up their inputs, and do not use the
# part the stub leaves out (a check of backward reads the forward cache, not forward's output).
SETUP_USES = {
    # dropout_backward is checked against the student's own forward output and mask: with a
    # forward that returns zeros (and a zero mask), a correct backward rightly returns zeros
    ("dropout_forward", "zeros", "test_dropout_backward"),
}

WRAPPER = '''

def _grader_test_no_op(original, kind):
    import copy
    import functools
    import sys
    import numpy as np

    def zeros(value):
        if isinstance(value, np.ndarray):
            return np.zeros_like(value)
        if isinstance(value, (tuple, list)):
            return type(value)(zeros(v) for v in value)
        if isinstance(value, dict):
            return {k: zeros(v) for k, v in value.items()}
        if isinstance(value, (float, int)) and not isinstance(value, bool):
            return type(value)(0)
        return value

    def first_array(args):
        return next((a for a in args if isinstance(a, np.ndarray)), None)

    @functools.wraps(original)
    def stub(*args, **kwargs):
        caller = sys._getframe(1).f_code.co_filename
        if not caller.endswith("_worker.py"):  # student code calling it: the real function
            return original(*args, **kwargs)
        if kind == "raise":
            raise NotImplementedError(original.__name__)
        if kind == "none":
            return None
        owner = args[0] if args and hasattr(args[0], "__dict__") else None
        if kind in ("zeros", "input"):  # run on copies: the object and the inputs stay as they were
            given = first_array(args[1:] if owner is not None else args)
            out = original(*copy.deepcopy(args), **copy.deepcopy(kwargs))
            if kind == "zeros":
                return zeros(out)
            return (given,) + zeros(tuple(out[1:])) if isinstance(out, tuple) and out else given
        saved = copy.deepcopy(vars(owner)) if owner is not None else None
        out = original(*args, **kwargs)
        if owner is not None:  # untouched: whatever the call did to the object is undone
            vars(owner).clear()
            vars(owner).update(saved)
        return out
    return stub
'''


def _own_nodes(fn: ast.FunctionDef):
    """The nodes of ``fn`` outside nested functions and classes."""
    todo = list(fn.body)
    while todo:
        node = todo.pop()
        yield node
        if not isinstance(node, (ast.FunctionDef, ast.ClassDef, ast.Lambda)):
            todo.extend(ast.iter_child_nodes(node))


def _self_attribute(target: ast.AST) -> bool:
    while isinstance(target, ast.Subscript):
        target = target.value
    return isinstance(target, ast.Attribute) and isinstance(target.value, ast.Name) and target.value.id == "self"


def no_ops(fn: ast.FunctionDef, method: bool) -> tuple[str, ...]:
    """The stubs that skip what ``fn`` is for. Every stub leaves the object as it found it; a
    method that updates its state (``self.params[...] -= ...``, ``self.W -= ...``: train,
    update) is skipped by leaving it untouched, whatever it returns; a function that returns a
    value by returning ``None``, zeros of the right structure, or its input."""
    nodes = list(_own_nodes(fn))
    updates = method and fn.name != "__init__" and any(
        (isinstance(n, ast.AugAssign) and _self_attribute(n.target))
        or (isinstance(n, ast.Assign) and any(_params_entry(t) for t in n.targets)) for n in nodes)
    if updates:
        return ("none", "untouched")
    if any(isinstance(n, ast.Return) and n.value is not None for n in nodes):
        return ("none", "zeros", "input")
    return ()


def _params_entry(target: ast.AST) -> bool:
    return (isinstance(target, ast.Subscript) and isinstance(target.value, ast.Attribute)
            and target.value.attr == "params" and _self_attribute(target.value))


def written_functions(path: Path) -> list[tuple[str, tuple[str, ...]]]:
    """Qualified names (``f`` or ``Class.f``) of the functions holding a solution region, each
    with the no-op stubs that apply to it."""
    source = path.read_text(encoding="utf-8")
    lines = source.splitlines()
    marked = {i + 1 for i, line in enumerate(lines) if any(m in line for m in SOLUTION_MARKERS)}
    found = []
    for node in ast.parse(source).body:
        members = [(f"{node.name}.", n) for n in node.body] if isinstance(node, ast.ClassDef) else [("", node)]
        for prefix, fn in members:
            if isinstance(fn, ast.FunctionDef) and any(fn.lineno <= n <= fn.end_lineno for n in marked):
                found.append((prefix + fn.name, no_ops(fn, bool(prefix))))
    return found


def targets(name: str) -> list[tuple[str, str, tuple[str, ...]]]:
    a = assignments.load(name)
    return [(rel, fn, kinds) for rel in a.submit if rel.endswith(".py")
            for fn, kinds in written_functions(a.root / rel)]


CASES = [(name, rel, fn, kinds) for name in NAMES for rel, fn, kinds in targets(name) if kinds]


def stubbed(name: str, rel: str, function: str, kind: str, dest: Path) -> Path:
    folder = student_files(assignments.load(name), dest)
    owner, _, attr = function.rpartition(".")
    target = f"{owner}.{attr}" if owner else attr
    line = (f"{owner}.{attr} = _grader_test_no_op({target}, {kind!r})" if owner
            else f"{attr} = _grader_test_no_op({attr}, {kind!r})")
    path = folder / rel
    path.write_text(path.read_text(encoding="utf-8") + WRAPPER + line + "\n", encoding="utf-8")
    return folder


@pytest.fixture(autouse=True)
def _no_diagnosis(monkeypatch):
    """Which checks fail is what counts here, not which catalogued mistake a failure looks like:
    the diagnosis (failing checks rerun against mutated references) is left out."""
    monkeypatch.setattr(grade_module, "diagnose", lambda assignment, results, rerun: results)


def grade(name: str, folder: Path, select: str, tmp_path: Path):
    a = assignments.load(name)
    return grade_submission(a, prepare(folder, a, tmp_path / "work"), GradeOptions(notebooks=False, select=select))


def test_every_assignment_has_functions_to_stub():
    counts = {name: sum(1 for n, *_ in CASES if n == name) for name in NAMES}
    assert counts["fc_nets"] >= 15 and counts["two_layer_net"] >= 3 and counts["cs498dl_nn"] >= 5, counts
    kinds = {(n, f): k for n, _, f, k in CASES}
    assert kinds[("two_layer_net", "TwoLayerNet.train")] == ("none", "untouched")
    assert kinds[("cs498dl_nn", "NeuralNetwork.update")] == ("none", "untouched")
    assert kinds[("fc_nets", "relu_forward")] == ("none", "zeros", "input")


@pytest.mark.parametrize("name,rel,function,kinds", CASES, ids=[f"{n}-{f}" for n, _, f, _ in CASES])
def test_a_no_op_stub_earns_nothing_on_the_checks_of_its_function(name, rel, function, kinds, tmp_path):
    baseline = grade(name, stubbed(name, rel, function, "raise", tmp_path / "raise"), MODULE_CHECKS, tmp_path)
    checks = sorted(c.id.split("::")[-1] for c in baseline.checks if not c.passed)
    if not checks:  # a helper no check calls (NeuralNetwork.relu): graded through its callers
        assert "." in function and name == "cs498dl_nn", f"no check grades {function}"
        return
    for kind in kinds:
        selected = [c for c in checks if (function, kind, c) not in SETUP_USES]
        result = grade(name, stubbed(name, rel, function, kind, tmp_path / kind), " or ".join(selected), tmp_path)
        earned = {c.id.split("::")[-1]: c.points for c in result.checks
                  if c.points > 0 and c.id.split("::")[-1] in selected}  # -k matches by substring
        assert not earned, f"{function} stubbed to {kind!r} earns points on {earned}"
