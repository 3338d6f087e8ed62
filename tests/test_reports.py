"""Reports: goldens of every output, hidden details kept from students, hostile text escaped,
gradebook and JUnit parse, weight grids, and `grader report` re-rendering without regrading."""

from __future__ import annotations

import csv
import io
import json
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import numpy as np
import pytest
from click.testing import CliRunner
from conftest import HOSTILE_ERROR, HOSTILE_PRINT

from grader.checks.record import MAX_POINTS, Recorder
from grader.cli import main
from grader.core.results import Answer, Artifact, CellError, CheckResult, NotebookRun, RunInfo, SubmissionResult
from grader.report import write_class_reports, write_submission_reports
from grader.report.charts import weight_grid
from grader.report.exports import gradebook_csv, junit_xml

pytestmark = pytest.mark.xdist_group("reports")  # one worker reads the run's graded class (conftest)

RUN = RunInfo(assignment="two_layer_net", title="cs231n assignment 1: two-layer neural network",
              grader_version="0.1.0", date="2026-01-02 03:04 UTC", dataset="synthetic")
SECRET = "hidden-input-reg-0.7-expected-1.8058"
PNG = re.compile(r"data:image/(?:png|jpeg);base64,[A-Za-z0-9+/=]+")


def sample_results(folder: Path) -> list[SubmissionResult]:
    """Two hand-made results covering every outcome, a diff, artifacts, problems and hostile text."""
    weights = np.random.RandomState(0).randn(3072, 10)
    (folder / "ann" / "artifacts").mkdir(parents=True)
    np.save(folder / "ann" / "artifacts" / "w.npy", weights, allow_pickle=False)
    diff = {"kind": "array", "name": "scores", "tolerance": "atol=1e-07, rtol=0", "shape": [5, 3],
            "max_abs_error": 0.5, "max_rel_error": 0.25, "differ": 2, "size": 15,
            "worst": [{"index": [1, 2], "yours": 1.5, "expected": 1.0, "abs_error": 0.5}]}
    curves = Artifact("curves", "Toy net: training loss",
                      {"xlabel": "iteration", "ylabel": "loss", "series": {"loss": {"x": [0, 1, 2], "y": [2.0, None, 0.5]}}})
    checks = (
        CheckResult("test_nn.py::test_scores", "Toy scores", 0.0, 2.0, "failed", "scores do not match",
                    duration=0.25, output=HOSTILE_PRINT + "\x00\x1b[31m", hint="compare shapes", details=diff),
        CheckResult("test_nn.py::test_train", "Toy training", 2.0, 2.0, "passed", duration=1.5,
                    artifacts=(curves, Artifact("weights", "First-layer weights", {"image_shape": [32, 32, 3]},
                                                file="artifacts/w.npy"))),
        CheckResult("test_nn.py::test_other", "Other shapes", 0.0, 3.0, "failed", f"loss is wrong at {SECRET}",
                    hidden=True, details={**diff, "name": SECRET}),
        CheckResult("test_nn.py::test_hang", "Predict", 0.0, 1.0, "timeout", "timed out after 5 s in predict"),
        CheckResult("test_nn.py::test_error", "Stable softmax", 0.0, 1.0, "error", f"ValueError: {HOSTILE_ERROR}"),
    )
    notebook = NotebookRun(
        "two_layer_net.ipynb", "errors", cells=20, executed=20, duration=42.0,
        errors=(CellError(8, "ValueError", HOSTILE_ERROR), CellError(12, "KeyboardInterrupt", "", timeout=True)),
        files=("executed/two_layer_net.ipynb", "executed/two_layer_net.html"),
        answers=(Answer(25, "**Inline Question** Which apply?", f"1 and 3 {HOSTILE_PRINT}"),),
        export_errors=("best_stats: NameError: name 'best_stats' is not defined",),
        artifacts=(curves,))
    ann = SubmissionResult("ann", "two_layer_net", checks, "bwrap", "0.1.0", "ab" * 32, 3.5,
                           problems=(f"SyntaxError {HOSTILE_ERROR}",), notebooks=(notebook,))
    ben = SubmissionResult("ben", "two_layer_net", (), "none", "0.1.0", "", 0.0,
                           problems=("not a readable zip file",))
    return [ann, ben]


