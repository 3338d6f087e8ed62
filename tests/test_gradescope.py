"""Gradescope bundles end to end, in a Gradescope-shaped sandbox: ``grader gradescope`` writes the
zip; it is unpacked into a fresh folder standing in for /autograder (``GRADER_AUTOGRADER_ROOT``);
``setup.sh`` runs there without network (everything comes from the zip); ``run_autograder``
grades uploads; every ``results.json`` validates against Gradescope's documented schema."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import REPO

from grader.cli import main
from grader.core import assignment as assignments
from grader.core.results import CheckResult, SubmissionResult
from grader.core.solutions import release_files
from grader.data.grading import synthetic_dir
from grader.gradescope import BundleConfig
from grader.gradescope.image import failure, fit_budget, run_reporting
from grader.grading.mistakes import load_mistakes, make_mistaken_submission
from grader.jail import environment

pytestmark = pytest.mark.xdist_group("gradescope")  # one worker fetches the wheels once
SCHEMA = json.loads((Path(__file__).parent / "gradescope_results.schema.json").read_text())
LEAK = "GRADESCOPE-LEAK"


def valid(results: dict) -> dict:
    jsonschema.validate(results, SCHEMA)
    return results


@pytest.fixture(scope="session")
def wheelhouse(tmp_path_factory) -> Path:
    """This checkout's wheel and its dependencies' wheels, fetched once with the machine's pip
    settings (what an instructor's `grader gradescope` does without --wheelhouse)."""
    folder = tmp_path_factory.mktemp("wheelhouse")
    pip = [sys.executable, "-m", "pip", "-q"]
    subprocess.run([*pip, "wheel", "--no-deps", "-w", str(folder), str(REPO)], check=True, timeout=600)
    own = next(folder.glob("nn_grader-*.whl"))
    subprocess.run([*pip, "download", "--only-binary", ":all:", "-d", str(folder), str(own)], check=True, timeout=600)
    return folder


@pytest.fixture(scope="session")
def student_wheelhouses(tmp_path_factory):
    """The students' environment's wheels, downloaded once per set of requirements."""
    made: dict[str, Path] = {}

    def get(name: str) -> Path:
        a = assignments.load(name)
        key = environment.environment_key(a)
        if key not in made:
            made[key] = tmp_path_factory.mktemp(f"student-wheels-{name}")
            environment.download(a, made[key])
        return made[key]
    return get


def offline() -> list[str]:
    """Run without network: a new network namespace (root here; else an unprivileged one)."""
    for prefix in (["unshare", "--net"], ["unshare", "--user", "--map-root-user", "--net"]):
        if shutil.which("unshare") and subprocess.run([*prefix, "true"], capture_output=True).returncode == 0:
            return prefix
    return []


# The host's package manager is out of the image's reach: setup.sh installs bubblewrap with
# apt-get where it is missing, which on this machine would install it on the host (a local package
# cache can satisfy it offline). These stand-ins, first on the image's PATH, record the request.
PACKAGE_TOOLS = ("apt-get", "apt", "dpkg", "sudo")
STAND_IN = '#!/bin/sh\necho "$(basename "$0") $*" >> "$(dirname "$0")/requests.log"\nexit 100\n'


class Sandbox:
    """A folder laid out like Gradescope's /autograder with a bundle unpacked and set up."""

    def __init__(self, root: Path, bundle: Path, uv_cache: Path) -> None:
        self.root, self.uv_cache = root, uv_cache
        for name in ("source", "submission", "results", "home", "stand-ins"):
            (root / name).mkdir(parents=True)
        for tool in PACKAGE_TOOLS:
            (root / "stand-ins" / tool).write_text(STAND_IN)
            (root / "stand-ins" / tool).chmod(0o755)
        with zipfile.ZipFile(bundle) as zf:  # as unzip does: the files' modes kept
            for info in zf.infolist():
                path = zf.extract(info, root / "source")
                if info.external_attr >> 16:
                    os.chmod(path, (info.external_attr >> 16) & 0o777)
        shutil.copy(root / "source" / "run_autograder", root / "run_autograder")
        self.setup = self._run(["bash", str(root / "source" / "setup.sh")])

    def _run(self, command: list[str]) -> subprocess.CompletedProcess:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("GRADER_", "UV_", "VIRTUAL_ENV"))}
        env.update(GRADER_AUTOGRADER_ROOT=str(self.root), HOME=str(self.root / "home"),
                   UV_CACHE_DIR=str(self.uv_cache),  # an administrator's uv cache, shared by the test's images
                   PATH=f"{self.root / 'stand-ins'}:{env.get('PATH', '/usr/bin:/bin')}")
        return subprocess.run([*offline(), *command], env=env, capture_output=True, text=True, timeout=1200)

    def grade(self, fill) -> dict:
        """Upload what ``fill(folder)`` writes, run the autograder, return a valid results.json."""
        shutil.rmtree(self.root / "submission")
        (self.root / "submission").mkdir()
        fill(self.root / "submission")
        run = self._run([str(self.root / "run_autograder")])
        assert run.returncode == 0, run.stdout + run.stderr
        return valid(json.loads((self.root / "results" / "results.json").read_text()))

    def file(self, *parts: str) -> Path:
        return self.root.joinpath(*parts)

    def package_requests(self) -> list[str]:
        """What the image asked of the package manager (the stand-ins answered: failed)."""
        log = self.root / "stand-ins" / "requests.log"
        return log.read_text().splitlines() if log.is_file() else []


