"""The check-authoring plugin, exercised with pytester on small check files."""

from __future__ import annotations

import pytest

from grader.checks.plugin import GraderPlugin, live_oracle
from grader.core import assignment as assignments
from grader.jail.client import Worker, WorkerOptions
from grader.oracle.reference import Reference

pytest_plugins = ["pytester"]


@pytest.fixture
def plugin(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "mod.py").write_text("def double(x):\n    return 2 * x\n")
    worker = Worker(tmp_path / "sub", WorkerOptions())
    yield GraderPlugin(worker, live_oracle(Reference(assignments.load("two_layer_net"))), 30.0)
    worker.close()


CHECKS = '''
import pytest
from grader.checks import points, hidden, title, assert_close

@points(3)
def test_double(student):
    """Doubling works."""
    assert_close("double(2)", student.module("mod").double(2), 4, atol=0)

@hidden
@title("Secret check")
def test_secret(student):
    assert_close("double(3)", student.module("mod").double(3), 7, atol=0)

@points(2)
def test_reference_only(reference):
    assert reference.module("cs231n.classifiers.neural_net").TwoLayerNet
'''


def test_markers_become_points_visibility_and_titles(pytester, plugin):
    pytester.makepyfile(test_checks=CHECKS)
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider", plugins=[plugin])
    result.assert_outcomes(passed=2, failed=1)
    by_name = {r.id.split("::")[-1]: r for r in plugin.results}
    assert by_name["test_double"].title == "Doubling works." and by_name["test_double"].points == 3
    secret = by_name["test_secret"]
    assert secret.hidden and secret.title == "Secret check" and secret.outcome == "failed"
    assert "double(3)" in secret.message and secret.student_text() == "Hidden check: failed."
    assert by_name["test_reference_only"].max_points == 2


def test_misspelt_marker_fails_collection(pytester, plugin):
    pytester.makepyfile(test_checks="import pytest\n@pytest.mark.pionts(3)\ndef test_x():\n    pass\n")
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider", plugins=[plugin])
    assert result.ret == pytest.ExitCode.INTERRUPTED
    result.stdout.fnmatch_lines(["*'pionts' not found in `markers` configuration option*"])


def test_marker_arguments_are_validated(pytester, plugin):
    pytester.makepyfile(test_checks="import pytest\n@pytest.mark.points(-1)\ndef test_x():\n    pass\n")
    result = pytester.runpytest("--strict-markers", "-p", "no:cacheprovider", plugins=[plugin])
    assert result.ret != 0
    assert "invalid points -1 from marker" in result.stdout.str() + result.stderr.str()
