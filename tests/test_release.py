"""`grader release` and `grader check`: the committed student_template/ is exactly what release
writes; no hidden check and no solution ever reaches it; a student's offline check agrees with
the grader's public checks, passes a solved folder and explains a stub."""

from __future__ import annotations

import ast
import filecmp
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from grader.authoring.release import public_checks, release
from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.core.solutions import BEGIN, END, FINISH, START, stub_source
from grader.grading.discover import prepare
from grader.grading.grade import GradeOptions, grade_submission
from grader.grading.mistakes import Edit, apply_edits, load_mistakes, make_mistaken_submission
from grader.oracle.replay import Tape, same_answers
from grader.students.check import self_check

NAMES = ["two_layer_net", "fc_nets", "cs498dl_nn", "softmax"]
REPO = Path(__file__).resolve().parents[1]
TEMPLATES = REPO / "student_template"


def tree(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*")
                  if p.is_file() and "__pycache__" not in p.parts)


@pytest.mark.parametrize("name", NAMES)
def test_student_template_is_exactly_what_release_writes(name, tmp_path):
    fresh = release(assignments.load(name), tmp_path / name).dest
    committed = TEMPLATES / name
    assert tree(fresh) == tree(committed), "run: grader release " + name
    answers = ".grader/answers/"
    different = [rel for rel in tree(fresh) if not rel.startswith(answers)
                 and not filecmp.cmp(fresh / rel, committed / rel, shallow=False)]
    assert not different, f"student_template/{name} drifted in {different}; run: grader release {name}"
    # recorded answers are floats computed on this machine: equal up to float noise, not bits
    drift = same_answers(Tape.load(fresh / answers), Tape.load(committed / answers))
    assert not drift, f"student_template/{name} answers drifted at {drift[:3]}; run: grader release {name}"


def solution_lines(text: str) -> list[str]:
    """The substantial lines inside the solution regions of a reference file that occur nowhere
    outside them (``if self.use_dropout:`` may be course code too)."""
    outside = set(line.strip() for line in stub_source(text).splitlines())
    lines, inside, found = text.splitlines(), False, []
    for line in lines:
        if START.match(line) or BEGIN.match(line):
            inside = True
        elif END.match(line) or FINISH.match(line):
            inside = False
        elif inside and len(line.strip()) > 12 and not line.strip().startswith("#"):
            found.append(line.strip())
    return [line for line in found if line not in outside]


def check_lines(checks: Path) -> tuple[list[str], set[str]]:
    """The body lines of every hidden check (their inputs and expectations), and the lines of the
    public checks (hidden checks call the same helpers as public ones)."""
    found, public = [], set()
    for path in checks.glob("*.py"):
        text = path.read_text()
        lines = text.splitlines()
        for node in ast.parse(text).body:
            decorators = [ast.unparse(d) for d in getattr(node, "decorator_list", [])]
            body = {line.strip() for line in lines[node.lineno - 1:node.end_lineno]}
            if "hidden" in decorators:
                found += [line for line in body if len(line) > 20]
            else:
                public |= body
    return found, public


@pytest.mark.parametrize("name", NAMES)
def test_no_hidden_check_or_solution_reaches_the_students(name):
    a = assignments.load(name)
    released = TEMPLATES / name
    texts = {rel: (released / rel).read_text(errors="replace") for rel in tree(released)
             if not rel.endswith(".npz")}
    secrets = [line for path in a.root.rglob("*.py") if "checks" not in path.parts
               for line in solution_lines(path.read_text())]
    hidden, public = check_lines(a.root / "checks")
    secrets += hidden + [e.new.strip() for m in load_mistakes(a) for e in m.edits if len(e.new.strip()) > 12]
    secrets = [line for line in secrets if line not in public]  # public check code may say it
    assert len(secrets) > 20
    leaks = {(rel, s) for rel, text in texts.items() for s in secrets if s in text}
    # a stub keeps the region markers and the notebook keeps the course's own prose: only code counts
    assert not leaks, sorted(leaks)[:5]
    assert not any(rel.endswith("mistakes.toml") for rel in texts)
    assert all("hidden" not in ast.unparse(d) for rel in texts if rel.startswith(".grader/checks/")
               and rel.endswith(".py") for n in ast.parse(texts[rel]).body for d in getattr(n, "decorator_list", []))


@pytest.mark.parametrize("name", ["two_layer_net", "fc_nets"])
def test_the_references_written_answers_are_blanked_in_the_release(name):
    """The reference notebook answers its inline questions; students get the course's placeholder
    after each marker (LaTeX around it kept), and every declared question still finds its cell."""
    from grader.notebooks.run import inline_answers, read_notebook

    a = assignments.load(name)
    reference, _ = read_notebook(a.root / a.notebooks[0])
    released, _ = read_notebook(TEMPLATES / name / a.notebooks[0])
    given = [x.answer for x in inline_answers(reference)]
    assert len(given) >= 2 and all(len(text) > 3 for text in given)
    text = (TEMPLATES / name / a.notebooks[0]).read_text(encoding="utf-8")
    assert not [answer for answer in given for line in answer.splitlines() if len(line) > 8 and line in text]
    assert [x.answer for x in inline_answers(released)] == [""] * len(given)
    assert text.count("*fill this in*") >= len(given) and "Your Answer:}$ *fill this in*" in text
    assert {q.id for q in a.written for x in inline_answers(released) if q.finds(x)} == {q.id for q in a.written}


