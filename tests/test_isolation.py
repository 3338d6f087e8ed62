"""Every isolation level this machine offers grades alike and shares nothing between gradings:
the same submission graded twice, and two submissions graded in parallel, give identical results,
notebooks (with fc_nets' Colab cell) included; without a jail, instructors are warned, a setting
refuses to grade, and a student's `grader check` still runs where Linux's tools are missing."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from grader.cli import main
from grader.core import assignment as assignments
from grader.jail.sandbox import JAILED, LEVELS, unavailable

REPO = Path(__file__).resolve().parents[1]
AVAILABLE = [level for level in LEVELS if level not in unavailable()]
CONTENT = Path("/content")


def comparable(result: dict) -> dict:
    """A result without what may differ between two gradings of the same work (times, names)."""
    return {"score": result["score"], "problems": result["problems"],
            "checks": [(c["id"], c["outcome"], c["points"], c["message"]) for c in result["checks"]],
            "notebooks": [(n["status"], n["executed"], n["message"]) for n in result["notebooks"]]}


def grade(klass: Path, out: Path, level: str, *extra: str):
    return CliRunner().invoke(main, ["grade", "fc_nets", str(klass), "-o", str(out), "--isolation", level,
                                     "--dataset", "synthetic", "-j", "2", "--force", *extra])


def written_for_the_course(folder: Path) -> None:
    """The reference as a student of the course's environment writes it: the course's loader
    imports cPickle through six, and affine_backward uses numpy 1.x's ``newshape=`` keyword."""
    utils, layers = folder / "cs231n" / "data_utils.py", folder / "cs231n" / "layers.py"
    utils.write_text(utils.read_text().replace("import pickle\n", "from six.moves import cPickle as pickle\n", 1))
    layers.write_text(layers.read_text().replace("dx = dout.dot(w.T).reshape(x.shape)",
                                                 "dx = np.reshape(dout.dot(w.T), newshape=x.shape)", 1))
    assert "six.moves" in utils.read_text() and "newshape=" in layers.read_text()


@pytest.mark.slow
@pytest.mark.parametrize("level", AVAILABLE)
def test_gradings_share_nothing_at_every_level(level, tmp_path):
    """Two copies of the reference written for the course's environment (its notebook mounts
    Drive, appends to sys.path and %cd's, as seed 003's Colab cell does, and loads the data with
    six) graded in parallel, then one of them again: full marks on the notebook's checks and
    the layer using numpy 1.x's API, identical results, and nothing left in the host's /content."""
    content_before = sorted(os.listdir(CONTENT)) if CONTENT.is_dir() else None
    root = assignments.load("fc_nets").root
    for name in ("a", "b"):
        shutil.copytree(root, tmp_path / "class" / name, ignore=shutil.ignore_patterns("checks", "*.toml"))
        written_for_the_course(tmp_path / "class" / name)
    runs = []
    for out, source in (("first", tmp_path / "class"), ("second", tmp_path / "class" / "a")):
        # the notebook (one epoch per training run: sharing nothing does not need accuracy) and
        # the layer written with numpy 1.x's API
        graded = grade(source, tmp_path / out, level, "-k", "test_notebook_runs or affine_backward",
                       "--set", "EPOCH_BUDGET=0.01")
        assert graded.exit_code == 0, graded.output
        runs += [json.loads(p.read_text()) for p in sorted((tmp_path / out).glob("*/result.json"))]
    assert len(runs) == 3 and all(r["isolation"] == level for r in runs)
    assert runs[0]["score"] == runs[0]["max_score"] > 0, comparable(runs[0])
    assert [comparable(r) for r in runs[1:]] == [comparable(runs[0])] * 2
    assert (sorted(os.listdir(CONTENT)) if CONTENT.is_dir() else None) == content_before


def test_without_a_jail_the_instructor_is_warned_everywhere(tmp_path):
    klass = tmp_path / "class"
    shutil.copytree(assignments.load("fc_nets").root, klass / "ref", ignore=shutil.ignore_patterns("checks", "*.toml"))
    graded = grade(klass, tmp_path / "out", "rlimits", "--no-notebooks", "-k", "test_affine_forward")
    assert graded.exit_code == 0, graded.output
    assert graded.output.count("WITHOUT a file-system jail") == 2  # at the start and after the summary
    for page in ("index.html", "ref/report.html", "ref/report.instructor.html"):
        assert "ran without a file-system jail" in (tmp_path / "out" / page).read_text(), page
    if any(level in AVAILABLE for level in JAILED):
        jailed = grade(klass, tmp_path / "jailed", "auto", "--no-notebooks", "-k", "test_affine_forward")
        assert "WITHOUT" not in jailed.output
        assert "without a file-system jail" not in (tmp_path / "jailed" / "index.html").read_text()


def test_require_isolation_refuses_to_grade_without_a_jail(tmp_path):
    klass = tmp_path / "class"
    shutil.copytree(assignments.load("fc_nets").root, klass / "ref", ignore=shutil.ignore_patterns("checks", "*.toml"))
    env = {**os.environ, "GRADER_REQUIRE_ISOLATION": "jail"}
    refused = CliRunner(env=env).invoke(main, ["grade", "fc_nets", str(klass), "-o", str(tmp_path / "out"),
                                                "--isolation", "rlimits", "--no-notebooks"])
    assert refused.exit_code == 7
    assert "require_isolation = jail" in refused.output and "apt-get install bubblewrap" in refused.output
    assert not (tmp_path / "out").exists()


def _bare_path(tmp_path: Path) -> str:
    """A PATH with the interpreter and the basics, without bwrap, unshare or prlimit."""
    bare = tmp_path / "bin"
    bare.mkdir()
    for tool in ("sh", "env", "true"):
        (bare / tool).symlink_to(shutil.which(tool))
    (bare / "python").write_text(f'#!/bin/sh\nexec {sys.executable} "$@"\n')
    (bare / "python").chmod(0o755)
    return str(bare)


@pytest.mark.skipif(not shutil.which("unshare"), reason="needs util-linux unshare to hide /proc")
def test_grader_check_runs_without_proc_cgroups_or_namespace_tools(tmp_path):
    """As on macOS: no /proc, no cgroups, no prlimit or unshare on PATH. The self-check runs at
    rlimits, passes a solution and says once which protections are off."""
    folder = shutil.copytree(REPO / "student_template" / "two_layer_net", tmp_path / "a1")
    reference = assignments.load("two_layer_net").root
    shutil.copyfile(reference / "cs231n/classifiers/neural_net.py", folder / "cs231n/classifiers/neural_net.py")
    hide = ("mount -t tmpfs none /proc && mount -t tmpfs none /sys/fs/cgroup && "
            'exec env -i PATH="$0" HOME="$1" python -m grader check "$2"')
    bare = _bare_path(tmp_path)
    for argument in ("two_layer_net", "--isolation=rlimits"):
        run = subprocess.run(["unshare", "--user", "--map-root-user", "--mount", "--", "sh", "-c", hide,
                              bare, str(tmp_path), argument], cwd=folder, capture_output=True, text=True, timeout=600)
        assert run.returncode == 0, run.stdout + run.stderr
        assert "All 9 public checks pass." in run.stdout
        assert run.stdout.count("your code runs without a jail") == 1
