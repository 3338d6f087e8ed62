"""Class-scale grading: a 40-submission class (correct, mistaken, unfinished, broken, hanging and
unreadable) grades in parallel with the right scores; a run killed with SIGKILL resumes with
identical results; changed submissions are regraded and unchanged ones are not; a Dask cluster
gives the same results as local processes."""

from __future__ import annotations

import json
import os
import runpy
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.core.results import without_timing

pytestmark = pytest.mark.xdist_group("batch")  # one worker: the tests share the graded class

ARGS = ["--no-notebooks", "-k", "not test_notebook", "--dataset", "synthetic"]
MODULE = "cs231n/classifiers/neural_net.py"


CLASS = runpy.run_path(str(Path(__file__).resolve().parents[1] / "tools" / "make_class.py"))
build_class = CLASS["build_class"]


def grade_cli(klass: Path, out: Path, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", "grade", "two_layer_net", str(klass), "-o", str(out),
                           *ARGS, *extra], capture_output=True, text=True, timeout=900)


def results(out: Path) -> dict[str, dict]:
    return {p.parent.name: json.loads(p.read_text()) for p in sorted(out.glob("*/result.json"))}


@pytest.fixture(scope="session")  # session: xdist interleaves other modules, a module fixture would be built twice
def graded(tmp_path_factory):
    root = tmp_path_factory.mktemp("batch")
    klass = root / "class"
    klass.mkdir()
    expect = build_class(klass)
    started = time.perf_counter()  # in the run's private cache (conftest)
    run = grade_cli(klass, root / "out", "--jobs", "2")
    return klass, root / "out", expect, run, time.perf_counter() - started


def failed_checks(doc: dict) -> set[str]:
    return {c["id"].split("::")[-1] for c in doc["checks"] if c["outcome"] != "passed"}


def test_a_40_submission_class_grades_in_parallel_with_the_right_scores(graded):
    klass, out, expect, run, _ = graded
    assert run.returncode == 0, run.stderr[-3000:]
    docs = results(out)
    assert set(docs) == set(expect)
    for sid, must_fail in expect.items():
        doc = docs[sid]
        if must_fail == "unreadable":
            assert doc["checks"] == [] and doc["score"] == 0 and doc["problems"], sid
        elif must_fail == "*":
            assert doc["score"] == 0 and len(doc["checks"]) == len(docs["correct_00"]["checks"]), sid
        else:
            assert failed_checks(doc) == must_fail, sid
            assert doc["score"] == sum(c["max_points"] for c in doc["checks"] if c["outcome"] == "passed")
            assert doc["max_score"] > doc["score"] or not must_fail
    hung = {c["id"].split("::")[-1]: c for c in docs["hang_predict"]["checks"]}
    assert hung["test_predict"]["outcome"] == "timeout"
    assert docs["hang_import"]["checks"][0]["outcome"] == "timeout"
    assert "Graded 40 submissions 2 at a time" in run.stdout
    assert "Failures by cause:" in run.stdout
    assert "submissions that could not be graded: 2 submissions (corrupt, empty)" in run.stdout
    assert "checks that ran out of time" in run.stdout and "hang_predict" in run.stdout
    gradebook = (out / "gradebook.csv").read_text().splitlines()
    assert len(gradebook) == 41 and (out / "index.html").is_file()


def test_a_killed_run_resumes_with_identical_results_and_only_grades_what_changed(graded, tmp_path):
    whole, reference_out, _, _, _ = graded
    klass = tmp_path / "class"  # every fourth of the class, of every kind, and the one changed below
    klass.mkdir()
    for n, entry in enumerate(sorted(whole.iterdir())):
        if n % 4 == 0 or entry.name in ("correct_00", "mistake_no_learning_rate_decay"):
            (shutil.copytree if entry.is_dir() else shutil.copy)(entry, klass / entry.name)
    size = len(list(klass.iterdir()))
    out = tmp_path / "out"
    command = [sys.executable, "-m", "grader", "grade", "two_layer_net", str(klass), "-o", str(out), *ARGS, "-j", "2"]
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 300
    while len(list(out.glob("*/result.json"))) < 3 and time.monotonic() < deadline and process.poll() is None:
        time.sleep(0.2)
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done = len(list(out.glob("*/result.json")))
    assert 3 <= done < size
    resumed = grade_cli(klass, out, "-j", "2")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert f"Graded {size - done} submission" in resumed.stdout
    assert f"{done} unchanged since the last run kept their results" in resumed.stdout
    first, second = results(reference_out), results(out)
    assert set(second) <= set(first) and len(second) == size
    for sid in second:
        assert without_timing(first[sid]) == without_timing(second[sid]), sid

    # change one submission: only it is graded again, and its new result replaces the old one
    module = klass / "mistake_no_learning_rate_decay" / MODULE
    module.write_text(student_files(assignments.load("two_layer_net"), tmp_path / "fixed").joinpath(MODULE).read_text())
    again = grade_cli(klass, out, "-j", "2")
    assert f"Graded 1 submission 2 at a time; {size - 1} unchanged" in again.stdout, again.stdout[-2000:]
    assert results(out)["mistake_no_learning_rate_decay"]["score"] == results(out)["correct_00"]["score"]


def test_a_dask_cluster_gives_the_same_results_as_local_processes(graded, tmp_path):
    distributed = pytest.importorskip("distributed")  # a dependency: always installed
    klass, reference_out, _, _, _ = graded
    subset = tmp_path / "subset"
    subset.mkdir()
    chosen = ["correct_00", "correct_01.zip", "mistake_reg_half_convention", "unfinished_0", "broken_exit",
              "hang_import", "corrupt.zip"]
    for name in chosen:
        (shutil.copytree if (klass / name).is_dir() else shutil.copy)(klass / name, subset / name)
    import dask

    with dask.config.set({"temporary-directory": str(tmp_path / "dask")}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None) as cluster:
        run = CliRunner().invoke(main, ["grade", "two_layer_net", str(subset), "-o", str(tmp_path / "out"),
                                        *ARGS, "--scheduler", cluster.scheduler_address])
    assert run.exit_code == 0, run.output[-3000:]
    assert f"Graded 7 submissions on {cluster.scheduler_address}" in run.output
    local, remote = results(reference_out), results(tmp_path / "out")
    assert len(remote) == 7
    for sid, doc in remote.items():
        assert without_timing(doc) == without_timing(local[sid]), sid
        assert (tmp_path / "out" / sid / "report.html").is_file()
    assert (tmp_path / "out" / "index.html").is_file()


def test_an_unreachable_scheduler_is_a_clear_error(tmp_path):
    (tmp_path / "class").mkdir()
    student_files(assignments.load("two_layer_net"), tmp_path / "class" / "alice")
    run = CliRunner().invoke(main, ["grade", "two_layer_net", str(tmp_path / "class"), "-o", str(tmp_path / "out"),
                                    *ARGS, "--scheduler", "tcp://127.0.0.1:9"])
    assert run.exit_code == 2 and "cannot reach the Dask scheduler at tcp://127.0.0.1:9" in run.output
    assert "refused" in run.output  # said at once, not after the client's timeout
