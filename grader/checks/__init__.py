"""What check modules import: markers as decorators and the assertion helpers.

    from grader.checks import points, hidden, title, assert_close

    @points(2)
    def test_toy_scores(student, reference):
        \"\"\"Scores of the toy network match the reference.\"\"\"
        ...

The check context (:mod:`.context`), the pytest plugin that runs checks (:mod:`.plugin`), the
``record`` fixture (:mod:`.record`) and the hints for common student exceptions (:mod:`.hints`)
live here too.

May import: :mod:`grader.oracle`, :mod:`grader.jail` (the client side), :mod:`grader.data`,
:mod:`grader.core`; never the stages that use it (grading, notebooks, batch, report, ...).
"""

from __future__ import annotations

import pytest

from grader.checks import l2
from grader.checks.helpers import (
    Mismatch,
    PartialCredit,
    as_array,
    as_dict,
    as_scalar,
    assert_close,
    assert_dict_close,
    assert_gradient,
    assert_gradient_sparse,
    assert_rel_error,
    assert_scalar_close,
    broadcast_equivalent,
    describe,
    grade_accuracy,
    metric,
    note,
    numeric_gradient_errors,
    plain,
)
from grader.checks.interface import call_as_notebook


def points(n: float):
    """The check is worth ``n`` points."""
    return pytest.mark.points(n)


hidden = pytest.mark.hidden
"""The check is hidden: its inputs, expected values and messages never reach students, who see
only its name and score; ``grader release`` does not ship it."""


def title(text: str):
    """The check's readable name in reports (default: the first line of its docstring)."""
    return pytest.mark.title(text)


def timeout(seconds: float):
    """The whole check may take at most ``seconds`` of wall time (a limit derived from the
    reference's time may be shorter)."""
    return pytest.mark.timeout(seconds)


def call_timeout(seconds: float):
    """Each call into student code in this check may take ``seconds`` (for training runs)."""
    return pytest.mark.call_timeout(seconds)


__all__ = [
    "Mismatch",
    "PartialCredit",
    "as_array",
    "as_dict",
    "as_scalar",
    "assert_close",
    "assert_dict_close",
    "assert_gradient",
    "assert_gradient_sparse",
    "assert_rel_error",
    "assert_scalar_close",
    "broadcast_equivalent",
    "call_as_notebook",
    "call_timeout",
    "describe",
    "grade_accuracy",
    "hidden",
    "l2",
    "metric",
    "note",
    "numeric_gradient_errors",
    "plain",
    "points",
    "timeout",
    "title",
]