def test_public_checks_drop_helpers_only_hidden_checks_used(tmp_path):
    checks = tmp_path / "checks"
    checks.mkdir()
    (checks / "test_a.py").write_text(
        "from grader.checks import hidden, points\n\nSECRET_SEED = 1234\nSHARED = 1\n\n\n"
        "def secret_inputs():\n    return SECRET_SEED\n\n\n@points(1)\ndef test_public(student):\n"
        "    assert SHARED\n\n\n@hidden\n@points(1)\ndef test_hidden(student):\n    assert secret_inputs()\n\n\n"
        "def test_notebook_only(notebook):\n    pass\n")
    shipped, withheld = public_checks(checks)
    text = shipped["test_a.py"]
    assert "def test_public" in text and "SHARED = 1" in text
    assert "1234" not in text and "secret_inputs" not in text and "test_hidden" not in text
    assert "test_notebook_only" not in text
    assert withheld == [("test_a.py::test_hidden", "hidden"), ("test_a.py::test_notebook_only", "grading-time")]


def with_template(a, folder: Path) -> Path:
    shutil.copytree(TEMPLATES / a.name / ".grader", folder / ".grader")
    return folder


def outcomes(result) -> dict[str, tuple[str, float]]:
    return {c.id: (c.outcome, c.points) for c in result.checks}


MODULE = "cs231n/classifiers/neural_net.py"
# Correct, but computed another way (log-sum-exp loss, scaled gradient): float results differ slightly.
ANOTHER_WAY = (Edit(MODULE, "data_loss = -np.mean(np.log(probs[np.arange(N), y]))",
                    "data_loss = np.sum(np.log(np.sum(exp_scores, axis=1)) - shifted[np.arange(N), y]) / N"),
               Edit(MODULE, "dscores /= N", "dscores = dscores * (1.0 / N)"))
# A mistake no catalogue knows: a leaky ReLU.
UNKNOWN_MISTAKE = (Edit(MODULE, "hidden = np.maximum(0, hidden_in)", "hidden = np.maximum(0.01 * hidden_in, hidden_in)"),)


def test_offline_checks_agree_with_the_grader_beyond_the_recorded_submissions(tmp_path):
    a = assignments.load("two_layer_net")
    chosen = {m.id: m for m in load_mistakes(a)}
    cases = {"reference": (), "another_way": ANOTHER_WAY, "unknown_mistake": UNKNOWN_MISTAKE}
    for case, edits in [*cases.items(), ("reg_half_convention", chosen["reg_half_convention"].edits),
                        ("forward_never_returns", chosen["forward_never_returns"].edits)]:
        folder = student_files(a, tmp_path / case)
        apply_edits(folder, edits)
        offline = self_check(with_template(a, folder)).result
        online = grade_submission(a, prepare(folder, a, tmp_path / "work"),
                                  GradeOptions(public_only=True, notebooks=False, select="not test_notebook and not test_cifar"))
        assert outcomes(offline) == outcomes(online), case
        assert offline.score == online.score
        if case in ("reference", "another_way"):
            assert offline.score == offline.max_score > 0, case
        else:
            assert offline.score < offline.max_score, case


@pytest.mark.parametrize("name", ["fc_nets", "cs498dl_nn", "softmax"])
def test_offline_checks_agree_with_the_grader_on_catalogued_mistakes(name, tmp_path):
    a = assignments.load(name)
    for mistake in [None, *load_mistakes(a)[:3]]:
        case = mistake.id if mistake else "reference"
        folder = (make_mistaken_submission(a, mistake, tmp_path / case) if mistake
                  else student_files(a, tmp_path / case))
        offline = self_check(with_template(a, folder)).result
        online = grade_submission(a, prepare(folder, a, tmp_path / "work"),
                                  GradeOptions(public_only=True, notebooks=False, select="not test_notebook and not test_cifar"))
        assert outcomes(offline) == outcomes(online), case


def grader_check(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "check", *args], cwd=folder,
                          capture_output=True, text=True, timeout=600)


def test_grader_check_in_the_template_explains_a_stub_and_passes_a_solution(tmp_path):
    a = assignments.load("two_layer_net")
    folder = tmp_path / "assignment1"
    shutil.copytree(TEMPLATES / "two_layer_net", folder)
    stub = grader_check(folder / "cs231n", "two_layer_net")  # from a sub-folder too
    assert stub.returncode == 6, stub.stdout + stub.stderr
    assert "TODO" in stub.stdout and "not written yet" in stub.stdout and "neural_net.py:" in stub.stdout
    assert re.search(r"Next:\n  1\. fix the first one \(.+\) and run it alone:  grader check -k test_\w+\n"
                     r"  2\. run every check again:  grader check", stub.stdout)
    assert "hidden checks" in stub.stdout and "0% of the public points" in stub.stderr
    shutil.copyfile(a.root / MODULE, folder / MODULE)
    solved = grader_check(folder, "-o", str(tmp_path / "ci"))
    assert solved.returncode == 0, solved.stdout + solved.stderr
    assert "All 9 public checks pass." in solved.stdout
    assert (tmp_path / "ci" / "assignment1" / "junit.xml").is_file()
    wrong = grader_check(folder, "fc_nets")
    assert wrong.returncode == 2 and "holds the assignment 'two_layer_net', not 'fc_nets'" in wrong.stderr
    outside = grader_check(tmp_path)
    assert outside.returncode == 2 and "not inside an assignment folder" in outside.stderr


def test_grader_check_from_a_notebook_shows_html(tmp_path, monkeypatch):
    import grader

    folder = shutil.copytree(TEMPLATES / "two_layer_net", tmp_path / "a1")
    monkeypatch.chdir(folder)
    report = grader.check(select="test_toy_scores")
    html = report._repr_html_()
    assert "<table>" in html and "TODO" in html and "0 / 2 points" in html
    assert "<script" not in html
