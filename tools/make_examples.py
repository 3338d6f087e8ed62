"""Write the bundled example class ``examples/<assignment>/`` from the reference and its mistakes.

    python tools/make_examples.py

Each example class holds the reference solution, the untouched student template and a few
typical mistakes from ``reference/<name>/mistakes.toml``. ``tests/test_examples.py`` fails when
the committed examples drift from what this script writes.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.core.solutions import release_files
from grader.grading.mistakes import load_mistakes, make_mistaken_submission

REPO = Path(__file__).resolve().parents[1]
CLASSES = {
    "two_layer_net": ["reg_half_convention", "no_reg_in_gradient", "relu_mask_inverted",
                      "softmax_without_shift", "python2_print", "forward_never_returns"],
}


def write_class(name: str, dest: Path) -> Path:
    a = assignments.load(name)
    if dest.exists():
        shutil.rmtree(dest)
    dest.mkdir(parents=True)
    student_files(a, dest / "reference_solution")
    release_files(a, dest / "untouched_template")
    chosen = {m.id: m for m in load_mistakes(a)}
    for mistake_id in CLASSES[name]:
        make_mistaken_submission(a, chosen[mistake_id], dest / mistake_id)
    return dest


if __name__ == "__main__":
    out = Path(sys.argv[1]) if len(sys.argv) > 1 else REPO / "examples"
    for assignment_name in CLASSES:
        print(write_class(assignment_name, out / assignment_name))