@pytest.fixture
def rendered(tmp_path) -> Path:
    results = sample_results(tmp_path)
    for result in results:
        write_submission_reports(tmp_path / result.submission, result, RUN)
    write_class_reports(tmp_path, results, RUN)
    return tmp_path


@pytest.mark.parametrize("name", ["index.html", "gradebook.csv", "ann/report.html",
                                  "ann/report.instructor.html", "ann/junit.xml", "ben/junit.xml"])
def test_outputs_match_goldens(rendered, golden, name):
    text = (rendered / name).read_bytes().decode("utf-8")
    golden(name.replace("/", "__"), PNG.sub("data:image/png;base64,PNG", text))


def test_student_report_shows_hidden_checks_only_by_name_and_score(rendered):
    student = (rendered / "ann" / "report.html").read_text(encoding="utf-8")
    instructor = (rendered / "ann" / "report.instructor.html").read_text(encoding="utf-8")
    assert SECRET in instructor and SECRET not in student
    assert "Other shapes" in student and "0 / 3" in student
    assert "test_nn.py::test_other" not in student  # no check ids either
    assert SECRET not in (rendered / "ann" / "junit.xml").read_text(encoding="utf-8")


def test_hostile_text_is_shown_as_text(rendered):
    for page in ("index.html", "ann/report.html", "ann/report.instructor.html"):
        html = (rendered / page).read_text(encoding="utf-8")
        assert "<script>document" not in html and "<img src=x" not in html
    html = (rendered / "ann" / "report.html").read_text(encoding="utf-8")
    assert "&lt;script&gt;document.title=" in html and "&lt;img src=x onerror=" in html


def test_images_are_embedded_and_missing_files_are_reported(rendered, tmp_path):
    html = (rendered / "ann" / "report.html").read_text(encoding="utf-8")
    assert len(PNG.findall(html)) == 3  # the loss curve, the weight grid and the notebook's curve
    assert "http://" not in html and "https://" not in html  # self-contained
    (rendered / "ann" / "artifacts" / "w.npy").unlink()
    write_submission_reports(rendered / "ann", sample_results(tmp_path / "again")[0], RUN)
    html = (rendered / "ann" / "report.html").read_text(encoding="utf-8")
    assert len(PNG.findall(html)) == 2 and "missing image file" in html


def test_notebook_section_shows_cells_links_and_answers(rendered):
    html = (rendered / "ann" / "report.html").read_text(encoding="utf-8")
    assert "Notebook <code>two_layer_net.ipynb</code>" in html and "20 of 20 code cells" in html
    assert '<td>8</td><td><pre>ValueError: &lt;img src=x' in html and "<td>12</td><td><pre>ran out of time" in html
    assert 'href="executed/two_layer_net.html"' in html and "1 and 3" in html and "<script>document" not in html
    dashboard = (rendered / "index.html").read_text(encoding="utf-8")
    assert "two_layer_net.ipynb ran to the end with errors" in dashboard


def test_gradebook_csv_has_a_row_per_student_and_a_column_per_check(tmp_path):
    results = sample_results(tmp_path)
    rows = list(csv.DictReader(io.StringIO(gradebook_csv(results))))
    assert [r["Student"] for r in rows] == ["ann", "ben"]
    assert rows[0]["Toy training (test_train)"] == "2" and rows[0]["Toy scores (test_scores)"] == "0"
    assert rows[0]["Total"] == "2" and rows[0]["Max"] == "9"
    assert rows[1]["Toy training (test_train)"] == "" and rows[1]["Total"] == "0"
    assert list(rows[0])[:2] == ["Student", "SIS Login ID"] and len(rows[0]) == 2 + 5 + 2


def test_junit_counts_and_survives_control_characters(tmp_path):
    ann, ben = sample_results(tmp_path)
    root = ET.fromstring(junit_xml(ann).encode())
    suite = root.find("testsuite")
    assert (suite.get("tests"), suite.get("failures"), suite.get("errors")) == ("5", "2", "2")
    cases = {c.get("name"): c for c in suite.iter("testcase")}
    assert cases["Toy training"].find("failure") is None
    assert cases["Toy scores"].find("failure").get("type") == "failed"
    assert "\ufffd" in cases["Toy scores"].find("failure").text  # \x00 and \x1b replaced
    assert cases["Predict"].find("error").get("type") == "timeout"
    unreadable = ET.fromstring(junit_xml(ben).encode()).find("testsuite")
    assert unreadable.get("errors") == "1" and "not a readable zip" in unreadable.find("testcase/error").get("message")


