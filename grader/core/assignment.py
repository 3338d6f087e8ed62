"""Load an assignment folder (``assignment.toml`` + reference files) into a frozen :class:`Assignment`.

An assignment is named either by a built-in name (a folder under ``reference/``) or by a path.
Every key of ``assignment.toml`` is declared here once, with its type; unknown keys are errors,
so a misspelt ``time_limit`` never silently falls back to a default.
"""

from __future__ import annotations

import dataclasses
import json
import shutil
import sys
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from grader.core.errors import AssignmentError
from grader.core.files import tree_hash
from grader.core.paths import reference_root
from grader.core.written import Question, parse_questions

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover - exercised on Python 3.10 only
    import tomli as tomllib

# "any": the assignment fixes no L2 convention; any self-consistent one passes (grader.checks.l2)
CONVENTIONS = ("reg*sum(W**2)", "0.5*reg*sum(W**2)", "any")


@dataclass(frozen=True)
class Limits:
    """Time and memory limits for student code, in seconds and MiB."""

    call_seconds: float = 10.0
    check_seconds: float = 30.0
    notebook_cell_seconds: float = 600.0
    notebook_seconds: float = 1800.0
    memory_mb: int = 2048
    notebook_memory_mb: int = 6144
    # Notebook limits are notebook_factor x the reference notebook's time (see grader.grading.limits),
    # never below notebook_floor_seconds nor above the two limits above.
    notebook_factor: float = 5.0
    notebook_floor_seconds: float = 15.0
    # A check's limit is check_factor x the reference's time on it, at least check_floor_seconds,
    # at most check_seconds (grader.grading.limits); check_factor = 0 keeps check_seconds for every check.
    check_factor: float = 10.0
    check_floor_seconds: float = 1.0


@dataclass(frozen=True)
class Thresholds:
    """Accuracy a trained model must reach on one dataset; ``partial`` maps accuracy -> credit."""

    val_accuracy: float | None = None
    test_accuracy: float | None = None
    partial: Mapping[str, float] = field(default_factory=dict)


@dataclass(frozen=True)
class Calibration:
    """What the reference reached on a dataset, recorded by ``bench/calibrate.py``."""

    split: Mapping[str, int]
    default_hyperparameters: Mapping[str, Any]
    default_test_accuracy: float
    tuned_hyperparameters: Mapping[str, Any]
    tuned_test_accuracy: float
    seed: int = 0


PREPROCESSING = ("rows", "channels_first", "standardized_rows")


@dataclass(frozen=True)
class Data:
    """How the assignment's code receives CIFAR-10.

    ``preprocess``: the notebook's preprocessing after the split (mean image subtracted, then
    ``rows`` N x 3072, ``channels_first`` N x 3 x 32 x 32, or ``standardized_rows`` rows divided by
    the training std); ``notebook_path``: where notebooks load ``cifar-10-batches-py`` from,
    relative to the submission root (the grader puts its dataset there, read-only).
    """

    preprocess: str = "rows"
    notebook_path: str = ""
    full_split: Mapping[str, int] = field(default_factory=lambda: {"train": 49000, "val": 1000, "test": 1000})

    def __post_init__(self) -> None:
        if self.preprocess not in PREPROCESSING:
            raise ValueError(f"preprocess must be one of {PREPROCESSING}, not {self.preprocess!r}")


@dataclass(frozen=True)
class NotebookSpec:
    """What the grader sets in, and takes out of, an executed notebook.

    ``results``: name -> expression evaluated in the kernel after the last cell, returned as
    plain data (e.g. ``best_net_params = "best_net.params"``); ``split_names``: the notebook's
    variables for the split sizes (``train``, ``val``, ``test``), set to the grading split;
    ``parameters``: per dataset name, more variables to set (e.g. a training budget);
    ``outputs``: glob patterns (relative to the notebook's folder) of files the notebook writes
    that checks read, such as Kaggle CSVs; ``module``: the module the notebook's definitions
    become, for checks to import; ``execute``: whether the notebook runs at all.
    """

    results: Mapping[str, str] = field(default_factory=dict)
    outputs: tuple[str, ...] = ()
    split_names: Mapping[str, str] = field(default_factory=dict)
    parameters: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    # For assignments whose graded functions live in the notebook: its definitions become this
    # importable module (grader.notebooks.module); ``execute = false`` skips running the notebook.
    module: str = ""
    execute: bool = True


