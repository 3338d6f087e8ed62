"""Record the offline answers under one numpy release and replay them under another.

    python bench/replay_numpy.py [--assignments fc_nets two_layer_net] [--keep DIR]

Builds two virtual environments with this checkout installed, one with numpy 1.26 and one with
the newest numpy 2.x, releases each assignment in one (``grader release``: the reference's answers
are recorded with that numpy and its BLAS) and runs ``grader check`` in the other on the reference
solution (must pass every public check) and on the first catalogued mistake (must fail the same
checks as the online grader). Prints a table; exits 1 when a verdict differs. Needs the package
index (about 2 minutes the first time).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
NUMPYS = {"numpy 1.26": "numpy>=1.26,<2", "numpy 2.x": "numpy>=2"}


def venv(folder: Path, numpy: str) -> Path:
    """A virtual environment with this checkout and ``numpy`` (built with uv, as the grader builds
    students' environments)."""
    from uv import find_uv_bin

    python = folder / "bin" / "python"
    if not python.exists():
        subprocess.run([find_uv_bin(), "venv", "--quiet", "--python", sys.executable, str(folder)], check=True)
        subprocess.run([find_uv_bin(), "pip", "install", "--quiet", "--python", str(python), "-e", str(REPO), numpy],
                       check=True)
    return python


def numpy_version(python: Path) -> str:
    return subprocess.run([str(python), "-c", "import numpy; print(numpy.__version__)"],
                          capture_output=True, text=True, check=True).stdout.strip()


def release(python: Path, name: str, dest: Path) -> None:
    subprocess.run([str(python), "-m", "grader", "release", name, "-o", str(dest)], check=True,
                   capture_output=True)


def solve(template: Path, name: str, dest: Path, mistake: str | None) -> Path:
    """The template with the reference's files (and a catalogued mistake) in place."""
    sys.path.insert(0, str(REPO))
    from grader.core import assignment as assignments
    from grader.core.assignment import student_files
    from grader.grading.mistakes import load_mistakes, make_mistaken_submission

    spec = assignments.load(name)
    shutil.copytree(template, dest)
    source = dest.parent / f"{dest.name}-files"
    if mistake:
        make_mistaken_submission(spec, next(m for m in load_mistakes(spec) if m.id == mistake), source)
    else:
        student_files(spec, source)
    for path in source.rglob("*.py"):
        target = dest / path.relative_to(source)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return dest


def check(python: Path, folder: Path) -> dict[str, str]:
    out = folder.parent / f"{folder.name}-report"
    subprocess.run([str(python), "-m", "grader", "check", "--fail-under", "0", "-o", str(out)], cwd=folder,
                   capture_output=True, text=True)
    result = json.loads(next(out.glob("*/result.json")).read_text())
    return {c["id"]: c["outcome"] for c in result["checks"]}


def online(name: str, folder: Path, work: Path) -> dict[str, str]:
    from grader.core import assignment as assignments
    from grader.grading.discover import prepare
    from grader.grading.grade import GradeOptions, grade_submission

    spec = assignments.load(name)
    result = grade_submission(spec, prepare(folder, spec, work), GradeOptions(
        public_only=True, notebooks=False, select="not test_notebook and not test_cifar"))
    return {c.id: c.outcome for c in result.checks}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--assignments", nargs="+", default=["two_layer_net", "fc_nets", "cs498dl_nn", "softmax"])
    parser.add_argument("--keep", type=Path, default=None, help="keep the environments here (reused next time)")
    args = parser.parse_args()
    root = args.keep or Path(tempfile.mkdtemp(prefix="grader-numpy-"))
    pythons = {label: venv(root / label.replace(" ", "-"), spec) for label, spec in NUMPYS.items()}
    versions = {label: numpy_version(python) for label, python in pythons.items()}
    print(f"environments: {versions}\n")
    print(f"{'assignment':<14} {'recorded with':<14} {'replayed with':<14} {'reference':<22} mistake")
    bad = 0
    sys.path.insert(0, str(REPO))
    from grader.core import assignment as assignments
    from grader.grading.mistakes import load_mistakes

    for name in args.assignments:
        mistake = load_mistakes(assignments.load(name))[0].id
        for recorder, replayer in ((a, b) for a in pythons for b in pythons if a != b):
            work = Path(tempfile.mkdtemp(prefix="grader-replay-", dir=root))
            release(pythons[recorder], name, work / "template")
            reference = check(pythons[replayer], solve(work / "template", name, work / "reference", None))
            mistaken_folder = solve(work / "template", name, work / "mistake", mistake)
            mistaken = check(pythons[replayer], mistaken_folder)
            expected = online(name, mistaken_folder, work / "online")
            passed = sum(o == "passed" for o in reference.values())
            ok_ref = passed == len(reference) > 0
            ok_mistake = mistaken == expected
            bad += not (ok_ref and ok_mistake)
            print(f"{name:<14} {versions[recorder]:<14} {versions[replayer]:<14} "
                  f"{passed}/{len(reference)} pass{'' if ok_ref else ' (FAIL)':<9} "
                  f"{mistake}: {'same as online' if ok_mistake else 'DIFFERS from online'}")
    if args.keep is None:
        shutil.rmtree(root, ignore_errors=True)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
