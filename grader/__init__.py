"""grader: autograding harness for numpy neural-network course assignments."""

__version__ = "0.1.0"


def check(select: str = "", folder: str = "."):
    """Run the public checks of the assignment folder holding ``folder`` (default: the current
    one) and return a summary that a notebook shows as a table (``grader.check()`` in a cell)."""
    from pathlib import Path

    from .student import find_folder, self_check

    return self_check(find_folder(Path(folder)), select)