@dataclass(frozen=True)
class Environment:
    """The Python environment students' code runs in (``[environment]``, see grader.jail.environment):
    ``requirements``, pip requirement strings (``"numpy>=1.21,<2"``), and ``requirements_file``,
    a requirements file in the assignment folder (the course's own ``requirements.txt``), together;
    ``python``, the interpreter versions they install on (a PEP 440 specifier, ``">=3.9,<3.13"``).
    Neither: student code runs on the grader's own interpreter and packages."""

    requirements: tuple[str, ...] = ()
    requirements_file: str = ""
    python: str = ""

    def __post_init__(self) -> None:
        object.__setattr__(self, "requirements", tuple(self.requirements))

    @property
    def declared(self) -> bool:
        return bool(self.requirements or self.requirements_file)


HIDDEN_VISIBILITIES = ("hidden", "after_due_date", "after_published")  # Gradescope's, for hidden checks


@dataclass(frozen=True)
class Gradescope:
    """How the assignment runs as a Gradescope autograder (``grader gradescope``, see
    grader.gradescope): ``time_budget_seconds``, the autograder timeout set on Gradescope's
    settings page (40 minutes by default; notebook deadlines are fitted inside it);
    ``hidden_visibility``, when students see hidden checks' results (Gradescope's ``visibility``);
    ``leaderboard``, whether the grader's accuracy numbers go to Gradescope's leaderboard."""

    time_budget_seconds: float = 2400.0
    hidden_visibility: str = "after_published"
    leaderboard: bool = True

    def __post_init__(self) -> None:
        if self.hidden_visibility not in HIDDEN_VISIBILITIES:
            raise ValueError(f"hidden_visibility must be one of {HIDDEN_VISIBILITIES}, not {self.hidden_visibility!r}")
        if not 60 <= self.time_budget_seconds <= 86400:
            raise ValueError(f"time_budget_seconds must be between 60 and 86400, not {self.time_budget_seconds!r}")


@dataclass(frozen=True)
class Assignment:
    name: str
    title: str
    root: Path
    course: str
    regularization: str
    submit: tuple[str, ...]
    notebooks: tuple[str, ...]
    packages: tuple[str, ...]
    limits: Limits
    thresholds: Mapping[str, Thresholds]
    calibration: Mapping[str, Calibration]
    data: Data = Data()
    notebook: NotebookSpec = NotebookSpec()
    environment: Environment = Environment()
    gradescope: Gradescope = Gradescope()
    # ``[written.<id>]``: inline questions a person grades (grader.core.written, ``grader review``)
    written: tuple[Question, ...] = ()
    # ``[grader]``: run settings for this assignment (see grader.core.settings), e.g. jobs = 4
    defaults: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        data = dataclasses.asdict(self)
        data["root"] = str(self.root)
        return data


NOT_FOR_STUDENTS = ("checks", "assignment.toml", "mistakes.toml")


def grading_digest(assignment: Assignment) -> str:
    """The hash of everything in the assignment folder that can change a grade: its files, with
    ``assignment.toml`` counted without its ``[written]`` questions (a person grades those:
    declaring one must not make every submission regrade)."""
    raw = tomllib.loads((assignment.root / "assignment.toml").read_text(encoding="utf-8"))
    raw.pop("written", None)
    canonical = json.dumps(raw, sort_keys=True, default=str).encode()
    return tree_hash(assignment.root, {"assignment.toml": canonical})


def student_paths(root: Path) -> list[Path]:
    """Relative paths of the files of an assignment folder that students receive and hand in:
    everything but the top-level checks and configuration, and bytecode caches."""
    paths = (p.relative_to(root) for p in sorted(root.rglob("*")) if p.is_file())
    return [
        rel
        for rel in paths
        if rel.parts[0] not in NOT_FOR_STUDENTS and "__pycache__" not in rel.parts and rel.suffix != ".pyc"
    ]


