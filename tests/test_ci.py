"""`grader ci init`: the generated GitHub Actions and GitLab CI jobs, run command by command in a
temporary git repository holding a student's assignment, pass a solved one and fail a stub."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from grader import assignment as assignments
from grader.ci import GITHUB, GITLAB, REPORT_DIR

REPO = Path(__file__).resolve().parents[1]
MODULE = "cs231n/classifiers/neural_net.py"


def git(folder: Path, *args: str) -> None:
    subprocess.run(["git", "-c", "user.name=s", "-c", "user.email=s@example.org", *args], cwd=folder,
                   check=True, capture_output=True)


def student_repo(tmp_path: Path) -> Path:
    folder = shutil.copytree(REPO / "student_template" / "two_layer_net", tmp_path / "assignment1")
    git(folder, "init", "-q")
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "start")
    return folder


def grader_cmd(folder: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "grader", *args], cwd=folder, capture_output=True,
                          text=True, timeout=600)


def run_step(folder: Path, command: str) -> subprocess.CompletedProcess:
    """A CI step as the runner would run it, with `grader` meaning this checkout's grader."""
    assert command.startswith("grader ")
    return subprocess.run(f"{sys.executable} -m {command}", shell=True, cwd=folder, capture_output=True,
                          text=True, timeout=600)


def steps(folder: Path) -> tuple[list[str], list[str], dict, dict]:
    github = yaml.safe_load((folder / GITHUB).read_text())
    gitlab = yaml.safe_load((folder / GITLAB).read_text())
    gh_steps = github["jobs"]["public-checks"]["steps"]
    return ([s["run"] for s in gh_steps if "run" in s], gitlab["public-checks"]["script"], github, gitlab)


def test_ci_init_writes_jobs_whose_commands_pass_a_solution_and_fail_a_stub(tmp_path):
    folder = student_repo(tmp_path)
    init = grader_cmd(folder, "ci", "init", "--fail-under", "80")
    assert init.returncode == 0, init.stderr
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "ci")
    gh_runs, gl_script, github, gitlab = steps(folder)
    assert gh_runs[0] == gl_script[0] and gh_runs[0].startswith("python -m pip install 'grader==")
    assert gh_runs[1:] == gl_script[1:] == [f"grader check two_layer_net --fail-under 80 -o {REPORT_DIR}"]
    upload = next(s for s in github["jobs"]["public-checks"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "always()" and upload["with"]["path"] == f"{REPORT_DIR}/"
    assert gitlab["public-checks"]["artifacts"]["reports"]["junit"] == f"{REPORT_DIR}/*/junit.xml"

    stub = run_step(folder, gh_runs[1])  # the install step is what the runner does; here grader is installed
    assert stub.returncode == 6 and "below the 80% required" in stub.stderr
    reports = list((folder / REPORT_DIR).glob("*/junit.xml"))
    assert reports and "<failure" in reports[0].read_text()
    assert (reports[0].parent / "report.html").is_file()

    shutil.copyfile(assignments.load("two_layer_net").root / MODULE, folder / MODULE)
    git(folder, "commit", "-qam", "solved")
    for command in gl_script[1:]:
        solved = run_step(folder, command)
        assert solved.returncode == 0, solved.stdout + solved.stderr
    assert "<failure" not in (folder / REPORT_DIR / "assignment1" / "junit.xml").read_text()

    again = grader_cmd(folder, "ci", "init")
    assert again.returncode == 2 and "already exist" in again.stderr
    assert grader_cmd(folder, "ci", "init", "--force", "--no-gitlab").returncode == 0
