"""What a hanging submission costs, against the reference's own grading time.

    python bench/hangs.py [--assignment two_layer_net] [--class-size 20]

A submission whose every function loops forever (the solved notebook beside it, so the notebook
calls them too) is graded with notebooks and the grading dataset, as an instructor grades it.
Prints two ratios against their targets:

- hang / reference: the hanging submission's grading time over the reference submission's
  (target: at most 3x);
- class with 10 % hanging / class with none: a class of ``--class-size`` (20) reference copies,
  and the same class with one in ten (spread through it) replaced by the hanging submission,
  each graded with ``-j 2`` (target: at most 1.3x).

The reference's measured times (check and notebook limits) are cached before timing: they are
measured once per machine, not per grading.
"""

from __future__ import annotations

import argparse
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.core.solutions import release_files

TARGETS = {"hang": 3.0, "class": 1.3}
STUB = re.compile(r'^(\s*)raise NotImplementedError\("TODO: write this part"\)$', re.M)


def hanging_submission(name: str, dest: Path) -> Path:
    """The reference's files (notebooks solved) with every solution region an endless loop."""
    a = assignments.load(name)
    student_files(a, dest)
    stubs = release_files(a, dest.parent / f"{dest.name}-stubs")
    for rel in a.submit:
        if rel.endswith(".py"):
            text = (stubs / rel).read_text(encoding="utf-8")
            (dest / rel).write_text(STUB.sub(r"\1while True:\n\1    pass", text), encoding="utf-8")
    shutil.rmtree(stubs)
    return dest


def grade_seconds(name: str, target: Path, out: Path, *extra: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "grade", name, str(target), "-o", str(out), "--force",
                    *extra], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignment", default="two_layer_net")
    parser.add_argument("--class-size", type=int, default=20)
    args = parser.parse_args()
    name = args.assignment
    with tempfile.TemporaryDirectory(prefix="bench-hangs-") as tmp:
        root = Path(tmp)
        reference = student_files(assignments.load(name), root / "one" / "reference")
        hang = hanging_submission(name, root / "one-hang" / "hanging")
        grade_seconds(name, reference, root / "warm")  # measures and caches the reference's limits
        ref = grade_seconds(name, reference, root / "out-ref")
        hung = grade_seconds(name, hang, root / "out-hang")
        print(f"{name}: reference submission {ref:.1f} s, every function hanging {hung:.1f} s")
        print(f"  hang / reference:        {hung / ref:.2f}   (target <= {TARGETS['hang']:g})")
        calm, mixed = root / "class", root / "class-hang"
        for i in range(args.class_size):
            shutil.copytree(reference, calm / f"student_{i:02d}")
            source = hang if i % 10 == 4 else reference  # one in ten, spread through the class
            shutil.copytree(source, mixed / f"student_{i:02d}")
        none = grade_seconds(name, calm, root / "out-class", "-j", "2")
        some = grade_seconds(name, mixed, root / "out-class-hang", "-j", "2")
        print(f"  class of {args.class_size}: none hanging {none:.1f} s, 10 % hanging {some:.1f} s")
        print(f"  10 % hanging / none:     {some / none:.2f}   (target <= {TARGETS['class']:g})")


if __name__ == "__main__":
    main()