def student_files(assignment: Assignment, dest: Path) -> Path:
    """Copy what a student hands in (the reference without checks and configuration)."""
    for rel in student_paths(assignment.root):
        (dest / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(assignment.root / rel, dest / rel)
    return dest


def builtin_names() -> list[str]:
    """Names of the assignments bundled with grader."""
    root = reference_root()
    return sorted(p.parent.name for p in root.glob("*/assignment.toml"))


def resolve(name_or_path: str | Path) -> Path:
    """Return the folder of a built-in assignment name or an assignment path."""
    path = Path(name_or_path)
    if (path / "assignment.toml").is_file():
        return path.resolve()
    builtin = reference_root() / str(name_or_path)
    if (builtin / "assignment.toml").is_file():
        return builtin.resolve()
    known = ", ".join(builtin_names()) or "none"
    raise AssignmentError(
        f"no assignment '{name_or_path}': not a folder with an assignment.toml, "
        f"nor a built-in name (built-ins: {known})"
    )


def load(name_or_path: str | Path) -> Assignment:
    """Load and validate an assignment."""
    root = resolve(name_or_path)
    toml_path = root / "assignment.toml"
    try:
        raw = tomllib.loads(toml_path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise AssignmentError(f"{toml_path}: invalid TOML: {exc}") from None
    return _from_toml(raw, root, str(toml_path))


def _from_toml(raw: dict[str, Any], root: Path, where: str) -> Assignment:
    _only(
        raw,
        {
            "assignment",
            "limits",
            "thresholds",
            "calibration",
            "data",
            "notebook",
            "grader",
            "environment",
            "gradescope",
            "written",
        },
        where,
    )
    head = raw.get("assignment")
    if not isinstance(head, dict):
        raise AssignmentError(f"{where}: missing [assignment] table")
    _only(
        head, {"name", "title", "course", "regularization", "submit", "notebooks", "packages"}, f"{where} [assignment]"
    )
    name, title = _get(head, "name", str, where), _get(head, "title", str, where)
    regularization = _get(head, "regularization", str, where)
    if regularization not in CONVENTIONS:
        raise AssignmentError(f"{where}: regularization must be one of {CONVENTIONS}, not {regularization!r}")
    return Assignment(
        name=name,
        title=title,
        root=root,
        course=head.get("course", ""),
        regularization=regularization,
        submit=tuple(_get(head, "submit", list, where)),
        notebooks=tuple(head.get("notebooks", [])),
        packages=tuple(head.get("packages", ["numpy"])),
        limits=_dataclass(Limits, raw.get("limits", {}), f"{where} [limits]"),
        thresholds={
            k: _dataclass(Thresholds, v, f"{where} [thresholds.{k}]") for k, v in raw.get("thresholds", {}).items()
        },
        calibration={
            k: _dataclass(Calibration, v, f"{where} [calibration.{k}]") for k, v in raw.get("calibration", {}).items()
        },
        data=_dataclass(Data, raw.get("data", {}), f"{where} [data]"),
        notebook=_dataclass(NotebookSpec, raw.get("notebook", {}), f"{where} [notebook]"),
        environment=_dataclass(Environment, raw.get("environment", {}), f"{where} [environment]"),
        gradescope=_dataclass(Gradescope, raw.get("gradescope", {}), f"{where} [gradescope]"),
        written=_questions(raw.get("written", {}), where),
        defaults=dict(raw.get("grader", {})),
    )


def _questions(table: Any, where: str) -> tuple[Question, ...]:
    if not isinstance(table, dict):
        raise AssignmentError(f"{where}: [written] must be a table of questions")
    try:
        return parse_questions(table, where)
    except ValueError as exc:
        raise AssignmentError(str(exc)) from None


def _only(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = sorted(set(table) - allowed)
    if unknown:
        raise AssignmentError(f"{where}: unknown key(s) {unknown}; allowed: {sorted(allowed)}")


def _get(table: Mapping[str, Any], key: str, kind: type, where: str) -> Any:
    if key not in table:
        raise AssignmentError(f"{where}: missing required key '{key}'")
    value = table[key]
    if not isinstance(value, kind):
        raise AssignmentError(f"{where}: '{key}' must be a {kind.__name__}, not {value!r}")
    return value


def _dataclass(cls: type, table: Any, where: str) -> Any:
    if not isinstance(table, dict):
        raise AssignmentError(f"{where}: must be a table")
    names = {f.name for f in dataclasses.fields(cls)}
    _only(table, names, where)
    try:
        return cls(**table)
    except (TypeError, ValueError) as exc:
        raise AssignmentError(f"{where}: {exc}") from None