@pytest.fixture(scope="session")
def uv_cache(tmp_path_factory) -> Path:
    return tmp_path_factory.mktemp("uv-cache")


def bundle(name: str, tmp: Path, wheelhouse: Path, students: Path, uv_cache: Path, *extra: str) -> Sandbox:
    out = tmp / f"{name}.zip"
    built = CliRunner().invoke(main, ["gradescope", name, "-o", str(out), "--wheelhouse", str(wheelhouse),
                                      "--student-wheelhouse", str(students), *extra])
    assert built.exit_code == 0, built.output
    sandbox = Sandbox(tmp / "autograder", out, uv_cache)
    assert sandbox.setup.returncode == 0, sandbox.setup.stdout[-3000:] + sandbox.setup.stderr[-3000:]
    return sandbox


def by_check(results: dict) -> dict[str, dict]:
    return {t["extra_data"]["check_id"].split("::")[-1]: t for t in results["tests"]}


def hostile(root: Path):
    """A module that reads the bundled reference and forges the results file, as root would."""
    def fill(folder: Path) -> None:
        (folder / "neural_net.py").write_text(
            "import glob, os\n"
            f"for p in glob.glob({str(root)!r} + '/source/assignment/*/cs231n/classifiers/neural_net.py'):\n"
            f"    print({LEAK!r}); exec(open(p).read())\n"
            "try:\n"
            f"    open({str(root)!r} + '/results/results.json', 'w').write('{{\"score\": 1000}}')\n"
            "except OSError:\n    pass\n")
    return fill


@pytest.mark.slow
def test_a_two_layer_net_bundle_grades_every_kind_of_upload(tmp_path, wheelhouse, student_wheelhouses, uv_cache):
    a = assignments.load("two_layer_net")
    box = bundle("two_layer_net", tmp_path, wheelhouse, student_wheelhouses("two_layer_net"), uv_cache,
                 "--dataset", "synthetic")
    assert "the reference scored 30 / 30" in box.setup.stdout
    # where bubblewrap is missing, setup asks apt-get for it, is refused, and grades all the same
    asked = box.package_requests()
    assert asked == ([] if shutil.which("bwrap") else ["apt-get update -qq"]), asked
    assert ("could not install bubblewrap" in box.setup.stdout) == bool(asked)
    assert oct(box.file("source").stat().st_mode & 0o777) == "0o700"

    # setup graded the solved assignment as an upload, through run_autograder's own function
    graded = valid(json.loads(box.file("grader", "reference-results.json").read_text()))
    assert graded["score"] == graded["extra_data"]["max_score"] > 0, graded["output"]
    assert [e["name"] for e in graded["leaderboard"]] == ["Validation accuracy", "Test accuracy"]
    assert all(e["value"] > 0.8 for e in graded["leaderboard"])  # the grader's own measurement
    assert {t["visibility"] for t in graded["tests"]} == {"visible", "after_published"}
    assert graded["stdout_visibility"] == "hidden"
    # the reference's accuracy after the grader's own training was measured once, at setup: every
    # upload reads it from the image instead of training the reference again
    assert list(box.file("grader", "cache", "reference-measures").glob("*.json"))

    def template_zip(f: Path) -> None:
        release_files(a, f.parent / "template")
        shutil.make_archive(str(f / "handin"), "zip", f.parent / "template")
    stub = box.grade(template_zip)
    assert stub["score"] == 0 and len(stub["tests"]) == len(graded["tests"])
    assert all(e["value"] == 0 for e in stub["leaderboard"])

    mistake = {m.id: m for m in load_mistakes(a)}["reg_half_convention"]

    def loose_mistake(f: Path) -> None:  # the module uploaded alone, without its folders
        made = make_mistaken_submission(a, mistake, f.parent / "made")
        shutil.copy(made / "cs231n" / "classifiers" / "neural_net.py", f / "neural_net.py")
    wrong = by_check(box.grade(loose_mistake))
    failed = {k for k, t in wrong.items() if t["status"] == "failed"}
    notebook = {k for k, t in wrong.items() if "test_notebook.py" in t["extra_data"]["check_id"]}
    assert set(mistake.fails) <= failed and failed - set(mistake.fails) <= notebook  # no notebook handed in
    assert any(f"Likely mistake: {mistake.title}" in t["output"] for t in wrong.values())

    forged = box.grade(hostile(box.root))
    assert forged["score"] == 0 and LEAK not in json.dumps(forged)
    empty = box.grade(lambda f: None)
    assert empty["score"] == 0 and "the upload is empty" in empty["output"]
    corrupt = box.grade(lambda f: (f / "handin.zip").write_bytes(b"PK\x03\x04 not really a zip"))
    assert corrupt["score"] == 0 and "not a readable zip file" in corrupt["output"]


