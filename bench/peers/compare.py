"""grader against Otter-Grader and nbgrader on the peers' assignment, in one table.

    python bench/peers/compare.py BENCH_DIR [--reps N]

BENCH_DIR is what ``../shared/peers/run_peers.sh`` left (bench/peers.sh runs both): the 20
generated notebooks in Otter's layout (``otter/subs/*.ipynb``) and nbgrader's
(``nbgrader/submitted/<name>/ps1/ps1.ipynb``), the extra cheats, ``expected.json`` (tool-free
scores) and ``results.json`` (the peers' timings and scores, measured in the same run). This script
grades the same notebooks, unchanged, with ``grader`` (1 and 2 jobs, ``--force`` so nothing is
reused), checks every score against the expected one, looks for hidden-check source in everything
a student sees, and prints the comparison with the ratios of our time to each peer's.
"""

from __future__ import annotations

import argparse
import ast
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ASSIGNMENT = HERE / "ps1"
STUDENT_FILES = ("report.html", "results.json", "junit.xml")


def grade(source: Path, out: Path, *args: str) -> float:
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "grader", "grade", str(ASSIGNMENT), str(source), "-o", str(out),
                    "--force", *args], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def scores(out: Path) -> dict[str, float]:
    return {p.parent.name: json.loads(p.read_text())["score"] for p in sorted(out.glob("*/result.json"))}


def hidden_lines() -> list[str]:
    """Lines of the hidden checks' bodies that no public check shares: their inputs and logic."""
    text = (ASSIGNMENT / "checks" / "test_ps1.py").read_text()
    lines = text.splitlines()
    hidden, public = [], set()
    for node in ast.parse(text).body:
        body = [line.strip() for line in lines[node.lineno - 1:node.end_lineno]]
        if any(ast.unparse(d) == "hidden" for d in getattr(node, "decorator_list", [])):
            hidden += [line for line in body[1:] if len(line) > 15 and not line.startswith(('"""', "@"))]
        else:
            public |= set(body)
    return [line for line in hidden if line not in public]


def leaks(out: Path) -> list[str]:
    secrets = hidden_lines()
    found = []
    for path in sorted(out.glob("*/*")):
        if path.name in STUDENT_FILES:
            text = path.read_text(errors="replace")
            found += [f"{path.relative_to(out)}: {s}" for s in secrets if s in text]
    return found


def timed(source: Path, tmp: Path, reps: int, *args: str) -> list[float]:
    return [grade(source, tmp / f"out{i}", *args) for i in range(reps)]


def peer_row(name: str, peer: dict) -> dict:
    walls = [b["wall"] for b in peer["batch"]]
    loop = peer.get("loop_alone", {})
    return {"tool": name, "batch": statistics.median(walls), "loop": loop.get("wall")}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("bench", type=Path)
    parser.add_argument("--reps", type=int, default=1)
    args = parser.parse_args()
    bench = args.bench
    expected = json.loads((bench / "expected.json").read_text())
    peers = json.loads((bench / "results.json").read_text())
    with tempfile.TemporaryDirectory(prefix="grader-peers-") as tmp:
        tmp = Path(tmp)
        one = timed(bench / "otter" / "subs", tmp / "j1", args.reps, "-j", "1")
        two = timed(bench / "otter" / "subs", tmp / "j2", args.reps, "-j", "2")
        loop_dir = tmp / "loop"
        loop_dir.mkdir()
        shutil.copy(bench / "otter" / "subs" / "infinite_loop.ipynb", loop_dir)
        loop = timed(loop_dir, tmp / "loop-out", 1, "-j", "1")[0]
        ours = {"otter layout": scores(tmp / "j2" / "out0")}
        grade(bench / "nbgrader" / "submitted", tmp / "nbg", "-j", "2")
        ours["nbgrader layout"] = scores(tmp / "nbg")
        extras = tmp / "extras"
        for folder in (bench / "otter" / "extra", bench / "nbgrader" / "extra"):
            if folder.is_dir():
                grade(folder, extras / folder.parent.name, "-j", "2")
        extra_scores = {f"{p.parent.parent.name}/{p.parent.name}": json.loads(p.read_text())["score"]
                        for p in sorted(extras.glob("*/*/result.json"))}
        leaked = leaks(tmp / "j2" / "out0") + leaks(tmp / "nbg")
    report(bench, expected, peers, ours, extra_scores, leaked, one, two, loop)


def _score(entry):
    """A peer's score for one submission (their results store a number or a dict with "score")."""
    return entry.get("score") if isinstance(entry, dict) else entry


def _num(value) -> str:
    return "no result" if value is None else f"{value:g}"


def peer_leaks(bench: Path) -> str:
    path = bench / "peers-extras.txt"
    lines = path.read_text(errors="replace").splitlines() if path.is_file() else []
    found = [f"  {line.strip()[:200]}" for line in lines if "leak" in line.lower() or "hidden-test source" in line]
    return "\n".join(found) or "  (no extras output: run bench/peers.sh)"


def report(bench, expected, peers, ours, extra_scores, leaked, one, two, loop) -> None:
    otter, nbgrader = peer_row("Otter", peers["otter"]), peer_row("nbgrader", peers["nbgrader"])
    j1, j2 = statistics.median(one), statistics.median(two)
    print("\n## grader vs Otter-Grader vs nbgrader (20 notebooks, same run)\n")
    print("| tool | batch (s) | per notebook (s) | infinite loop alone (s) |")
    print("|---|---|---|---|")
    for tool, batch, hang in (("Otter (otter run loop)", otter["batch"], otter["loop"]),
                              ("nbgrader (autograde)", nbgrader["batch"], nbgrader["loop"]),
                              ("grader, 1 job", j1, loop), ("grader, 2 jobs", j2, loop)):
        print(f"| {tool} | {batch:.1f} | {batch / 20:.2f} | {hang if hang is None else round(hang, 1)} |")
    print(f"\ngrader with 2 jobs is x{otter['batch'] / j2:.1f} faster than Otter (target x10) and "
          f"x{nbgrader['batch'] / j2:.1f} faster than nbgrader (target x3).")
    print("\n## Scores (out of 4) against the tool-free expected scores\n")
    print("| submission | expected | grader (Otter notebooks) | grader (nbgrader notebooks) | Otter | nbgrader |")
    print("|---|---|---|---|---|---|")
    otter_scores = {k: _score(v) for k, v in (peers["otter"].get("scores") or {}).items()}
    nbgrader_scores = {k: _score(v) for k, v in (peers["nbgrader"].get("scores") or {}).items()}
    wrong = 0
    for name in sorted(expected):
        mine = [ours[layout].get(name) for layout in ("otter layout", "nbgrader layout")]
        wrong += sum(m != expected[name] for m in mine)
        print(f"| {name} | {expected[name]} | {_num(mine[0])} | {_num(mine[1])} | {_num(otter_scores.get(name))} "
              f"| {_num(nbgrader_scores.get(name))} |")
    print(f"\ngrader scores differing from the expected ones: {wrong} (cheats are expected to score 0)")
    print("extra cheats graded by grader: " + ", ".join(f"{k} {v:g}" for k, v in extra_scores.items()))
    print(f"hidden-check source found in grader's student-visible files: {len(leaked)}" +
          "".join(f"\n  {line}" for line in leaked[:10]))
    print("the peers' own leak checks (extras.py, same run):\n" + peer_leaks(bench))


if __name__ == "__main__":
    main()
