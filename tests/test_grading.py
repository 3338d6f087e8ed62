"""End-to-end grading: references score full marks, stubs zero, each catalogued mistake loses
exactly the checks it must, hangs cost only their checks, and results are deterministic."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from markupsafe import escape

from grader.batch.one import grade_one
from grader.cli import main
from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.core.results import SubmissionResult, without_timing
from grader.core.solutions import release_files
from grader.grading.discover import prepare
from grader.grading.grade import GradeOptions, check_limits, grade_submission
from grader.grading.mistakes import Edit, apply_edits, load_mistakes, make_mistaken_submission
from grader.jail.sandbox import best_level

REPO = Path(__file__).resolve().parents[1]
NAMES = ["two_layer_net", "fc_nets", "cs498dl_nn", "softmax"]
MISTAKES = [(name, m) for name in NAMES for m in load_mistakes(assignments.load(name))]
# The checks of the submitted modules; notebooks and CIFAR-10 have their own tests (test_notebooks.py).
MODULES = GradeOptions(notebooks=False, select="not test_notebook and not test_cifar")
MODULE_ARGS = ["--no-notebooks", "-k", "not test_notebook"]


def grade_folder(name, folder, tmp_path, options=MODULES):
    a = assignments.load(name)
    return grade_submission(a, prepare(folder, a, tmp_path / "work"), options)


def short(check_id: str) -> str:
    return check_id.split("::")[-1]


@pytest.mark.parametrize("name", NAMES)
def test_reference_scores_full_marks(name, tmp_path):
    a = assignments.load(name)
    result = grade_folder(name, student_files(a, tmp_path / "ref"), tmp_path)
    assert result.score == result.max_score > 0, [c.message for c in result.checks if not c.passed]
    assert result.isolation == best_level() and not result.problems
    assert any(c.hidden for c in result.checks) and any(not c.hidden for c in result.checks)


@pytest.mark.parametrize("name", NAMES)
def test_untouched_template_scores_zero_as_not_implemented(name, tmp_path):
    a = assignments.load(name)
    result = grade_folder(name, release_files(a, tmp_path / "stub"), tmp_path)
    assert result.score == 0
    assert all(c.outcome == "not-implemented" for c in result.checks), \
        [(c.id, c.outcome, c.message) for c in result.checks if c.outcome != "not-implemented"]
    assert all("not implemented" in c.hint for c in result.checks)


def test_there_are_enough_catalogued_mistakes():
    counts = {name: sum(1 for n, _ in MISTAKES if n == name) for name in NAMES}
    assert counts["two_layer_net"] >= 10 and counts["fc_nets"] >= 10 and counts["cs498dl_nn"] >= 5


@pytest.mark.parametrize("name,mistake", MISTAKES, ids=[f"{n}-{m.id}" for n, m in MISTAKES])
def test_mistake_loses_exactly_its_checks(name, mistake, tmp_path):
    a = assignments.load(name)
    result = grade_folder(name, make_mistaken_submission(a, mistake, tmp_path / mistake.id), tmp_path)
    failed = sorted(short(c.id) for c in result.checks if not c.passed)
    expected = sorted(short(c.id) for c in result.checks) if mistake.fails == ("*",) else sorted(mistake.fails)
    assert failed == expected
    for check in result.checks:
        if not check.passed:
            assert check.message, f"{check.id} failed without a message"
    # the grader names the mistake (and no other) on the checks it explains
    named = {c.diagnosis["mistake"] for c in result.checks if c.diagnosis}
    assert named == {mistake.id}, named
    explained = [c for c in result.checks if c.diagnosis]
    assert all(c.diagnosis["title"] == mistake.title and c.diagnosis["hint"] == mistake.hint for c in explained)


def checks_using_the_reference(name: str) -> set[str]:
    """The checks of an assignment whose function takes the ``reference`` fixture, read from their source."""
    import ast
    trees = [ast.parse(f.read_text()) for f in (assignments.load(name).root / "checks").glob("test_*.py")]
    return {node.name for tree in trees for node in tree.body if isinstance(node, ast.FunctionDef)
            and node.name.startswith("test_") and "reference" in [arg.arg for arg in node.args.args]}


def test_diagnosis_tries_only_mutants_that_could_explain_the_failures(tmp_path, monkeypatch):
    """A mutant is tried only when the submission fails every check its mistake fails, the exact
    match first, and only on the failed checks that compare with the reference (a mutant cannot
    change the others); the mistake is still named."""
    import grader.grading.diagnose
    import grader.grading.grade

    a = assignments.load("two_layer_net")
    mistake = {m.id: m for m in load_mistakes(a)}["relu_mask_inverted"]
    tried, rerun = [], []
    real_oracle, real_run = grader.grading.diagnose.mutant_oracle, grader.grading.grade.run_checks
    monkeypatch.setattr(grader.grading.diagnose, "mutant_oracle", lambda a, m: tried.append(m) or real_oracle(a, m))

    def run_checks(*args, **kw):
        results = real_run(*args, **kw)
        rerun.extend(results if kw.get("compared_only") else [])
        return results
    monkeypatch.setattr(grader.grading.grade, "run_checks", run_checks)
    result = grade_folder("two_layer_net", make_mistaken_submission(a, mistake, tmp_path / "relu"), tmp_path)
    failed = {short(c.id) for c in result.checks if not c.passed}
    assert failed == set(mistake.fails) and tried and tried[0] == mistake
    assert all(set(m.fails) <= failed for m in tried), [m.id for m in tried]
    assert rerun and {short(c.id) for c in rerun} <= checks_using_the_reference("two_layer_net") & failed
    assert {c.diagnosis["mistake"] for c in result.checks if c.diagnosis} == {mistake.id}


def test_no_mistake_is_named_for_a_correct_or_unknown_one(tmp_path):
    a = assignments.load("two_layer_net")
    folder = student_files(a, tmp_path / "leaky")
    apply_edits(folder, (Edit("cs231n/classifiers/neural_net.py", "hidden = np.maximum(0, hidden_in)",
                              "hidden = np.maximum(0.01 * hidden_in, hidden_in)"),))
    unknown = grade_folder("two_layer_net", folder, tmp_path)
    assert unknown.score < unknown.max_score and not any(c.diagnosis for c in unknown.checks)
    correct = grade_folder("two_layer_net", student_files(a, tmp_path / "ref"), tmp_path / "again")
    assert not any(c.diagnosis for c in correct.checks)


def test_the_reports_name_the_mistake(tmp_path):
    a = assignments.load("two_layer_net")
    mistake = {m.id: m for m in load_mistakes(a)}["reg_half_convention"]
    folder = make_mistaken_submission(a, mistake, tmp_path / "half")
    grade_one(a, folder, tmp_path / "out", MODULES)
    student = (tmp_path / "out" / "half" / "report.html").read_text()
    assert f"Likely mistake: {escape(mistake.title)}." in student and str(escape(mistake.hint)) in student
    gradescope = json.loads((tmp_path / "out" / "half" / "results.json").read_text())
    assert any(f"Likely mistake: {mistake.title}" in t["output"] for t in gradescope["tests"]
               if t["visibility"] == "visible")


def test_messages_point_at_the_bug(tmp_path):
    a = assignments.load("two_layer_net")
    by_id = {m.id: m for m in load_mistakes(a)}

    def messages(mistake_id):
        result = grade_folder("two_layer_net", make_mistaken_submission(a, by_id[mistake_id], tmp_path / mistake_id), tmp_path)
        return {short(c.id): c for c in result.checks}

    half = messages("reg_half_convention")
    assert "0.5 * reg * sum(W**2); this assignment uses reg * sum(W**2)" in half["test_toy_loss"].message
    py2 = messages("python2_print")["test_toy_scores"]
    assert py2.outcome == "error" and "Python 2 syntax at line" in py2.hint
    alias = messages("removed_numpy_alias")["test_toy_scores"]
    assert "np.float was removed from numpy" in alias.hint
    grads = messages("no_reg_in_gradient")["test_toy_gradients"]
    assert "grads['W" in grads.message and "largest absolute error" in grads.message


def test_hang_costs_only_its_checks_within_the_limit(tmp_path):
    a = assignments.load("two_layer_net")
    mistake = {m.id: m for m in load_mistakes(a)}["forward_never_returns"]
    result = grade_folder("two_layer_net", make_mistaken_submission(a, mistake, tmp_path / "hang"), tmp_path)
    timeouts = [c for c in result.checks if c.outcome == "timeout"]
    assert {short(c.id) for c in timeouts} == {"test_toy_scores", "test_scores_other_shapes"}
    # each check's limit derives from the reference's time on it, well under the declared 5 s per call;
    # the second hang of the same function is cut to the floor
    assert [c.message.splitlines()[0] for c in timeouts] == [
        "timed out: the check's time limit ran out in TwoLayerNet.loss",
        "timed out: TwoLayerNet.loss ran out of time in an earlier check, so each call had 0.5 s here"]
    assert all(c.time_limit < a.limits.call_seconds and c.duration < a.limits.call_seconds for c in timeouts)
    assert result.score == result.max_score - sum(c.max_points for c in timeouts)


def test_results_are_deterministic_and_gradescope_shaped(tmp_path):
    a = assignments.load("two_layer_net")
    mistake = {m.id: m for m in load_mistakes(a)}["relu_mask_inverted"]
    folder = make_mistaken_submission(a, mistake, tmp_path / "student")
    first = grade_one(a, folder, tmp_path / "out1", MODULES)
    second = grade_one(a, folder, tmp_path / "out2", MODULES)
    docs = [json.loads((tmp_path / d / "student" / "results.json").read_text()) for d in ("out1", "out2")]
    assert without_timing(docs[0]) == without_timing(docs[1])
    gs = docs[0]
    assert set(gs) >= {"score", "execution_time", "tests"} and gs["score"] == first.score
    for test in gs["tests"]:
        assert set(test) >= {"name", "score", "max_score", "status", "output", "visibility"}
        assert test["status"] in ("passed", "failed")
        assert test["extra_data"]["outcome"] in ("passed", "failed", "error", "timeout", "not-implemented")
    assert gs["extra_data"]["isolation"] == best_level() and len(gs["extra_data"]["content_hash"]) == 64
    full = json.loads((tmp_path / "out1" / "student" / "result.json").read_text())
    assert SubmissionResult.from_json(full) == first  # the JSON round trip is lossless
    assert without_timing(full) == without_timing(second.to_json())


def test_hidden_checks_show_no_details_to_students(tmp_path):
    a = assignments.load("two_layer_net")
    mistake = {m.id: m for m in load_mistakes(a)}["reg_half_convention"]
    result = grade_one(a, make_mistaken_submission(a, mistake, tmp_path / "s"), tmp_path / "out", MODULES)
    hidden_failed = [c for c in result.checks if c.hidden and not c.passed]
    assert hidden_failed and all(c.message for c in hidden_failed)
    doc = json.loads((tmp_path / "out" / "s" / "results.json").read_text())
    for test in doc["tests"]:
        if test["visibility"] == "after_published":
            assert test["output"] in ("Hidden check: passed.", "Hidden check: failed.")


def test_public_only_runs_no_hidden_check(tmp_path):
    a = assignments.load("cs498dl_nn")
    result = grade_folder("cs498dl_nn", student_files(a, tmp_path / "s"), tmp_path,
                          GradeOptions(public_only=True, notebooks=False, select="not test_notebook"))
    assert result.checks and not any(c.hidden for c in result.checks)


def test_zip_with_parent_folder_and_traversal_entries(tmp_path):
    import zipfile
    a = assignments.load("two_layer_net")
    src = student_files(a, tmp_path / "src")
    archive = tmp_path / "alice.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        for path in src.rglob("*"):
            if path.is_file():
                zf.write(path, "assignment1/" + path.relative_to(src).as_posix())
        zf.writestr("../../evil.py", "print('escaped')")
    sub = prepare(archive, a, tmp_path / "work")
    assert (sub.path / "cs231n" / "classifiers" / "neural_net.py").is_file()
    assert any("refused zip entry '../../evil.py'" in p for p in sub.problems)
    assert not (tmp_path / "evil.py").exists() and not (tmp_path / "work" / "evil.py").exists()


def test_cli_grades_a_class_and_reports(tmp_path):
    a = assignments.load("cs498dl_nn")
    klass = tmp_path / "class"
    student_files(a, klass / "good")
    release_files(a, klass / "stub")
    (klass / "broken.zip").write_bytes(b"not a zip")
    result = CliRunner().invoke(main, ["grade", "cs498dl_nn", str(klass), "-o", str(tmp_path / "out"),
                                       "--fail-under", "50", *MODULE_ARGS])
    assert result.exit_code == 6, result.output
    assert "good" in result.output and "14/14" in result.output and "below --fail-under 50%: broken, stub" in result.output
    broken = json.loads((tmp_path / "out" / "broken" / "results.json").read_text())
    assert broken["score"] == 0 and "not a readable zip file" in broken["output"]
    ok = CliRunner().invoke(main, ["grade", "cs498dl_nn", str(klass / "good"), "-o", str(tmp_path / "o2"),
                                   *MODULE_ARGS])
    assert ok.exit_code == 0


def test_cli_unknown_assignment_is_a_usage_error(tmp_path):
    result = CliRunner().invoke(main, ["grade", "nope", str(tmp_path)])
    assert result.exit_code == 5 and "built-ins" in result.output


def test_check_limits_derive_from_the_reference(tmp_path):
    a = assignments.load("two_layer_net")
    limits = check_limits(a, GradeOptions())
    declared = a.limits
    names = {short(k) for k in limits}
    assert "test_toy_scores" in names and "test_toy_numeric_gradient" in names
    assert not any(n.startswith(("test_notebook", "test_best_net", "test_training_on_cifar")) for n in names)
    assert all(declared.check_floor_seconds <= v < declared.check_seconds for v in limits.values())
    assert check_limits(a, GradeOptions()) == limits  # cached: measured once
    off = dataclasses.replace(a, limits=dataclasses.replace(declared, check_factor=0))
    assert check_limits(off, GradeOptions()) == {}


def test_a_training_run_that_hangs_costs_about_twice_the_reference_not_its_declared_limit(tmp_path):
    """With the grading dataset the reference's CIFAR-10 training check is measured too, and a
    train that never returns costs its derived limit, not the 300 s its @timeout declares. (With
    limits of twice the reference's times rather than the shipped ten: the hang burns its limit.)"""
    from grader.data.grading import grading_data
    a = assignments.load("two_layer_net")
    a = dataclasses.replace(a, limits=dataclasses.replace(a.limits, check_factor=2.0))
    options = GradeOptions(notebooks=False, select="test_training_on_cifar", data=grading_data("synthetic"))
    limits = {short(k): v for k, v in check_limits(a, options).items()}
    assert "test_training_on_cifar" in limits and limits["test_training_on_cifar"] < 100, limits
    folder = student_files(a, tmp_path / "hang")
    path = folder / "cs231n" / "classifiers" / "neural_net.py"
    text = path.read_text()
    path.write_text(text.replace("        for it in range(num_iters):", "        while True:\n            pass\n"
                                 "        for it in range(num_iters):", 1))
    result = grade_submission(a, prepare(folder, a, tmp_path / "work"), options)
    (check,) = result.checks
    assert check.outcome == "timeout" and check.time_limit == limits["test_training_on_cifar"]
    assert check.duration < check.time_limit + 2


def test_a_hanging_notebook_function_costs_seconds_not_the_declared_limit(tmp_path):
    import nbformat

    a = assignments.load(REPO / "bench" / "peers" / "ps1")
    nb = nbformat.v4.new_notebook()
    nb.cells = [nbformat.v4.new_code_cell("import numpy as np\ndef two_layer_loss(X, y, W1, b1, W2, b2, reg):\n"
                                          "    while True:\n        pass")]
    nbformat.write(nb, str(tmp_path / "loop.ipynb"))
    result = grade_one(a, tmp_path / "loop.ipynb", tmp_path / "out", GradeOptions())
    assert result.score == 0 and all(c.outcome == "timeout" for c in result.checks)
    limits = check_limits(a, GradeOptions())
    assert a.limits.check_seconds == 30 and all(v <= 10 for v in limits.values()), limits
    # each hang costs its check's derived limit (plus a worker restart), not 30 s
    assert all(c.duration < limits[c.id] + 1.5 for c in result.checks), [(c.id, c.duration) for c in result.checks]


def test_grading_the_reference_measures_its_check_times_in_the_same_pass(tmp_path, monkeypatch):
    """On a cold cache the reference's checks run once, graded and timed together; the next
    submission gets limits derived from those times without another pass over the reference."""
    import shutil

    import grader.grading.grade
    from grader.data.grading import GradingData, grading_data
    from grader.grading.limits import cached_reference_check_seconds

    passes = []
    real = grader.grading.grade.checks_of_folder
    monkeypatch.setattr(grader.grading.grade, "checks_of_folder", lambda *a, **k: passes.append(1) or real(*a, **k))
    a = assignments.load("softmax")
    data = shutil.copytree(grading_data("synthetic").path, tmp_path / "data" / "cifar-10-batches-py")  # a cold key
    options = GradeOptions(notebooks=False, data=GradingData("synthetic", data))
    result = grade_one(a, student_files(a, tmp_path / "ref"), tmp_path / "out", options)
    assert result.score == result.max_score > 0 and passes == []
    times = cached_reference_check_seconds(a, result.isolation, options.data.path)
    assert set(times) == {c.id for c in result.checks if c.passed} and all(t > 0 for t in times.values())
    mistake = load_mistakes(a)[0]
    again = grade_one(a, make_mistaken_submission(a, mistake, tmp_path / "wrong"), tmp_path / "out", options)
    assert passes == [] and all(c.time_limit > 0 for c in again.checks)
