"""Written answers: questions declared in assignment.toml, grades kept in written.json (atomic,
keyed by answer hash, last write wins and says so), served by `grader review` behind a token,
and merged into the gradebook, dashboard, reports and Gradescope results."""

from __future__ import annotations

import csv
import io
import json
import threading
import urllib.error
import urllib.request
from pathlib import Path

import jsonschema
import pytest
from written_class import graded_with_answers, regraded_answer

from grader.core import assignment as assignments
from grader.core.errors import AssignmentError
from grader.core.written import Grade, answer_hash, load_written, parse_questions, save_grade
from grader.report import rerender
from grader.review.server import prepare_review, serve

SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())


@pytest.fixture
def out(tmp_path) -> Path:
    return graded_with_answers(tmp_path / "out")


@pytest.fixture
def server(out):
    session = prepare_review(out, assignments.load("two_layer_net").written)
    httpd = serve(session, "127.0.0.1", 0)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield session, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def post(base: str, token: str, body: dict, host: str | None = None) -> tuple[int, dict]:
    request = urllib.request.Request(f"{base}/api/grade", data=json.dumps(body).encode(), method="POST",
                                     headers={"Content-Type": "application/json", "X-Review-Token": token,
                                              **({"Host": host} if host else {})})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def test_every_bundled_notebook_question_is_declared_and_found():
    from grader.notebooks.run import inline_answers, read_notebook

    for name in ("two_layer_net", "fc_nets"):
        spec = assignments.load(name)
        answers = inline_answers(read_notebook(spec.root / spec.notebooks[0])[0])
        found = {q.id for q in spec.written for a in answers if q.finds(a)}
        assert found == {q.id for q in spec.written} and len(found) == len(answers), name
        assert all(q.points == sum(r.points for r in q.rubric) for q in spec.written)


@pytest.mark.parametrize("table, message", [
    ({"q": {"points": 2}}, "'match' must be text"),
    ({"q": {"match": "Inline", "points": 0}}, "'points' must be a positive number"),
    ({"q": {"match": "Inline", "points": 1, "rubric": ["a"]}}, "inline table of item = points"),
    ({"q": {"match": "Inline", "points": 1, "max": 3}}, "unknown key(s) ['max']"),
    ({"bad id": {"match": "Inline", "points": 1}}, "named by letters"),
])
def test_a_wrong_written_table_is_an_error_that_says_what(table, message, tmp_path):
    with pytest.raises(ValueError, match=None) as raised:
        parse_questions(table, "assignment.toml")
    assert message in str(raised.value)
    root = tmp_path / "a"
    root.mkdir()
    (root / "assignment.toml").write_text('[assignment]\nname = "a"\ntitle = "A"\nregularization = "any"\n'
                                          'submit = []\n[written.q]\npoints = 2\n')
    with pytest.raises(AssignmentError, match="'match' must be text"):
        assignments.load(root)


def test_grades_merge_into_gradebook_dashboard_reports_and_gradescope(out):
    prepare_review(out, assignments.load("two_layer_net").written)
    save_grade(out, "alice", "tuning", Grade(2.0, ("reads the loss and accuracy curves (under- or overfitting)",
                                                   "says what was changed and why"), "Clear <b>reasoning</b>",
                                             answer_hash("I raised the **learning rate** tenfold: the loss fell "
                                                         "*linearly*, a sign of underfitting.")), 0)
    save_grade(out, "bob", "gap", Grade(0.0, (), "2 widens the gap", answer_hash("2")), 0)
    save_grade(out, "carol", "gap", Grade(None, (), "a draft, no points yet", ""), 0)
    rerender(out)
    rows = {r["Student"]: r for r in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text()))}
    tuning = "Written: Explain your hyperparameter tuning process"
    assert rows["alice"][tuning] == "2" and rows["bob"][tuning] == "" and rows["bob"]["Written: " + GAP_TITLE] == "0"
    assert (rows["alice"]["Total"], rows["alice"]["Max"], rows["bob"]["Total"]) == ("4", "6", "2")
    assert rows["carol"]["Written: " + GAP_TITLE] == "" and rows["carol"]["Total"] == "2"  # a draft counts nothing
    assert "a draft, no points yet" not in (out / "carol" / "report.html").read_text()
    dashboard = (out / "index.html").read_text()
    assert 'id="written"' in dashboard and "<td class=\"num\">1</td>" in dashboard
    student = (out / "alice" / "report.html").read_text()
    assert "Clear &lt;b&gt;reasoning&lt;/b&gt;" in student and "<strong>learning rate</strong>" in student
    assert "2 / 2" in student and "not graded yet" in student  # the gap question waits
    results = json.loads((out / "alice" / "results.json").read_text())
    jsonschema.validate(results, SCHEMA)
    written = [t for t in results["tests"] if t["name"].startswith("Written:")]
    assert [(t["score"], t["max_score"]) for t in written] == [(2.0, 2.0)] and results["score"] == 4.0
    assert "Comment: Clear <b>reasoning</b>" in written[0]["output"]


GAP_TITLE = "Inline Question: narrowing the gap between training and test accuracy"


