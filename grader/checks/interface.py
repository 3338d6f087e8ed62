"""Calling student code the way the course's notebook does, whatever the student named things.

The notebook fixes what it calls (``net.update(learning_rate, b1, b2, eps, opt, epoch + 1)``), not
the names of parameters or of internal attributes. :func:`call_as_notebook` passes arguments by
keyword when the student's parameter names are all recognised (so a student's own order works),
else positionally in the notebook's order.
"""

from __future__ import annotations

import inspect
from collections.abc import Mapping, Sequence
from typing import Any

from grader.jail.client import RemoteObject

SKIP = {"self", "args", "kwargs"}


def parameter_names(function: Any) -> list[str]:
    if isinstance(function, RemoteObject):
        return function.parameters()
    return list(inspect.signature(function).parameters)


def call_as_notebook(function: Any, values: Sequence[tuple[str, Any]], synonyms: Mapping[str, Sequence[str]]) -> Any:
    """Call ``function`` with ``values`` (canonical name, value) in the notebook's order.

    ``synonyms`` maps a canonical name to the other names students give that parameter."""
    try:
        names = [n for n in parameter_names(function) if n not in SKIP]
    except Exception:  # no signature to read (a builtin, a C function): call as the notebook does
        names = []
    known = {alias: canonical for canonical in dict(values) for alias in (canonical, *synonyms.get(canonical, ()))}
    if names and all(n in known for n in names):
        given = dict(values)
        return function(**{n: given[known[n]] for n in names})
    return function(*(value for _, value in values))
