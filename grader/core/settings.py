"""Run settings and where each value comes from.

Precedence, highest first: the command line, the environment (``GRADER_<NAME>``), the course's
``pyproject.toml`` ``[tool.grader]`` (the nearest one above the current folder), the
assignment's ``assignment.toml`` ``[grader]`` table, the defaults below. A course file overrides
an assignment's because the course staff own the machine the grading runs on. ``grader config``
prints every value with its source.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from grader.core.config import project_config
from grader.core.errors import UsageError

ISOLATIONS = ("auto", "bwrap", "unshare", "rlimits")
DATASETS = ("auto", "cifar10", "synthetic")
REQUIREMENTS = ("none", "jail", "bwrap")  # require_isolation: anything, a file-system jail, bubblewrap
FILE_ONLY = ("cifar10_dir",)  # read by grader.data.locate (with CIFAR10_DIR), listed for `grader config`


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("1", "true", "yes", "on"):
        return True
    if text in ("0", "false", "no", "off"):
        return False
    raise ValueError(f"expected true or false, got {value!r}")


def _jobs(value: Any) -> int:
    jobs = int(value)
    if jobs < 0:
        raise ValueError("must be 0 (one per core) or more")
    return jobs


def _choice(options: tuple[str, ...]) -> Callable[[Any], str]:
    def convert(value: Any) -> str:
        if str(value) not in options:
            raise ValueError(f"must be one of {', '.join(options)}, not {value!r}")
        return str(value)

    return convert


def _optional_float(value: Any) -> float | None:
    return None if value is None or value == "" else float(value)


@dataclass(frozen=True)
class Setting:
    name: str
    default: Any
    convert: Callable[[Any], Any]
    help: str

    @property
    def env(self) -> str:
        return "GRADER_" + self.name.upper()


SETTINGS = (
    Setting("jobs", 0, _jobs, "submissions graded at once (0: one per core)"),
    Setting("scheduler", "", str, "Dask scheduler address (tcp://host:port) to grade on instead"),
    Setting("isolation", "auto", _choice(ISOLATIONS), "how to jail student code"),
    Setting(
        "require_isolation",
        "none",
        _choice(REQUIREMENTS),
        "refuse to grade unless student code gets a file-system jail (jail) or bubblewrap (bwrap)",
    ),
    Setting("dataset", "auto", _choice(DATASETS), "data for notebooks and accuracy checks"),
    Setting("out", "grader-out", str, "output folder of `grader grade`"),
    Setting("fail_under", None, _optional_float, "exit 6 when a submission scores below this percentage"),
    Setting("notebooks", True, _bool, "run the assignment's notebooks"),
    Setting("wheelhouse", "", str, "build the students' environment offline from the wheels in this folder"),
)
BY_NAME = {s.name: s for s in SETTINGS}


@dataclass(frozen=True)
class Value:
    name: str
    value: Any
    source: str


def file_tables(
    assignment_defaults: Mapping[str, Any] | None, assignment_where: str = "", cwd: Path | None = None
) -> list[tuple[str, Mapping[str, Any]]]:
    """The configuration files' tables, highest precedence first, each with its label."""
    tables: list[tuple[str, Mapping[str, Any]]] = []
    table, pyproject = project_config(cwd)
    if pyproject is not None:
        tables.append((f"{pyproject} [tool.grader]", table))
    if assignment_defaults:
        tables.append((f"{assignment_where} [grader]", assignment_defaults))
    for label, entries in tables:
        unknown = sorted(set(entries) - set(BY_NAME) - set(FILE_ONLY))
        if unknown:
            raise UsageError(f"{label}: unknown setting(s) {unknown}; known: {sorted([*BY_NAME, *FILE_ONLY])}")
    return tables


def resolve(
    cli: Mapping[str, Any],
    assignment_defaults: Mapping[str, Any] | None = None,
    assignment_where: str = "",
    env: Mapping[str, str] | None = None,
    cwd: Path | None = None,
) -> dict[str, Value]:
    """Every setting's effective value and source; ``cli`` holds the options given (None = not given)."""
    env = os.environ if env is None else env
    tables = file_tables(assignment_defaults, assignment_where, cwd)
    values = {}
    for setting in SETTINGS:
        candidates = [("command line", cli.get(setting.name)), (f"environment {setting.env}", env.get(setting.env))]
        candidates += [(label, table.get(setting.name)) for label, table in tables]
        source, raw = next(((s, v) for s, v in candidates if v is not None and v != ""), ("default", setting.default))
        try:
            value = setting.convert(raw) if raw is not None else None
        except (TypeError, ValueError) as exc:
            raise UsageError(f"{setting.name} from {source}: {exc}") from None
        values[setting.name] = Value(setting.name, value, source)
    return values


def effective_jobs(jobs: int) -> int:
    return jobs or os.cpu_count() or 1