def test_a_changed_answer_keeps_its_grade_until_confirmed(out):
    save_grade(out, "bob", "gap", Grade(1.0, (), "", answer_hash("2")), 0)
    regraded_answer(out, "bob", 26, "1, 3 after all")
    rerender(out)
    instructor = (out / "bob" / "report.instructor.html").read_text()
    assert "changed since graded" in instructor and "changed since graded" not in (out / "bob" / "report.html").read_text()
    rows = {r["Student"]: r for r in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text()))}
    assert rows["bob"]["Written: " + GAP_TITLE] == "1"  # kept until a reviewer confirms or changes it


def test_the_review_server_needs_its_token_and_its_own_host(out, server):
    session, base = server
    for url in (f"{base}/", f"{base}/?token=wrong", f"{base}/question/gap?token=wrong"):
        with pytest.raises(urllib.error.HTTPError) as refused:
            urllib.request.urlopen(url, timeout=10)
        assert refused.value.code == 403
    with urllib.request.urlopen(f"{base}/question/gap?token={session.token}", timeout=10) as page:
        html = page.read().decode()
        assert "0 of 4 graded" in html and "script-src &#39;sha256-" in html and "connect-src &#39;self&#39;" in html
    body = {"submission": "alice", "question": "gap", "points": 1, "rubric": [], "comment": "", "hash": "", "revision": 0}
    assert post(base, "wrong", body)[0] == 403
    assert post(base, session.token, body, host="evil.example:80")[0] == 403  # DNS rebinding
    assert post(base, session.token, {**body, "points": 3})[0] == 400
    assert post(base, session.token, {**body, "rubric": ["made up"]})[0] == 400
    assert post(base, session.token, {**body, "submission": "../alice"})[0] == 400
    assert not (out / "written.json").exists()


def test_two_reviewers_saving_one_answer_last_wins_and_is_told(out, server):
    session, base = server
    body = {"submission": "alice", "question": "gap", "rubric": [], "comment": "", "hash": answer_hash("1, 3")}
    first = post(base, session.token, {**body, "points": 1, "revision": 0})
    assert first[0] == 200 and "overwrote" not in first[1] and first[1]["progress"] == {"graded": 1, "total": 4,
                                                                                     "changed": 0}
    second = post(base, session.token, {**body, "points": 2, "revision": 0})  # saw the page before the first save
    assert second[0] == 200 and second[1]["overwrote"]["points"] == 1.0
    third = post(base, session.token, {**body, "points": 2, "revision": second[1]["revision"]})
    assert "overwrote" not in third[1]
    assert load_written(out).grade("alice", "gap").points == 2.0
    draft = post(base, session.token, {**body, "submission": "bob", "points": None, "comment": "read again", "revision": 0})
    assert draft[0] == 200 and draft[1]["progress"]["graded"] == 1  # a comment before the points: kept, not graded
    assert load_written(out).grade("bob", "gap").comment == "read again"


def test_grader_review_serves_until_interrupted_then_renders_every_report(out):
    """The command an instructor runs: it prints the address with its token, saves what the page
    sends, and on Ctrl-C renders the reports, gradebook and results.json with the grades."""
    import re
    import signal
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-m", "grader", "review", str(out), "--no-browser"],
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = process.stdout.readline()
        address = re.search(r"http://127\.0\.0\.1:(\d+)/\?token=([\w-]+)", line)
        assert address, line + process.stderr.read()
        base, token = f"http://127.0.0.1:{address.group(1)}", address.group(2)
        body = {"submission": "alice", "question": "gap", "points": 2, "rubric": [], "comment": "well argued",
                "hash": answer_hash("1, 3"), "revision": 0}
        assert post(base, token, body)[0] == 200
    finally:
        process.send_signal(signal.SIGINT)
        output, errors = process.communicate(timeout=60)
    assert process.returncode == 0, errors
    assert "Reports rendered again with the written grades" in output
    rows = {r["Student"]: r for r in csv.DictReader(io.StringIO((out / "gradebook.csv").read_text()))}
    assert rows["alice"]["Written: " + GAP_TITLE] == "2" and rows["alice"]["Total"] == "4"
    assert "well argued" in (out / "alice" / "report.html").read_text()


def test_review_refuses_an_assignment_without_written_questions(tmp_path):
    from click.testing import CliRunner

    from grader.cli import main

    out = graded_with_answers(tmp_path / "out")
    result = CliRunner().invoke(main, ["review", str(out), "--no-browser", "--assignment", "softmax"])
    assert result.exit_code != 0 and "declares no written questions" in result.output


def test_declaring_a_question_does_not_make_the_class_regrade(tmp_path):
    """Written questions are graded by a person: adding one keeps every cached result (and the
    reference's measured times); changing anything else of the assignment does not."""
    import shutil

    from grader.core.assignment import grading_digest

    root = tmp_path / "two_layer_net"
    shutil.copytree(assignments.load("two_layer_net").root, root)
    before = grading_digest(assignments.load(root))
    toml = root / "assignment.toml"
    toml.write_text(toml.read_text() + '\n[written.extra]\nmatch = "Inline Question"\npoints = 1\n')
    assert len(assignments.load(root).written) == 3 and grading_digest(assignments.load(root)) == before
    toml.write_text(toml.read_text().replace("call_seconds = 5", "call_seconds = 6"))
    assert grading_digest(assignments.load(root)) != before