@pytest.mark.slow
@pytest.mark.parametrize("name", ["fc_nets", "cs498dl_nn", "softmax"])
def test_every_bundled_assignment_deploys(name, tmp_path, wheelhouse, student_wheelhouses, uv_cache):
    """Setup graded the reference as an upload (full marks, its notebook run, the leaderboard's
    columns found); the image answers an upload. softmax carries its dataset in its zip (the
    grader's synthetic set, which has CIFAR-10's layout). (two_layer_net's test grades every kind
    of upload; test_grading gives every template 0.)"""
    a = assignments.load(name)
    data = ["--dataset", str(synthetic_dir().parent) if name == "softmax" else "synthetic"]
    box = bundle(name, tmp_path, wheelhouse, student_wheelhouses(name), uv_cache, *data, "--hidden-visibility", "hidden")
    reference = valid(json.loads(box.file("grader", "reference-results.json").read_text()))
    assert reference["score"] == reference["extra_data"]["max_score"] > 0
    assert bool(reference.get("leaderboard")) == bool(a.notebooks)
    assert "hidden" in {t["visibility"] for t in reference["tests"]}
    if name == "softmax":
        assert json.loads(box.file("source", "bundle.json").read_text())["dataset"] == "bundled"
        assert box.file("grader", "data", "cifar-10-batches-py", "data_batch_1").is_file()
    assert box.grade(lambda f: None)["score"] == 0  # the image answers an upload


def test_a_bundle_refuses_what_it_cannot_carry(tmp_path):
    bad = CliRunner().invoke(main, ["gradescope", "softmax", "-o", str(tmp_path / "a.zip"), "--dataset",
                                    str(tmp_path)])
    assert bad.exit_code == 9 and "not cifar10, synthetic, nor a folder" in bad.output


def test_notebooks_are_fitted_inside_the_time_budget():
    a = assignments.load("fc_nets")
    fitted = fit_budget(a, 900)
    assert fitted.limits.notebook_seconds == 900 - 225 - 60
    assert fitted.limits.notebook_cell_seconds <= fitted.limits.notebook_seconds
    assert fit_budget(a, 86400).limits.notebook_seconds == a.limits.notebook_seconds  # never above the declared


def test_a_broken_image_still_writes_a_result(tmp_path):
    """No bundle at all: run_autograder's Python side reports that it failed, with a score."""
    assert run_reporting(tmp_path) == 0
    results = valid(json.loads((tmp_path / "results" / "results.json").read_text()))
    assert results["score"] == 0 and "says nothing about your work" in results["output"]
    assert valid(failure("x"))["tests"] == []


def test_visibility_and_leaderboard_of_results():
    checks = (CheckResult("m::test_a", "A", 1, 1, "passed", metrics={"validation accuracy": 0.5}),
              CheckResult("m::test_b", "B", 0, 2, "failed", message="secret input 42", hidden=True,
                          metrics={"test accuracy": 0.4}))
    result = SubmissionResult("s", "a", checks, "bwrap", "0", "h")
    data = valid(result.to_gradescope("after_due_date", ["Validation accuracy", "Test accuracy"]))
    assert [t["visibility"] for t in data["tests"]] == ["visible", "after_due_date"]
    assert "42" not in data["tests"][1]["output"]
    # a hidden check's measurement stays off the leaderboard students see
    assert data["leaderboard"] == [{"name": "Validation accuracy", "value": 0.5, "order": "desc"},
                                   {"name": "Test accuracy", "value": 0.0, "order": "desc"}]
    assert "Measured by the grader: validation accuracy 0.5" in data["tests"][0]["output"]
    assert BundleConfig.from_json(BundleConfig("a", "3.11", "synthetic", "hidden", 60, True, "0").to_json()).python == "3.11"
