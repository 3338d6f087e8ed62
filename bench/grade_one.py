"""How long grading one two-layer-net submission takes, and where the time goes.

    python bench/grade_one.py [--repeat 5]

Prints the wall time of the whole CLI command (fresh interpreter, as a user runs it), the same
work in-process, and its split: preparing the submission, starting the jailed worker, running the
checks (with the slowest ones), against the 2 s target.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.grading.discover import prepare
from grader.grading.grade import GradeOptions, grade_submission, worker_options
from grader.jail.client import Worker

TARGET = 2.0


def cli_seconds(folder: Path, out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "grade", "two_layer_net", str(folder), "-o", str(out)],
                   check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    a = assignments.load("two_layer_net")
    with tempfile.TemporaryDirectory() as tmp:
        folder = student_files(a, Path(tmp) / "student")
        cli = [cli_seconds(folder, Path(tmp) / "out") for _ in range(args.repeat)]
        prep, start, total, results = [], [], [], None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            sub = prepare(folder, a, Path(tmp) / "work")
            t1 = time.perf_counter()
            with Worker(sub.path, worker_options(a, sub, GradeOptions())) as w:
                w.session(30).close()
                t2 = time.perf_counter()
            results = grade_submission(a, sub, GradeOptions())
            prep.append(t1 - t0)
            start.append(t2 - t1)
            total.append(time.perf_counter() - t2)
    med = statistics.median
    checks = sum(c.duration for c in results.checks)
    print(f"one two_layer_net submission, {len(results.checks)} checks, isolation {results.isolation}, "
          f"median of {args.repeat}")
    print(f"  CLI command, wall (fresh interpreter):   {med(cli):.2f} s   ratio to {TARGET:g} s target: "
          f"{med(cli) / TARGET:.2f}")
    print(f"  in-process grade_submission:             {med(total):.2f} s")
    print(f"    prepare (copy, hash, fill helpers):    {med(prep):.3f} s")
    print(f"    start jailed worker + first fork:      {med(start):.3f} s")
    print(f"    checks (sum of check durations):       {checks:.3f} s")
    print(f"    pytest start-up and collection:        {med(total) - checks - med(start):.3f} s")
    for c in sorted(results.checks, key=lambda c: -c.duration)[:3]:
        print(f"      slowest: {c.id.split('::')[-1]:<40} {c.duration:.3f} s")


if __name__ == "__main__":
    main()
