"""Inside a Gradescope image: ``setup`` (from setup.sh, once) and ``run`` (from run_autograder,
per submission). Layout in :mod:`grader.gradescope`.

``run`` always leaves ``results/results.json``: the grade; or, when the upload cannot be read,
a score of 0 that says why; or, when the grader itself fails or the time budget is about to
run out, a score of 0 that says so. The image was proven at setup: the reference got full marks.
"""

from __future__ import annotations

import dataclasses
import json
import os
import shutil
import sys
import tempfile
import threading
import time
import traceback
from pathlib import Path

from grader.batch.one import grade_source, unreadable
from grader.core import assignment as assignments
from grader.core.assignment import Assignment, student_files
from grader.core.errors import BundleError, GraderError
from grader.core.files import write_json
from grader.core.results import SubmissionResult
from grader.core.version import __version__
from grader.data.fetch import fetch_cifar10
from grader.data.grading import GradingData, dataset_name, synthetic_dir
from grader.gradescope import CONFIG, BundleConfig, autograder_root
from grader.grading.grade import GradeOptions
from grader.jail import environment

WATCHDOG_MARGIN = 60.0  # seconds before Gradescope's timeout when an unfinished run reports
CHECKS_SHARE = 0.25  # of the budget kept for module checks and reports (at most CHECKS_CAP)
CHECKS_CAP = 600.0
UPLOAD_DEBRIS = ("__MACOSX", ".DS_Store")


@dataclasses.dataclass(frozen=True)
class Image:
    root: Path
    config: BundleConfig
    assignment: Assignment

    @property
    def results(self) -> Path:
        return self.root / "results" / "results.json"

    @property
    def home(self) -> Path:
        return self.root / "grader"


def load_image(root: Path | None = None) -> Image:
    root = root or autograder_root()
    config = BundleConfig.from_json(json.loads((root / "source" / CONFIG).read_text(encoding="utf-8")))
    spec = fit_budget(assignments.load(root / "source" / "assignment" / config.assignment), config.time_budget_seconds)
    return Image(root, config, spec)


def fit_budget(spec: Assignment, budget: float) -> Assignment:
    """The assignment with its notebooks' limits inside the time budget: the notebooks share
    what is left after the module checks' part and the watchdog's margin."""
    if not spec.notebooks:
        return spec
    checks = min(CHECKS_SHARE * budget, CHECKS_CAP)
    each = max(60.0, (budget - checks - WATCHDOG_MARGIN) / len(spec.notebooks))
    limits = dataclasses.replace(
        spec.limits,
        notebook_seconds=min(spec.limits.notebook_seconds, each),
        notebook_cell_seconds=min(spec.limits.notebook_cell_seconds, each),
    )
    return dataclasses.replace(spec, limits=limits)


def grading_data(image: Image, prepare: bool = False) -> GradingData:
    """The dataset the bundle grades on, made ready (downloaded, copied, generated) at setup."""
    kind = image.config.dataset
    if kind == "synthetic":
        return GradingData("synthetic", synthetic_dir())
    folder = image.home / "data" / "cifar-10-batches-py"
    if prepare and not folder.is_dir():
        if kind == "bundled":  # copied out of source/, which student code cannot read
            shutil.copytree(image.root / "source" / "data" / "cifar-10-batches-py", folder)
        else:
            fetch_cifar10(image.home / "data")
    return GradingData(dataset_name(folder), folder)


def options(image: Image, data: GradingData) -> GradeOptions:
    """How the image grades: on its dataset, in the students' environment (built offline from
    the bundle's wheels should setup not have built it)."""
    return GradeOptions(data=data, wheelhouse=image.root / "source" / "student-wheels")


# -- setup ----------------------------------------------------------------------------------
def setup(image: Image) -> SubmissionResult:
    """Build the students' environment (offline, from the bundle), ready the dataset, lock the
    grader's files away from student code, and grade the reference: it must get full marks."""
    say(f"setup: {image.assignment.title} with grader {__version__} on Python {sys.version.split()[0]}")
    if image.assignment.environment.declared:
        environment.ensure(image.assignment, image.root / "source" / "student-wheels", say=say)
    data = grading_data(image, prepare=True)
    say(f"setup: dataset {data.describe()}")
    lock_down(image)
    with tempfile.TemporaryDirectory(prefix="grader-setup-") as tmp:  # uploaded as a student would
        result = grade_upload(image, student_files(image.assignment, Path(tmp) / "submission"))
    failed = [f"{c.title}: {c.outcome} {c.message[:300]}" for c in result.checks if not c.passed]
    if result.max_score <= 0 or failed or result.problems:
        raise BundleError(
            "the image cannot grade: the reference did not get full marks here\n  "
            + "\n  ".join([*result.problems, *failed])
        )
    columns = list(result.metrics()) if image.config.leaderboard else []
    write_json(image.home / "columns.json", {"leaderboard": columns})
    write_json(
        image.home / "reference-results.json", result.to_gradescope(image.config.hidden_visibility, columns or None)
    )
    say(
        f"setup: the reference scored {result.score:g} / {result.max_score:g} at isolation {result.isolation}"
        + (f"; leaderboard: {', '.join(columns)}" if columns else "")
    )
    return result


