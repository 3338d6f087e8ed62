"""Grade the adversarial class (tests/adversarial/attacks.py) through the CLI and print the table:
attack, points gained (must be 0), batch completed, grader files changed, isolation level; then
whether grading the class twice gives identical results apart from timing.

    python bench/adversarial.py [--isolation bwrap] [--isolation unshare]
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from adversarial.attacks import build_class, snapshot  # noqa: E402

from grader.core.results import without_timing  # noqa: E402


def grade(klass: Path, out: Path, level: str) -> tuple[int, float]:
    start = time.perf_counter()
    proc = subprocess.run([sys.executable, "-m", "grader", "grade", "two_layer_net", str(klass), "-o", str(out),
                           "--isolation", level, "--no-notebooks", "-k", "not test_notebook"],
                          capture_output=True, text=True)
    return proc.returncode, time.perf_counter() - start


def results(out: Path) -> dict:
    return {p.parent.name: without_timing(json.loads(p.read_text())) for p in sorted(out.glob("*/result.json"))}


def run(level: str) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        klass, tmp = Path(tmp) / "class", Path(tmp)
        attacks, controls = build_class(klass)
        before = snapshot(REPO / "grader", REPO / "reference")
        code, seconds = grade(klass, tmp / "out1", level)
        changed = snapshot(REPO / "grader", REPO / "reference") != before
        first = results(tmp / "out1")
        grade(klass, tmp / "out2", level)
        same = first == results(tmp / "out2")
    print(f"\n## isolation: {level}  (exit code {code}, {seconds:.0f} s for {len(attacks) + len(controls)} submissions)\n")
    print("| attack | points gained | graded | grader files changed |")
    print("| --- | --- | --- | --- |")
    for attack in attacks:
        result = first.get(attack.id)
        gained = result["score"] if result else "-"
        print(f"| {attack.id}: {attack.title} | {gained} | {'yes' if result else 'NO'} | {'YES' if changed else 'no'} |")
    for name, score in controls.items():
        got = first[name]["score"] if name in first else None
        print(f"| control {name} (must keep {score:g}) | {got} | {'yes' if got is not None else 'NO'} | "
              f"{'YES' if changed else 'no'} |")
    total = sum(first[a.id]["score"] for a in attacks if a.id in first)
    print(f"\nattacks tried: {len(attacks)}; points gained: {total:g}; batch completed: "
          f"{all(a.id in first for a in attacks)}; grader files changed: {changed}; "
          f"second grading identical apart from timing: {same}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--isolation", action="append", choices=["bwrap", "unshare", "rlimits"])
    for level in parser.parse_args().isolation or ["bwrap", "unshare"]:
        run(level)


if __name__ == "__main__":
    main()
