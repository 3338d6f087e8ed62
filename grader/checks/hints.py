"""Turn common student exceptions into advice: Python 2 code, removed numpy aliases, missing packages."""

from __future__ import annotations

import re

from grader.core.errors import StudentError

_NUMPY_ALIASES = {
    "float": "float",
    "int": "int",
    "bool": "bool",
    "object": "object",
    "complex": "complex",
    "str": "str",
    "long": "int",
    "unicode": "str",
}
_PY2_NAMES = {
    "xrange": "range",
    "raw_input": "input",
    "unicode": "str",
    "long": "int",
    "basestring": "str",
    "reduce": "functools.reduce",
    "unichr": "chr",
}


def hint_for(error: StudentError, packages: tuple[str, ...] = ()) -> str:
    """A one-line explanation of ``error`` in the student's terms, or ``""``."""
    ename, evalue = error.ename, error.evalue
    if ename == "NotImplementedError":
        return "This part is not implemented yet."
    if ename in ("SyntaxError", "TabError", "IndentationError"):
        return _syntax_hint(error)
    if ename == "AttributeError":
        match = re.search(r"module 'numpy' has no attribute '(\w+)'", evalue)
        if match and match.group(1) in _NUMPY_ALIASES:
            alias = match.group(1)
            return f"np.{alias} was removed from numpy (1.24); use {_NUMPY_ALIASES[alias]} instead."
        match = re.search(r"'dict' object has no attribute '(iteritems|itervalues|iterkeys|has_key)'", evalue)
        if match:
            return f"dict.{match.group(1)} is Python 2; use .items(), .values(), .keys() or 'in'."
    if ename == "NameError":
        match = re.search(r"name '(\w+)' is not defined", evalue)
        if match and match.group(1) in _PY2_NAMES:
            return f"{match.group(1)} is Python 2; use {_PY2_NAMES[match.group(1)]} instead."
    if ename in ("ModuleNotFoundError", "ImportError"):
        match = re.search(r"No module named '([\w.]+)'", evalue)
        if match:
            top = match.group(1).split(".")[0]
            if top in ("cs231n", "models", "utils"):
                return f"Your submission is missing the module {match.group(1)}; check the file layout."
            offered = ", ".join(packages) or "numpy"
            return f"Your code imports {top}, which this course's environment does not provide (available: {offered})."
    if ename == "MemoryError":
        return "Your code ran out of memory (the limit is per check)."
    if ename == "RecursionError":
        return "Your code recursed without end."
    return ""


def _syntax_hint(error: StudentError) -> str:
    where = error.traceback[-1] if error.traceback else ""
    line = re.match(r"(.+?):(\d+)", where)
    at = f" at line {line.group(2)} of {line.group(1)}" if line else ""
    if "Missing parentheses in call to 'print'" in error.evalue or "print " in where:
        return f"Python 2 syntax{at}: print is a function in Python 3, write print(...)."
    if "Missing parentheses in call to 'exec'" in error.evalue:
        return f"Python 2 syntax{at}: exec is a function in Python 3."
    if re.search(r"except\s+\w+\s*,\s*\w+", where):
        return f"Python 2 syntax{at}: write 'except E as e'."
    if "codec can't decode" in error.evalue or "Non-UTF-8" in error.evalue:
        return f"The file is not UTF-8 encoded{at}: save it as UTF-8 (your editor's encoding setting)."
    return f"Your code has a syntax error{at}: {error.evalue}"
