"""What the students' environment costs: its first build, and each submission graded in it.

    python bench/environment.py [--assignment two_layer_net] [--repeat 5]

Prints the first build of the assignment's [environment] with an empty uv cache (downloads
included) and with a warm one, then the time to grade the reference's module checks in the
built environment and on the grader's own interpreter (the same assignment without
[environment]), and their ratio (target: no measurable overhead once built).
"""

from __future__ import annotations

import argparse
import dataclasses
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from grader.core import assignment as assignments  # noqa: E402
from grader.core.assignment import (
    Environment,  # noqa: E402
    student_files,  # noqa: E402
)
from grader.grading.discover import prepare  # noqa: E402
from grader.grading.grade import GradeOptions, grade_submission  # noqa: E402
from grader.jail import environment  # noqa: E402

MODULES = "not test_notebook and not test_cifar"


def build_seconds(assignment, uv_cache: Path | None) -> float:
    with tempfile.TemporaryDirectory(prefix="grader-envbench-") as cache:
        os.environ["GRADER_CACHE_DIR"] = cache
        if uv_cache is not None:
            os.environ["UV_CACHE_DIR"] = str(uv_cache)
        start = time.perf_counter()
        environment.ensure(assignment)
        seconds = time.perf_counter() - start
        os.environ.pop("UV_CACHE_DIR", None)
    return seconds


def grading_seconds(assignment, folder: Path, repeat: int, work: Path) -> list[float]:
    options = GradeOptions(notebooks=False, select=MODULES, limits=())
    grade_submission(assignment, prepare(folder, assignment, work / "warm"), options)  # build, caches
    times = []
    for i in range(repeat):
        start = time.perf_counter()
        result = grade_submission(assignment, prepare(folder, assignment, work / str(i)), options)
        times.append(time.perf_counter() - start)
        assert result.score == result.max_score, [c.message for c in result.checks if not c.passed]
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="two_layer_net")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    declared = assignments.load(args.assignment)
    with tempfile.TemporaryDirectory(prefix="grader-uvcache-") as cold:
        first = build_seconds(declared, Path(cold))
    warm = build_seconds(declared, None)
    print(f"first build of {args.assignment}'s environment ({len(environment.requirements(declared))} requirements): "
          f"{first:.1f} s with an empty uv cache (downloads included), {warm:.1f} s with a warm one")
    own = dataclasses.replace(declared, environment=Environment())
    with tempfile.TemporaryDirectory(prefix="grader-envbench-") as tmp:
        os.environ["GRADER_CACHE_DIR"] = str(Path(tmp) / "cache")
        folder = student_files(declared, Path(tmp) / "ref")
        in_env = grading_seconds(declared, folder, args.repeat, Path(tmp) / "env")
        on_own = grading_seconds(own, folder, args.repeat, Path(tmp) / "own")
    a, b = statistics.median(in_env), statistics.median(on_own)
    print(f"grading the reference's module checks, median of {args.repeat}: {a:.2f} s in the built environment, "
          f"{b:.2f} s on the grader's own Python: ratio {a / b:.2f}")


if __name__ == "__main__":
    main()
