"""grader: autograding harness for numpy neural-network course assignments.

The package is laid out by pipeline stage (see each subpackage's docstring and the layers
contract in pyproject.toml): ``core`` (foundations) < ``data`` < ``jail`` (isolate and execute)
< ``oracle`` (the reference) < ``checks`` < ``notebooks`` < ``grading`` (one submission) <
``report`` < ``batch`` (a class) < ``authoring`` | ``students`` | ``similarity`` | ``review`` <
``gradescope`` < ``cli``.
"""

import os as _os

from grader.core.version import SINGLE_THREADED
from grader.core.version import __version__ as __version__  # re-exported: grader.__version__

for _name, _value in SINGLE_THREADED.items():
    _os.environ.setdefault(_name, _value)


def check(select: str = "", folder: str = "."):
    """Run the public checks of the assignment folder holding ``folder`` (default: the current
    one) and return a summary that a notebook shows as a table (``grader.check()`` in a cell)."""
    from pathlib import Path

    from grader.students.check import find_folder, self_check

    return self_check(find_folder(Path(folder)), select)
