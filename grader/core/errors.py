"""Typed errors shown to users, each with its own exit code.

Only the CLI entry point catches :class:`GraderError`: it prints ``format_message()``
and exits with ``exit_code``. Library code raises, it never prints or exits.

Exit codes
    0  success (grading completed, whatever the scores)
    1  internal error (a bug in grader)
    2  usage error (bad arguments or options)
    3  dataset not found
    4  download or checksum failure
    5  assignment folder or assignment.toml invalid
    6  a score below --fail-under
    7  the isolation that require_isolation asks for is not available here
    8  the students' environment of an assignment cannot be built
    9  a Gradescope autograder bundle cannot be built, or its image cannot grade
"""

from __future__ import annotations

import click


class GraderError(click.ClickException):
    """Base of every user-facing failure; knows its exit code and how to show itself."""

    exit_code = 1

    def format_message(self) -> str:
        return self.message

    def __str__(self) -> str:
        return self.message


class UsageError(GraderError):
    exit_code = 2


class DatasetNotFound(GraderError, FileNotFoundError):
    """The dataset is in none of the places we looked."""

    exit_code = 3

    def __init__(self, dataset: str, searched: list[tuple[str, str]], hint: str) -> None:
        self.dataset = dataset
        self.searched = list(searched)
        self.hint = hint
        lines = [f"{dataset} was not found. Looked in:"]
        lines += [f"  - {path}  ({source})" for source, path in self.searched]
        lines.append(hint)
        super().__init__("\n".join(lines))

    def __reduce__(self):
        return (type(self), (self.dataset, self.searched, self.hint))


class DatasetFormatError(GraderError, ValueError):
    """A dataset file exists but is not what the loader expects."""

    exit_code = 3


class DownloadError(GraderError, OSError):
    """Fetching a dataset failed (network, HTTP status, or checksum mismatch)."""

    exit_code = 4


class AssignmentError(GraderError, ValueError):
    """An assignment folder is missing, or its assignment.toml is invalid."""

    exit_code = 5


class ScoreBelowThreshold(GraderError):
    """``--fail-under``: grading completed but a score is below the threshold."""

    exit_code = 6


class IsolationUnavailable(GraderError):
    """``require_isolation`` asks for a jail this machine cannot build."""

    exit_code = 7


class EnvironmentBuildError(GraderError):
    """The students' environment cannot be built (a requirement that does not resolve, no
    wheel in the wheelhouse, an interpreter the assignment does not support)."""

    exit_code = 8


# --- failures of student code inside the jail: each costs one check, never the batch ---------


class BundleError(GraderError):
    """A Gradescope autograder bundle cannot be built, or the image it sets up cannot grade."""

    exit_code = 9


class WorkerError(GraderError):
    """Something went wrong while a check talked to the jailed worker."""

    outcome = "error"

    def __init__(self, message: str, what: str = "") -> None:
        self.what = what
        super().__init__(message)

    def __reduce__(self):
        return (type(self), (self.message, self.what))


class StudentError(WorkerError, RuntimeError):
    """Student code raised an exception; ``ename``, ``evalue`` and ``traceback`` are its text."""

    def __init__(self, ename: str, evalue: str, traceback: list[str], what: str = "") -> None:
        self.ename, self.evalue, self.traceback = ename, evalue, list(traceback)
        where = f" in {what}" if what else ""
        super().__init__(f"{ename}{where}: {evalue}", what)

    @classmethod
    def from_reply(cls, error: dict, what: str) -> StudentError:
        trace = error.get("traceback", [])
        return cls(
            str(error.get("ename", "Exception"))[:200],
            str(error.get("evalue", ""))[:2000],
            [str(line)[:500] for line in trace[:20]] if isinstance(trace, list) else [],
            what,
        )

    @property
    def outcome(self) -> str:  # type: ignore[override]
        return "not-implemented" if self.ename == "NotImplementedError" else "error"

    def __reduce__(self):
        return (type(self), (self.ename, self.evalue, self.traceback, self.what))


class WorkerTimeout(WorkerError, TimeoutError):
    """A call into student code took longer than its limit; the worker was killed."""

    outcome = "timeout"


class WorkerDied(WorkerError):
    """The worker process ended during a call (exit, signal, memory limit)."""


class ProtocolError(WorkerError):
    """The worker sent bytes that are not a valid reply."""
