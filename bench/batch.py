"""Class-scale throughput: a 40-submission two-layer-net class graded with 1 and 2 jobs, seconds
per submission, the resumed re-run, and the harness overhead against running the same student
functions without the grader.

    python bench/batch.py [--notebooks]

The class (tools/make_class.py) mixes correct, mistaken, unfinished, broken, hanging and
unreadable submissions. Grading uses the module checks (``--no-notebooks -k 'not test_notebook'``)
unless ``--notebooks`` is given. The overhead compares, for the reference solution, the grader's
checks (jailed worker, pytest, reports) with the same check code calling the student's module
imported directly in this process: what the student's functions cost by themselves.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import io
import os
import runpy
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from grader.checks.plugin import GraderPlugin, ReferenceView, live_oracle
from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.oracle.reference import Reference

REPO = Path(__file__).resolve().parents[1]
MODULE_ARGS = ["--no-notebooks", "-k", "not test_notebook"]


def grade_seconds(klass: Path, out: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "grade", "two_layer_net", str(klass), "-o", str(out),
                    "--dataset", "synthetic", *args], check=False, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


class DirectPlugin(GraderPlugin):
    """The grader's check plugin with the student's module imported here, unjailed."""

    def __init__(self, submission_reference: Reference, reference: Reference) -> None:
        super().__init__(None, live_oracle(reference), 600.0)
        self._direct = ReferenceView(submission_reference)

    @pytest.fixture
    def student(self):
        return self._direct


def direct_seconds(folder: Path) -> float:
    """The module checks run with the student's code called directly (no jail, no worker)."""
    a = assignments.load("two_layer_net")
    as_submission = dataclasses.replace(a, name="bench_direct", root=folder)
    plugin = DirectPlugin(Reference(as_submission), Reference(a))
    checks = a.root / "checks"
    args = [str(checks), "-p", "no:cacheprovider", "--import-mode=importlib", "-q", "-c", os.devnull,
            "--rootdir", str(checks), "-k", "not test_notebook"]
    sys.path.insert(0, str(checks))
    start = time.perf_counter()
    with contextlib.redirect_stdout(io.StringIO()):
        pytest.main(args, plugins=[plugin])
    elapsed = time.perf_counter() - start
    failed = [r.id for r in plugin.results if not r.passed]
    if failed:
        print(f"  (direct run: {len(failed)} checks did not pass: {failed[:3]})")
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notebooks", action="store_true", help="grade the notebooks too (much slower)")
    args = parser.parse_args()
    extra = [] if args.notebooks else MODULE_ARGS
    build = runpy.run_path(str(REPO / "tools" / "make_class.py"))["build_class"]
    with tempfile.TemporaryDirectory(prefix="grader-bench-") as tmp:
        tmp = Path(tmp)
        klass = tmp / "class"
        klass.mkdir()
        n = len(build(klass))
        one = grade_seconds(klass, tmp / "out1", "-j", "1", *extra)
        two = grade_seconds(klass, tmp / "out2", "-j", "2", *extra)
        again = grade_seconds(klass, tmp / "out2", "-j", "2", *extra)
        single = tmp / "single"
        single.mkdir()
        reference = student_files(assignments.load("two_layer_net"), single / "reference")
        alone = grade_seconds(single, tmp / "out3", "-j", "1", *extra)
        direct = direct_seconds(reference)
    print(f"class of {n} submissions (two_layer_net, {'with' if args.notebooks else 'without'} notebooks), "
          f"{os.cpu_count()} cores")
    print(f"  1 job : {one:7.1f} s   {one / n:5.2f} s/submission")
    print(f"  2 jobs: {two:7.1f} s   {two / n:5.2f} s/submission   speed-up x{one / two:.2f}")
    print(f"  re-run, nothing changed: {again:5.1f} s (every result reused)   x{two / again:.0f} faster")
    print(f"one correct submission, whole CLI: {alone:.2f} s; the same checks calling the student's "
          f"code directly: {direct:.2f} s; harness overhead x{alone / direct:.1f} "
          f"(+{alone - direct:.2f} s: interpreter, jail, worker, reports)")


if __name__ == "__main__":
    main()
