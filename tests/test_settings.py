"""Settings precedence (command line > environment > [tool.grader] > assignment [grader] >
default), their sources in `grader config`, and the cache key's ingredients."""

from __future__ import annotations

import dataclasses
import shutil

import pytest
from click.testing import CliRunner

from grader.batch.cache import cache_key, run_fingerprint, tree_hash
from grader.cli import main
from grader.core import assignment as assignments
from grader.core.errors import UsageError
from grader.core.settings import resolve
from grader.grading.grade import GradeOptions


def write_pyproject(folder, body):
    (folder / "pyproject.toml").write_text("[tool.grader]\n" + body)


def test_each_source_overrides_the_ones_below_it(tmp_path):
    write_pyproject(tmp_path, "jobs = 3\nisolation = 'unshare'\ndataset = 'synthetic'\n")
    assignment_table = {"jobs": 7, "isolation": "rlimits", "dataset": "cifar10", "out": "marks"}
    env = {"GRADER_JOBS": "5", "GRADER_ISOLATION": "bwrap"}
    values = resolve({"jobs": 2}, assignment_table, "a/assignment.toml", env=env, cwd=tmp_path)
    assert (values["jobs"].value, values["jobs"].source) == (2, "command line")
    assert (values["isolation"].value, values["isolation"].source) == ("bwrap", "environment GRADER_ISOLATION")
    assert values["dataset"].value == "synthetic" and "[tool.grader]" in values["dataset"].source
    assert (values["out"].value, values["out"].source) == ("marks", "a/assignment.toml [grader]")
    assert (values["notebooks"].value, values["notebooks"].source) == (True, "default")
    assert resolve({}, env={"GRADER_NOTEBOOKS": "no"}, cwd=tmp_path)["notebooks"].value is False


def test_bad_values_and_unknown_keys_name_their_source(tmp_path):
    write_pyproject(tmp_path, "jobs = 'many'\n")
    with pytest.raises(UsageError, match=r"jobs from .*pyproject.toml \[tool.grader\]: invalid literal"):
        resolve({}, env={}, cwd=tmp_path)
    write_pyproject(tmp_path, "job = 2\n")
    with pytest.raises(UsageError, match=r"unknown setting\(s\) \['job'\]"):
        resolve({}, env={}, cwd=tmp_path)
    write_pyproject(tmp_path, "")
    with pytest.raises(UsageError, match="isolation from environment GRADER_ISOLATION: must be one of"):
        resolve({}, env={"GRADER_ISOLATION": "docker"}, cwd=tmp_path)


def test_grader_config_shows_values_and_sources(tmp_path, monkeypatch):
    write_pyproject(tmp_path, "jobs = 4\n")
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("GRADER_DATASET", "synthetic")
    run = CliRunner().invoke(main, ["config", "two_layer_net"])
    assert run.exit_code == 0, run.output
    lines = {line.split()[0]: line for line in run.output.splitlines()[1:]}
    assert "4" in lines["jobs"] and str(tmp_path / "pyproject.toml") in lines["jobs"]
    assert "synthetic" in lines["dataset"] and "environment GRADER_DATASET" in lines["dataset"]
    assert lines["isolation"].split()[1:] == ["auto", "default"]
    assert "cifar10_dir" in lines


def test_the_cache_key_changes_with_the_submission_the_assignment_and_the_options(tmp_path):
    a = assignments.load("two_layer_net")
    (tmp_path / "s").mkdir()
    (tmp_path / "s" / "x.py").write_text("x = 1\n")
    base = run_fingerprint(a, GradeOptions())
    key = cache_key(tmp_path / "s", base)
    assert key == cache_key(tmp_path / "s", run_fingerprint(a, GradeOptions()))
    assert key != cache_key(tmp_path / "s", run_fingerprint(a, GradeOptions(select="test_toy_scores")))
    assert key != cache_key(tmp_path / "s", run_fingerprint(a, GradeOptions(public_only=True)))
    (tmp_path / "s" / "x.py").write_text("x = 2\n")
    assert key != cache_key(tmp_path / "s", base)
    copy = dataclasses.replace(a, root=tmp_path / "a")
    shutil.copytree(a.root, copy.root, ignore=shutil.ignore_patterns("__pycache__"))
    assert run_fingerprint(copy, GradeOptions()) == base  # the content counts, not the place
    (copy.root / "checks" / "test_extra.py").write_text("def test_x(): pass\n")
    assert run_fingerprint(copy, GradeOptions()) != base
    assert tree_hash(tmp_path / "s" / "x.py") != tree_hash(tmp_path / "s")
