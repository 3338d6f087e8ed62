"""Student code runs in the course's environment (the assignment's [environment]: numpy 1.x, six...),
built once into the cache, and the jail shows nothing else: not the grader's packages, not the
bundled references, not the base interpreter's site-packages, whichever way grader is installed."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from grader.core import assignment as assignments
from grader.core.assignment import student_files
from grader.core.errors import EnvironmentBuildError
from grader.grading.discover import prepare
from grader.grading.grade import GradeOptions, grade_submission
from grader.grading.mistakes import Edit, apply_edits
from grader.jail import environment
from grader.jail.client import Worker, WorkerOptions
from grader.jail.environment import StudentEnvironment
from grader.jail.sandbox import JAILED, unavailable

REPO = Path(__file__).resolve().parents[1]
JAILS = [level for level in JAILED if level not in unavailable()]
MODULES = "not test_notebook and not test_cifar"


def custom(tmp_path: Path, name: str, requirements: list[str], base: str = "softmax") -> assignments.Assignment:
    """A copy of a bundled assignment whose [environment] lists ``requirements``."""
    root = shutil.copytree(assignments.load(base).root, tmp_path / name)
    toml = (root / "assignment.toml").read_text()
    start = toml.index("[environment]")
    end = toml.index("\n[", start + 1)
    table = f"[environment]\nrequirements = {json.dumps(requirements)}\n"
    (root / "assignment.toml").write_text(toml[:start] + table + toml[end:])
    return assignments.load(root)


def probe(env: StudentEnvironment | None, level: str, code: str, tmp_path: Path):
    """Run ``code`` (a module defining ``run()``) in a worker on ``env`` and return its value."""
    folder = tmp_path / f"probe-{level}"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "probe.py").write_text(code)
    options = WorkerOptions(isolation=level, interpreter=environment.interpreter(env) if env else None)
    with Worker(folder, options) as worker:
        with worker.session(120) as session:
            return session.module("probe").run()


def test_requirements_come_from_the_table_and_the_course_file(tmp_path):
    a = custom(tmp_path, "a", ["numpy==1.26.4"])
    (a.root / "requirements.txt").write_text("# the course's file\nsix>=1.16  # for cPickle\n\nfuture\n")
    toml = (a.root / "assignment.toml").read_text().replace(
        'requirements = ["numpy==1.26.4"]', 'requirements = ["numpy==1.26.4"]\nrequirements_file = "requirements.txt"')
    (a.root / "assignment.toml").write_text(toml)
    a = assignments.load(a.root)
    assert environment.requirements(a) == ["numpy==1.26.4", "six>=1.16", "future"]
    other = custom(tmp_path, "b", ["numpy==1.26.3"])
    assert environment.environment_key(a) != environment.environment_key(other)
    (a.root / "requirements.txt").write_text("-e .\n")
    with pytest.raises(EnvironmentBuildError, match="option lines"):
        environment.requirements(a)


def test_an_unsupported_interpreter_or_an_unresolvable_requirement_stops_before_grading(tmp_path):
    a = custom(tmp_path, "a", ["numpy==1.26.4"])
    with pytest.raises(EnvironmentBuildError, match="supports Python <3.0"):
        environment.ensure(dataclasses.replace(a, environment=dataclasses.replace(a.environment, python="<3.0")))
    missing = custom(tmp_path, "m", ["numpy==1.26.4", "surely-no-such-package-grader-test==9.9"])
    with pytest.raises(EnvironmentBuildError, match="surely-no-such-package-grader-test"):
        environment.ensure(missing)
    assert environment.find(missing) is None  # nothing half-built left in the cache


def test_the_bundled_assignments_run_on_numpy_1_with_six_and_nothing_of_the_grader(tmp_path):
    env = environment.ensure(assignments.load("fc_nets"))
    assert env is not None and env.python.is_file()
    code = ("import os, sys, numpy as np\nfrom six.moves import cPickle\n"
            "def run():\n"
            "    x = np.reshape(np.arange(6), newshape=(2, 3))\n"
            f"    paths = {[str(p) for p in _grader_places()]!r}\n"
            "    return np.__version__, x.shape, [p for p in paths if os.path.exists(p) and "
            "(os.path.isfile(p) or os.listdir(p))]\n")
    for level in JAILS:
        version, shape, visible = probe(env, level, code, tmp_path)
        assert version.startswith("1.") and shape == (2, 3), level
        assert visible == [], f"{level}: student code sees {visible}"


def _grader_places() -> list[Path]:
    """Where grader (and the bundled references) may sit: the package itself (an editable
    install's source tree), the site-packages of the grader's interpreter (a wheel install, the
    copy an editable install leaves there), the base interpreter's site-packages, and any other
    environment on the machine."""
    import site

    import grader

    places = [Path(grader.__file__).parent, REPO / "reference" / "two_layer_net"]
    if sys.prefix != sys.base_prefix:  # the grader's own virtual environment
        places.append(Path(sys.prefix))
    places += [Path(p) / "grader" for p in site.getsitepackages()]
    places += [Path(p) for p in environment._base_site_dirs()]
    places += [Path(p) for p in site.getsitepackages()]
    key = environment.environment_key(assignments.load("fc_nets"))  # other environments built here
    places += [p for p in environment.environments_dir().glob("*") if p.is_dir() and p.name != key]
    return places


def test_course_code_written_for_numpy_1_and_six_gets_full_marks(tmp_path):
    """affine_backward calling np.reshape(dx, newshape=...) (removed in numpy 2.1+) and a module
    importing six.moves.cPickle, as the course's own data_utils does."""
    a = assignments.load("fc_nets")
    folder = student_files(a, tmp_path / "sub")
    layers = (folder / "cs231n" / "layers.py").read_text()
    target = next(line for line in layers.splitlines() if "dx = " in line and "reshape" in line)
    apply_edits(folder, (Edit("cs231n/layers.py", target.strip(),
                              "dx = np.reshape(dout.dot(w.T), newshape=x.shape)"),))
    (folder / "cs231n" / "layers.py").write_text("from six.moves import cPickle as pickle\n"
                                                 + (folder / "cs231n" / "layers.py").read_text())
    assert "newshape=" in (folder / "cs231n" / "layers.py").read_text()
    result = grade_submission(a, prepare(folder, a, tmp_path / "work"), GradeOptions(notebooks=False, select=MODULES))
    assert result.score == result.max_score > 0, [(c.id, c.message) for c in result.checks if not c.passed]


def test_two_assignments_with_different_numpy_versions_grade_side_by_side(tmp_path):
    new = custom(tmp_path, "softmax_numpy2", ["numpy>=2"])
    old = assignments.load("softmax")
    versions = {}
    for a in (old, new):
        env = environment.ensure(a)
        name = a.root.name
        versions[name] = probe(env, JAILS[0] if JAILS else "rlimits",
                               "import numpy\ndef run():\n    return numpy.__version__\n", tmp_path / name)
        folder = student_files(a, tmp_path / f"ref-{name}")
        result = grade_submission(a, prepare(folder, a, tmp_path / f"w-{name}"),
                                  GradeOptions(notebooks=False, select=MODULES))
        assert result.score == result.max_score > 0, (a.name, [c.message for c in result.checks if not c.passed])
    assert versions["softmax"].startswith("1.") and versions["softmax_numpy2"].startswith("2.")


def test_arrays_cross_between_numpy_1_and_2_as_npy(tmp_path):
    env = environment.ensure(assignments.load("softmax"))
    here = tmp_path / "from2.npy"
    np.save(here, np.arange(12, dtype=np.float64).reshape(3, 4) / 7, allow_pickle=False)
    code = ("import numpy as np, sys\n"
            f"a = np.load({str(here)!r}, allow_pickle=False)\n"
            f"np.save({str(tmp_path / 'from1.npy')!r}, a * 2, allow_pickle=False)\n"
            "print(np.__version__)")
    out = subprocess.run([str(env.python), "-I", "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.startswith("1.")
    np.testing.assert_array_equal(np.load(tmp_path / "from1.npy", allow_pickle=False),
                                  np.arange(12).reshape(3, 4) / 7 * 2)


@pytest.mark.slow
def test_an_offline_build_from_a_wheelhouse_and_a_missing_wheel(tmp_path):
    a = custom(tmp_path, "small", ["numpy==1.26.4", "six==1.17.0"])
    wheels = environment.download(a, tmp_path / "wheelhouse")
    assert {w.name.split("-")[0].lower() for w in wheels} == {"numpy", "six"}
    offline = {"UV_OFFLINE": "1", "UV_INDEX_URL": "http://127.0.0.1:9/simple", "PIP_NO_INDEX": "1"}
    env = subprocess.run([sys.executable, "-m", "grader", "env", "build", str(a.root), "--wheelhouse",
                          str(tmp_path / "wheelhouse")], capture_output=True, text=True,
                         env={**_environ(tmp_path / "cache1"), **offline})
    assert env.returncode == 0, env.stderr
    assert "numpy==1.26.4" in env.stdout
    next((tmp_path / "wheelhouse").glob("six-*.whl")).unlink()
    broken = subprocess.run([sys.executable, "-m", "grader", "env", "build", str(a.root), "--wheelhouse",
                             str(tmp_path / "wheelhouse")], capture_output=True, text=True,
                            env={**_environ(tmp_path / "cache2"), **offline})
    assert broken.returncode == 8 and "six" in broken.stderr, broken.stderr


def _environ(cache: Path) -> dict[str, str]:
    import os

    return {**os.environ, "GRADER_CACHE_DIR": str(cache)}


def test_a_notebook_written_for_the_course_runs_in_its_environment(tmp_path):
    """The kernel is the environment's: six.moves and numpy 1.x's API work in notebook cells."""
    from test_notebooks import outputs, run_cells

    env = environment.ensure(assignments.load("two_layer_net"))
    for level in [*JAILS, "rlimits"]:
        run, _, _ = run_cells(tmp_path / level, [
            "from six.moves import cPickle as pickle\nimport numpy as np",
            "x = np.reshape(np.arange(6.0), newshape=(2, 3))\nprint('numpy', np.__version__, x.shape)",
        ], level=level, interpreter=environment.interpreter(env))
        assert run.status == "completed", (level, run.message, run.errors)
        text = "\n".join(outputs(tmp_path / level / "out" / "executed" / "nb.ipynb"))
        assert "numpy 1.26.4 (2, 3)" in text, text


def test_what_workers_and_kernels_import_is_compiled_when_the_environment_is_built():
    """A jail mounts the environment read-only: the bytecode of numpy, matplotlib and what a
    starting kernel imports is written at build time (whatever PYTHONDONTWRITEBYTECODE says), or
    every worker and kernel would compile them again."""
    env = environment.ensure(assignments.load("two_layer_net"))
    site = next(env.root.glob("lib/python3*/site-packages"))
    for module in ("numpy/__init__", "matplotlib/pyplot", "ipykernel/kernelapp", "ipykernel/ipkernel"):
        folder, name = (site / module).parent, (site / module).name
        assert list((folder / "__pycache__").glob(f"{name}.*.pyc")), f"{module} was not compiled"
    # and the saved bytecode is what a read-only import loads (it matches the installed sources)
    verbose = subprocess.run([str(env.root / "bin" / "python"), "-B", "-v", "-c", "import numpy"],
                             capture_output=True, text=True, check=True).stderr
    assert "numpy/__pycache__/__init__" in verbose and "code object from" in verbose
