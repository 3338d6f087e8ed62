"""`grader ci init`: the generated GitHub Actions and GitLab CI jobs, run command by command in a
temporary git repository holding a student's assignment and a clean virtual environment (the
install step installs this project's wheel, as a student's CI would), pass a solved one and fail
a stub."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import yaml

from grader.core import assignment as assignments
from grader.students.ci import GITHUB, GITLAB, REPORT_DIR

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


def run_step(folder: Path, command: str, venv: Path) -> subprocess.CompletedProcess:
    """A CI step as the runner would run it, with the virtual environment's commands first on PATH."""
    env = {"PATH": f"{venv / 'bin'}:/usr/bin:/bin", "HOME": str(folder.parent), "LANG": "C.UTF-8",
           "GRADER_CACHE_DIR": str(folder.parent / "cache"),
           **{k: v for k, v in os.environ.items() if k.startswith("PIP_")}}  # the machine's index settings
    return subprocess.run(command, shell=True, cwd=folder, env=env, capture_output=True, text=True, timeout=900)


def wheel(tmp_path: Path) -> Path:
    """This checkout built as the wheel a course would host."""
    subprocess.run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(tmp_path / "dist"), str(REPO)],
                   check=True, capture_output=True, timeout=600)
    return next((tmp_path / "dist").glob("nn_grader-*.whl"))


def steps(folder: Path) -> tuple[list[str], list[str], dict, dict]:
    github = yaml.safe_load((folder / GITHUB).read_text())
    gitlab = yaml.safe_load((folder / GITLAB).read_text())
    gh_steps = github["jobs"]["public-checks"]["steps"]
    return ([s["run"] for s in gh_steps if "run" in s], gitlab["public-checks"]["script"], github, gitlab)


def test_ci_init_asks_where_the_course_copy_lives_until_published(tmp_path):
    folder = student_repo(tmp_path)
    init = grader_cmd(folder, "ci", "init")
    assert init.returncode == 2 and "not published on the package index" in init.stderr
    assert "--install 'git+https://" in init.stderr and not (folder / GITHUB).exists()


def test_ci_init_writes_jobs_whose_commands_pass_a_solution_and_fail_a_stub(tmp_path):
    folder = student_repo(tmp_path)
    built = wheel(tmp_path)
    init = grader_cmd(folder, "ci", "init", "--fail-under", "80", "--install", built.as_uri())
    assert init.returncode == 0, init.stderr
    git(folder, "add", "-A")
    git(folder, "commit", "-qm", "ci")
    gh_runs, gl_script, github, gitlab = steps(folder)
    assert gh_runs[0] == gl_script[0] == f"python -m pip install '{built.as_uri()}'"
    assert gh_runs[1:] == gl_script[1:] == [f"grader check two_layer_net --fail-under 80 -o {REPORT_DIR}"]
    upload = next(s for s in github["jobs"]["public-checks"]["steps"] if "upload-artifact" in s.get("uses", ""))
    assert upload["if"] == "always()" and upload["with"]["path"] == f"{REPORT_DIR}/"
    assert gitlab["public-checks"]["artifacts"]["reports"]["junit"] == f"{REPORT_DIR}/*/junit.xml"

    venv = tmp_path / "venv"  # the runner's clean Python: only what the install step brings
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True, timeout=300)
    installed = run_step(folder, gh_runs[0], venv)
    assert installed.returncode == 0, installed.stdout + installed.stderr
    assert (venv / "bin" / "grader").is_file()
    stub = run_step(folder, gh_runs[1], venv)
    assert stub.returncode == 6 and "below the 80% required" in stub.stderr, stub.stdout + stub.stderr
    reports = list((folder / REPORT_DIR).glob("*/junit.xml"))
    assert reports and "<failure" in reports[0].read_text()
    assert (reports[0].parent / "report.html").is_file()

    shutil.copyfile(assignments.load("two_layer_net").root / MODULE, folder / MODULE)
    git(folder, "commit", "-qam", "solved")
    for command in gl_script[1:]:
        solved = run_step(folder, command, venv)
        assert solved.returncode == 0, solved.stdout + solved.stderr
    assert "<failure" not in (folder / REPORT_DIR / "assignment1" / "junit.xml").read_text()

    again = grader_cmd(folder, "ci", "init", "--install", built.as_uri())
    assert again.returncode == 2 and "already exist" in again.stderr
    assert grader_cmd(folder, "ci", "init", "--force", "--no-gitlab", "--install", built.as_uri()).returncode == 0
