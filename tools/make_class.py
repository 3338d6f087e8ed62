"""Write a 40-submission class for two_layer_net: correct (folders, zips, zips of a parent
folder), every catalogued mistake, unfinished templates, broken and hanging code, unreadable zips.

    python tools/make_class.py OUT_DIR

``build_class`` returns what each submission must fail; tests/test_batch.py and bench/batch.py
use it.
"""

from __future__ import annotations

import shutil
import sys
import zipfile
from pathlib import Path

from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.core.solutions import release_files
from grader.grading.mistakes import Edit, apply_edits, load_mistakes, make_mistaken_submission

MODULE = "cs231n/classifiers/neural_net.py"


def zip_folder(folder: Path, archive: Path, parent: str = "") -> Path:
    with zipfile.ZipFile(archive, "w") as zf:
        for path in sorted(folder.rglob("*")):
            if path.is_file():
                zf.write(path, str(Path(parent) / path.relative_to(folder)))
    shutil.rmtree(folder)
    return archive


def edited(a, dest: Path, old: str, new: str) -> Path:
    student_files(a, dest)
    apply_edits(dest, (Edit(MODULE, old, new),))
    return dest


def build_class(root: Path) -> dict[str, set[str] | str]:
    """Write 40 submissions into ``root``; return what each must fail (a set of check names,
    ``"*"`` for every check, ``"unreadable"`` for none graded)."""
    a = assignments.load("two_layer_net")
    expect: dict[str, set[str] | str] = {}
    for i in range(15):  # correct, as folders, zips and zips of a parent folder
        folder = student_files(a, root / f"correct_{i:02d}")
        if i % 3 == 1:
            zip_folder(folder, root / f"correct_{i:02d}.zip")
        elif i % 3 == 2:
            zip_folder(folder, root / f"correct_{i:02d}.zip", parent="assignment1")
        expect[f"correct_{i:02d}"] = set()
    for mistake in load_mistakes(a):  # 11 catalogued mistakes
        make_mistaken_submission(a, mistake, root / f"mistake_{mistake.id}")
        expect[f"mistake_{mistake.id}"] = "*" if mistake.fails == ("*",) else set(mistake.fails)
    for i in range(5):  # unfinished: the released template
        release_files(a, root / f"unfinished_{i}")
        expect[f"unfinished_{i}"] = "*"
    edited(a, root / "broken_syntax", "import numpy as np", "import numpy as np\ndef broken(:\n    pass")
    edited(a, root / "broken_import", "import numpy as np", "import numpy as np\nimport tensorflow_magic")
    edited(a, root / "broken_raises", "import numpy as np", "import numpy as np\nraise RuntimeError('oops')")
    edited(a, root / "broken_exit", "import numpy as np", "import numpy as np\nimport os\nos._exit(3)")
    expect.update({f"broken_{k}": "*" for k in ("syntax", "import", "raises", "exit")})
    edited(a, root / "hang_import", "import numpy as np", "import numpy as np\nwhile True:\n    pass")
    expect["hang_import"] = "*"
    predict_fails = {"test_toy_training", "test_predict", "test_learning_rate_decays_each_epoch",
                     "test_train_histories", "test_training_other_data"}
    edited(a, root / "hang_predict", "def predict(self, X):", "def predict(self, X):\n        while True:\n            pass")
    expect["hang_predict"] = predict_fails
    with zipfile.ZipFile(root / "empty.zip", "w"):
        pass
    (root / "corrupt.zip").write_bytes(b"PK\x03\x04 this is not really a zip")
    expect["empty"] = expect["corrupt"] = "unreadable"
    (root / "no_files").mkdir()
    (root / "no_files" / "notes.txt").write_text("I ran out of time, sorry\n")
    expect["no_files"] = "*"
    assert len(expect) == 40
    return expect


if __name__ == "__main__":
    target = Path(sys.argv[1])
    target.mkdir(parents=True, exist_ok=True)
    print(f"{len(build_class(target))} submissions in {target}")