def test_weight_grid_tiles_each_unit_scaled_to_its_range():
    weights = np.arange(3072 * 5, dtype=float).reshape(3072, 5) * np.array([1, -2, 3, 0, 5])
    grid = weight_grid(weights, (32, 32, 3))
    assert grid.shape == (3 * 33 + 1, 3 * 33 + 1, 3)  # ceil(sqrt(5)) = 3 tiles a side, 1-pixel padding
    first = grid[1:33, 1:33]
    assert first.min() == 0.0 and first.max() == 1.0
    assert np.allclose(first, (weights[:, 0].reshape(32, 32, 3) - weights[:, 0].min()) / np.ptp(weights[:, 0]))
    assert np.all(grid[34:66, 1:33] == 0.0)  # unit 3 (second row, first column) is constant: a flat tile
    assert np.all(grid[0] == 1.0)  # padding


def test_recorder_keeps_plain_numbers_only(tmp_path):
    recorder = Recorder("test_x[case 1]", tmp_path / "artifacts")
    recorder.curves("loss", {"loss": np.linspace(3, 0, 2000), "bad": "text", "acc": [0.1, float("nan"), 0.3]})
    recorder.weights("W1", np.ones((3072, 4)))
    recorder.weights("not an image", np.ones((10, 4)))
    recorder.weights("not numbers", {"W1": 1})
    curves, weights = recorder.artifacts
    assert set(curves.data["series"]) == {"loss", "acc"}
    assert len(curves.data["series"]["loss"]["y"]) == MAX_POINTS and curves.data["series"]["loss"]["x"][-1] == 1999
    assert curves.data["series"]["acc"]["y"] == [0.1, None, 0.3]
    assert json.loads(json.dumps(curves.data)) == curves.data
    assert weights.file == "artifacts/test_x-case-1-1.npy"
    assert np.load(tmp_path / weights.file, allow_pickle=False).shape == (3072, 4)
    assert Recorder("t", None).weights("W1", np.ones((3072, 4))) is None


def test_graded_class_has_every_output_and_hostile_output_is_text(graded_class):
    for name in ("alice", "bob", "carol", "mallory"):
        for file in ("result.json", "results.json", "report.html", "report.instructor.html", "junit.xml"):
            assert (graded_class / name / file).is_file(), (name, file)
    html = (graded_class / "mallory" / "report.html").read_text(encoding="utf-8")
    assert "&lt;img src=x onerror=" in html and "<img src=x" not in html
    assert "<script>document" not in html
    rows = list(csv.DictReader(io.StringIO((graded_class / "gradebook.csv").read_text(encoding="utf-8"))))
    totals = {r["Student"]: r["Total"] for r in rows}
    assert totals["alice"] == "23" and totals["carol"] == "0"


def test_a_graded_class_shows_its_similar_code_to_the_instructor_only(graded_class):
    """alice, bob and mallory hand in the reference (bob with one mistake, mallory with hostile
    lines): every pair of them is flagged; carol's untouched template has no code of her own."""
    report = json.loads((graded_class / "similarity.json").read_text(encoding="utf-8"))
    pairs = {frozenset((p["a"]["submission"], p["b"]["submission"])) for p in report["pairs"]}
    assert pairs == {frozenset(p) for p in (("alice", "bob"), ("alice", "mallory"), ("bob", "mallory"))}
    code = json.loads((graded_class / "alice" / "code.json").read_text(encoding="utf-8"))
    own = "\n".join(line[2] for f in code["files"] for line in f["lines"])
    assert "hidden = np.maximum(0, hidden_in)" in own and "Inputs:" not in own and "def loss" not in own
    assert json.loads((graded_class / "carol" / "code.json").read_text(encoding="utf-8"))["files"] == []
    dashboard = (graded_class / "index.html").read_text(encoding="utf-8")
    assert dashboard.count("side by side") == 3
    page = next(p for p in report["pairs"] if "mallory" in (p["a"]["submission"], p["b"]["submission"]))
    html = (graded_class / page["page"]).read_text(encoding="utf-8")
    assert "<mark>" in html and "hidden_in" in html
    assert "&lt;script&gt;document.title" in html and "<script>document" not in html
    for name in ("alice", "bob", "mallory"):  # no student sees another's code, or that they were paired
        for audience in ("report.html", "report.instructor.html"):
            text = (graded_class / name / audience).read_text(encoding="utf-8")
            assert "similar" not in text.lower() and "hidden_in" not in text