def lock_down(image: Image) -> None:
    """Only root reads the bundle (checks, reference, wheels) and the grader's packages."""
    for folder in (image.root / "source", image.home / "venv"):
        os.chmod(folder, 0o700)


def say(text: str) -> None:
    print(text, flush=True)


# -- run ------------------------------------------------------------------------------------
def run(image: Image) -> SubmissionResult:
    """Grade the upload and write ``results.json``."""
    result = grade_upload(image, image.root / "submission")
    write_json(image.results, result.to_gradescope(image.config.hidden_visibility, leaderboard_columns(image)))
    say(result.summary())
    return result


def grade_upload(image: Image, folder: Path) -> SubmissionResult:
    """Grade what was uploaded into ``folder`` (no reports: only results.json is read)."""
    source = upload(folder, image.assignment)
    if not isinstance(source, Path):
        return unreadable(folder, image.assignment, source)
    return grade_source(image.assignment, source, options(image, grading_data(image)), None)


def upload(folder: Path, spec: Assignment) -> Path | str:
    """What to grade in Gradescope's submission folder: the one zip or notebook uploaded alone,
    else the folder (loose files are placed by name, see grader.grading.discover); a message when empty."""
    entries = (
        [p for p in sorted(folder.iterdir()) if p.name not in UPLOAD_DEBRIS and not p.name.startswith(".")]
        if folder.is_dir()
        else []
    )
    if not entries:
        return f"the upload is empty: upload {', '.join(spec.submit)}"
    if len(entries) == 1 and entries[0].is_file() and entries[0].suffix.lower() in (".zip", ".ipynb"):
        return entries[0]
    return folder


def leaderboard_columns(image: Image) -> list[str] | None:
    path = image.home / "columns.json"
    columns = json.loads(path.read_text(encoding="utf-8"))["leaderboard"] if path.is_file() else []
    return columns or None


def failure(message: str) -> dict:
    """A results.json for a submission the autograder could not grade (Gradescope shows it)."""
    return {"score": 0, "output": message, "output_format": "text", "stdout_visibility": "hidden", "tests": []}


def watchdog(image: Image) -> threading.Timer:
    """Before Gradescope's timeout ends the run with no result, report and stop."""

    def expire() -> None:
        write_json(
            image.results,
            failure(
                f"Grading did not finish within the autograder's {image.config.time_budget_seconds:.0f} s "
                "(your code, or the notebook, ran too long). Score 0: make it faster and submit again."
            ),
        )
        os._exit(0)  # student processes die with the grader (PDEATHSIG)

    timer = threading.Timer(max(1.0, image.config.time_budget_seconds - WATCHDOG_MARGIN), expire)
    timer.daemon = True
    timer.start()
    return timer


def main(argv: list[str]) -> int:
    if argv[:1] not in (["setup"], ["run"]):
        print("usage: python -m grader.gradescope setup|run", file=sys.stderr)
        return 2
    if argv[0] == "setup":
        try:
            setup(load_image())
        except GraderError as exc:
            print(f"setup failed: {exc.format_message()}", file=sys.stderr)
            return exc.exit_code
        return 0
    return run_reporting(autograder_root())


def run_reporting(root: Path) -> int:
    """``run``, with every failure turned into a results.json that says so."""
    started = time.monotonic()
    results = root / "results" / "results.json"
    try:
        image = load_image(root)
        watchdog(image)
        run(image)
    except BaseException as exc:
        traceback.print_exc()
        reason = exc.format_message() if isinstance(exc, GraderError) else f"{type(exc).__name__}: {exc}"
        write_json(
            results,
            failure(
                f"The autograder failed while grading this submission ({reason}). "
                "This says nothing about your work: please tell your course staff."
            ),
        )
    say(f"graded in {time.monotonic() - started:.1f} s")
    return 0
