"""How long ``grader similarity`` takes on a class of fc_nets, and how that grows with the class.

    python bench/similarity.py [--sizes 50 100 200 300] [--copies 10]

Builds a class of fc_nets submissions: each student takes every solution region from one of the
independently written solutions (the reference and those in tests/similarity, chosen at random
per region: pairs share about a third of their code by chance, as real classes share the common
parts), disguised (names, order, comments, prints); ``--copies`` of them copy another student
whole. Their code.json is written as grading writes it (timed apart), then the command runs in a
fresh interpreter, as a user runs it, on the first N of them. Prints seconds per size, the
growth ratio and the 30 s target for 300 submissions.
"""

from __future__ import annotations

import argparse
import random
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from copies import SOLUTIONS, disguise, reference_bodies, regions, students, template_names, write_bodies  # noqa: E402

from grader.batch.one import keep_own_code, run_info, unreadable  # noqa: E402
from grader.core import assignment as assignments  # noqa: E402
from grader.core.files import write_json  # noqa: E402
from grader.grading.discover import prepare  # noqa: E402
from grader.report import RESULT_FILE, RUN_FILE  # noqa: E402

TARGET = 30.0
NAME = "fc_nets"


def solutions() -> list[dict[str, list[str]]]:
    """Each independent solution's region bodies per file stem."""
    found = [reference_bodies(NAME)]
    for student in students(NAME):
        found.append({p.stem: regions(p) for p in (SOLUTIONS / NAME / student).glob("*.regions")})
    return found


def make_class(spec, root: Path, size: int, copies: int, seed: int = 0) -> list[Path]:
    rng = random.Random(seed)
    sources = solutions()
    protected = template_names(spec)
    folders, chosen_of = [], []
    for n in range(size):
        if n >= size - copies:  # copies another student whole, disguised anew
            chosen = rng.choice(chosen_of)
        else:
            chosen = {stem: [rng.choice(sources)[stem][i] for i in range(len(parts))]
                      for stem, parts in sources[0].items()}
            chosen_of.append(chosen)
        disguised = {stem: disguise(parts, protected, seed=rng.randrange(1 << 30)) for stem, parts in chosen.items()}
        folders.append(root / f"student{n:03d}")
        write_bodies(spec, folders[-1], disguised)
    return folders


def record(spec, folders: list[Path], out: Path, work: Path) -> None:
    """What grading leaves for the similarity step: code.json and result.json per submission."""
    for folder in folders:
        submission = prepare(folder, spec, work / folder.name)
        keep_own_code(spec, submission, out / folder.name)
        write_json(out / folder.name / RESULT_FILE, unreadable(folder, spec, "not graded in this bench").to_json())
    write_json(out / RUN_FILE, run_info(spec).to_json())


def timed(out: Path) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "similarity", str(out)], check=True,
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[50, 100, 200, 300])
    parser.add_argument("--copies", type=int, default=10)
    args = parser.parse_args()
    spec = assignments.load(NAME)
    with tempfile.TemporaryDirectory(prefix="bench-similarity-") as tmp:
        root = Path(tmp)
        folders = make_class(spec, root / "class", max(args.sizes), args.copies)
        start = time.perf_counter()
        record(spec, folders, root / "all", root / "work")
        per_submission = (time.perf_counter() - start) / len(folders)
        print(f"own code read at grading time: {1000 * per_submission:.1f} ms per submission")
        rows = []
        for size in sorted(args.sizes):
            out = root / f"out{size}"
            shutil.copytree(root / "all", out, ignore=lambda d, names: [
                n for n in names if n.startswith("student") and int(n[7:]) >= size])
            rows.append((size, timed(out)))
        print(f"{'submissions':>11}  {'pairs':>7}  {'seconds':>8}  {'vs first':>8}")
        for size, seconds in rows:
            print(f"{size:>11}  {size * (size - 1) // 2:>7}  {seconds:>8.2f}  {seconds / rows[0][1]:>7.2f}x")
        last_size, last = rows[-1]
        print(f"target: {last_size} submissions in < {TARGET:.0f} s: {last:.1f} s "
              f"({'met' if last < TARGET else 'NOT met'}; {last / TARGET:.2f} of the budget)")


if __name__ == "__main__":
    main()