def test_report_command_rerenders_without_regrading(graded_class, tmp_path):
    import shutil

    copy = tmp_path / "out"
    shutil.copytree(graded_class, copy, ignore=shutil.ignore_patterns("similarity"))  # grader similarity's pages
    before = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.suffix in (".html", ".csv", ".xml")}
    for path in before:
        (copy / path).unlink()
    result = CliRunner().invoke(main, ["report", str(copy)])
    assert result.exit_code == 0, result.output
    after = {p.relative_to(copy): p.read_bytes() for p in copy.rglob("*") if p.suffix in (".html", ".csv", ".xml")}
    assert after == before


def test_report_command_on_a_folder_without_results(tmp_path):
    result = CliRunner().invoke(main, ["report", str(tmp_path)])
    assert result.exit_code != 0 and "no graded results" in result.output


def test_notes_of_what_a_check_accepted_are_shown_and_kept(tmp_path):
    """A passed check's note (a keepdims shape, a detected L2 convention) reaches the report, the
    Gradescope text and the JSON; a hidden check's note only the instructor's report."""
    accepted = "dgamma: shape (1, 5) accepted for (5,) <b>"
    secret = f"convention of {SECRET}"
    checks = (CheckResult("t.py::test_bn", "Batchnorm backward", 1.0, 1.0, "passed", notes=(accepted,)),
              CheckResult("t.py::test_hidden", "Other shapes", 1.0, 1.0, "passed", hidden=True, notes=(secret,)))
    result = SubmissionResult("cy", "fc_nets", checks, "bwrap", "0.1.0", "cd" * 32, 1.0)
    write_submission_reports(tmp_path / "cy", result, RUN)
    student = (tmp_path / "cy" / "report.html").read_text(encoding="utf-8")
    instructor = (tmp_path / "cy" / "report.instructor.html").read_text(encoding="utf-8")
    assert "Note: dgamma: shape (1, 5) accepted for (5,) &lt;b&gt;" in student
    assert SECRET not in student and SECRET in instructor
    assert SubmissionResult.from_json(json.loads(json.dumps(result.to_json()))) == result
    assert f"Note: {accepted}" in checks[0].student_text() and SECRET not in checks[1].student_text()


def test_exported_weights_become_a_weight_grid_and_histories_curves_in_a_small_report(tmp_path):
    """A notebook exporting its best net's parameters and its training stats: the first-layer
    weights are one picture of 50 units (not 460,800 points of "loss"), the histories curves, and
    the report stays small."""
    from grader.notebooks.run import history_curves

    rng = np.random.default_rng(0)
    params = {"W1": rng.normal(size=(3072, 50)), "b1": np.zeros(50), "W2": rng.normal(size=(50, 10)), "b2": np.zeros(10)}
    stats = {"loss_history": list(np.linspace(2.3, 1.2, 3000)), "train_acc_history": [0.2, 0.4, 0.5],
             "val_acc_history": [0.2, 0.38, 0.45]}
    folder = tmp_path / "ann"
    artifacts = history_curves({"best_net_params": params, "stats": stats}, folder / "artifacts")
    assert [(a.kind, a.title) for a in artifacts] == [
        ("weights", "Your notebook: best_net_params first-layer weights"),
        ("curves", "Your notebook: stats (loss)"), ("curves", "Your notebook: stats (accuracy)")]
    notebook = NotebookRun("two_layer_net.ipynb", "completed", cells=20, executed=20, artifacts=artifacts)
    result = SubmissionResult("ann", "two_layer_net", (), "bwrap", "0.1.0", "ab" * 32, 1.0, notebooks=(notebook,))
    write_submission_reports(folder, result, RUN)
    html = (folder / "report.html").read_text(encoding="utf-8")
    assert html.count("<img") == 3 and len(html.encode()) < 100_000
    assert len(json.dumps(result.to_json())) < 100_000
