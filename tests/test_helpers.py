"""Check helpers: failures name the quantity, tolerance, largest error and where; bad values are refused."""

from __future__ import annotations

import os

import numpy as np
import pytest

from grader.checks import (
    as_array,
    as_scalar,
    assert_close,
    assert_dict_close,
    assert_gradient,
    assert_gradient_sparse,
    assert_rel_error,
)
from grader.checks.hints import hint_for
from grader.core.errors import StudentError


def test_assert_close_message_names_everything():
    expected = np.zeros((2, 3))
    actual = expected.copy()
    actual[1, 2] = 0.5
    with pytest.raises(AssertionError) as info:
        assert_close("scores", actual, expected, atol=1e-7)
    text = str(info.value)
    assert "scores does not match" in text and "atol=1e-07" in text
    assert "largest absolute error 0.5 at [1, 2]" in text and "1 of 6 entries differ" in text
    assert_close("scores", expected + 1e-9, expected, atol=1e-7)


@pytest.mark.parametrize("value,message", [
    (None, "forget a return"),
    ({"a": 1}, "got a dict"),
    (np.array([None], dtype=object), "expected numbers"),
    (np.array([1.0, np.nan]), "contains NaN"),
    (np.array([np.inf]), "contains inf"),
    (np.zeros(3), r"expected shape \(2,\), got \(3,\)"),
])
def test_as_array_refuses(value, message):
    with pytest.raises(AssertionError, match=message):
        as_array("x", value, (2,) if message.startswith("expected shape") else None)


def test_as_scalar_and_rel_error():
    assert as_scalar("loss", np.array([[2.5]])) == 2.5
    with pytest.raises(AssertionError, match="single number"):
        as_scalar("loss", np.zeros(2))
    with pytest.raises(AssertionError, match="relative error must be below 1e-08"):
        assert_rel_error("dx", [1.0, 2.0], [1.0, 2.1], 1e-8)


def test_dict_close_accepts_aliases_and_bias_shapes():
    expected = {"W1": np.ones((2, 2)), "b1": np.zeros(2)}
    actual = {"d_W1": np.ones((2, 2)), "b1": np.zeros((1, 2))}
    assert_dict_close("grads", actual, expected, atol=0, aliases=lambda k: ["d_" + k])
    with pytest.raises(AssertionError, match="missing key 'W1'"):
        assert_dict_close("grads", {"b1": np.zeros(2)}, expected, atol=0)


def test_gradient_checks_full_and_sparse():
    x = np.random.RandomState(0).randn(6, 5)
    assert_gradient("g", lambda v: float(np.sum(v ** 3)), x, 3 * x ** 2, max_error=1e-6)
    with pytest.raises(AssertionError, match="disagrees with the numeric gradient"):
        assert_gradient("g", lambda v: float(np.sum(v ** 3)), x, 2 * x ** 2, max_error=1e-6)
    assert_gradient_sparse("g", lambda v: float(np.sum(v ** 2)), x, 2 * x, max_error=1e-6)


@pytest.mark.parametrize("ename,evalue,trace,expected", [
    ("SyntaxError", "Missing parentheses in call to 'print'. Did you mean print(...)?",
     ["cs231n/net.py:12: print x"], "Python 2 syntax at line 12 of cs231n/net.py"),
    ("NameError", "name 'xrange' is not defined", [], "xrange is Python 2; use range"),
    ("AttributeError", "module 'numpy' has no attribute 'int'.", [], "np.int was removed from numpy"),
    ("AttributeError", "'dict' object has no attribute 'iteritems'", [], "dict.iteritems is Python 2"),
    ("ModuleNotFoundError", "No module named 'torch'", [], "imports torch, which this course's environment"),
    ("ModuleNotFoundError", "No module named 'cs231n.layers'", [], "missing the module cs231n.layers"),
])
def test_hints_for_old_and_foreign_code(ename, evalue, trace, expected):
    assert expected in hint_for(StudentError(ename, evalue, trace, "x"), ("numpy",))


def test_a_reference_measure_is_computed_once_per_machine_and_per_reference(tmp_path, monkeypatch, two_layer):
    """A later grading process reads the reference's measured number from the grader's cache; a
    changed reference, another key or an empty cache measures again."""
    import shutil

    from grader.checks import context

    monkeypatch.setenv("GRADER_CACHE_DIR", str(tmp_path / "cache"))
    calls = []

    def measure(value):
        return lambda: calls.append(value) or value
    a = two_layer.assignment
    assert context.measured_once(a, ("data", 1), measure(0.5)) == 0.5
    monkeypatch.setattr(context, "_MEMO", {})  # a new process, the same machine
    assert context.measured_once(a, ("data", 1), measure(0.9)) == 0.5 and calls == [0.5]
    assert context.measured_once(a, ("data", 2), measure(0.7)) == 0.7 and calls == [0.5, 0.7]
    copy = shutil.copytree(a.root, tmp_path / "changed")
    (copy / "checks" / "extra.txt").write_text("a changed assignment")
    from grader.core import assignment as assignments
    monkeypatch.setattr(context, "_MEMO", {})
    assert context.measured_once(assignments.load(copy), ("data", 1), measure(0.6)) == 0.6
    shutil.rmtree(tmp_path / "cache")
    monkeypatch.setattr(context, "_MEMO", {})
    assert context.measured_once(a, ("data", 1), measure(0.8)) == 0.8 and calls == [0.5, 0.7, 0.6, 0.8]


def test_a_scratch_folder_left_by_a_dead_process_is_removed_and_a_live_ones_is_kept(tmp_path, monkeypatch):
    import subprocess
    import sys
    import tempfile

    from grader.core.files import _namespace, scratch_dir, scratch_owner

    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    dead = int(subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True,
                              text=True, check=True).stdout)
    prefix = f"grader-x-{_namespace()}-"
    left, live = tmp_path / f"{prefix}{dead}-ab_12cd", tmp_path / f"{prefix}{os.getppid()}-ef34gh"
    left.mkdir(), live.mkdir()
    made = scratch_dir("grader-x-")
    assert not left.exists() and live.is_dir() and scratch_owner(made.name) == os.getpid()
