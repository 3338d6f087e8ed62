from __future__ import annotations

import fcntl
import functools
import json
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

import machine
import pytest

from grader.core import assignment as assignments
from grader.jail import sandbox
from grader.oracle.reference import Reference

REPO = Path(__file__).resolve().parents[1]


def shared_dir() -> Path:
    """``../shared`` beside the checkout (CI lays it there), or ``GRADER_SHARED_DIR``."""
    return Path(os.environ.get("GRADER_SHARED_DIR") or REPO.parent / "shared")


@pytest.fixture(scope="session")
def cifar_subset() -> Path:
    path = shared_dir() / "data" / "cifar10-subset" / "cifar-10-batches-py"
    if not (path / "test_batch").is_file():
        pytest.fail(f"the real CIFAR-10 subset is expected at {path} (set GRADER_SHARED_DIR)")
    return path


# -- the run: its own home, its jail levels chosen once, the machine left as it was ----------------
LEVELS_VARIABLE = "GRADER_TEST_UNAVAILABLE_LEVELS"
_probe_levels = sandbox.unavailable


def _missing_levels() -> dict[str, str]:
    """The jail levels this run cannot build, and why: probed once, by the controller."""
    return json.loads(os.environ[LEVELS_VARIABLE])


@pytest.hookimpl(trylast=True)  # after pytest's tmp_path factory exists
def pytest_configure(config):
    """The controller (or a run without xdist) gives the run a private home and grader cache in
    its temporary folder (one cache for the whole run, shared by the xdist workers: the
    environments, datasets and reference times it holds are built atomically or under a lock,
    so each is built once), probes the jail levels once and records the machine's state; the
    workers inherit the first two through the environment. In every process the jail levels
    are the run's, whatever the machine offers later."""
    if not hasattr(config, "workerinput"):
        base = config._tmp_path_factory.getbasetemp()
        os.environ.update(machine.private_home(base))
        os.environ[LEVELS_VARIABLE] = json.dumps(_probe_levels())
        config.stash[_BEFORE] = machine.snapshot(_REAL_HOME)
    chosen = _missing_levels()
    sandbox.unavailable = functools.lru_cache(maxsize=None)(lambda: dict(chosen))


_BEFORE = pytest.StashKey[dict]()
_CHANGED = pytest.StashKey[list]()
_REAL_HOME = os.path.expanduser("~")


def pytest_report_header(config):
    missing = _missing_levels()
    tested = [level for level in sandbox.LEVELS if level not in missing]
    lines = [f"jail levels tested in this run: {', '.join(tested)}"]
    lines += [f"jail level {level} cannot be built here, its tests are not collected: {why}"
              for level, why in missing.items()]
    return lines


@pytest.hookimpl(trylast=True)  # after xdist has stopped its workers: their process folders are gone
def pytest_sessionfinish(session):
    config = session.config
    if hasattr(config, "workerinput") or _BEFORE not in config.stash:
        return
    changed = machine.changes(config.stash[_BEFORE], machine.snapshot(_REAL_HOME)) + _levels_changed()
    config.stash[_CHANGED] = changed
    if changed:
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def _levels_changed() -> list[str]:
    """The jail levels probed again: a level that came or went during the run is a change."""
    _probe_levels.cache_clear()
    tested, now = (sorted(set(sandbox.JAILED) - set(missing))
                   for missing in (_missing_levels(), _probe_levels()))
    return [] if now == tested else [f"jail levels: the machine now offers {now}, this run tested {tested}"]


def pytest_terminal_summary(terminalreporter, config):
    changed = config.stash.get(_CHANGED, [])
    if changed:
        terminalreporter.section("the machine changed during the run", sep="!", red=True)
        for line in changed:
            terminalreporter.write_line(line)


@functools.lru_cache(maxsize=None)
def _marks_a_group(path: str) -> bool:
    file = REPO / path
    return file.suffix == ".py" and file.is_file() and "xdist_group(" in file.read_text(encoding="utf-8")


@pytest.hookimpl(optionalhook=True)  # a run with -p no:xdist still loads this file
def pytest_xdist_make_scheduler(config, log):
    """``--dist loadgroup``, by module: a module that sets an ``xdist_group`` mark runs whole on one
    worker (its session fixtures, a graded class, are then built once). pytest 9 derives a node id
    from a structured id that pytest-xdist's own loadgroup can no longer suffix with the group, so
    its marks were silently ignored and both workers built every class."""
    if config.getvalue("dist") != "loadgroup":
        return None
    from xdist.scheduler import LoadScopeScheduling

    class ByMarkedModule(LoadScopeScheduling):
        def _split_scope(self, nodeid: str) -> str:
            path = nodeid.split("::", 1)[0]
            return path if _marks_a_group(path) else nodeid

    return ByMarkedModule(config, log)


def pytest_collection_modifyitems(items):
    """Tests marked slow first: the long ones start while the quick ones fill the other workers
    (xdist hands out whole marked modules first, the largest first, then single tests in this order)."""
    items.sort(key=lambda item: item.get_closest_marker("slow") is None)


@pytest.fixture(scope="session")
def two_layer() -> Reference:
    return Reference(assignments.load("two_layer_net"))


@pytest.fixture(scope="session")
def fc() -> Reference:
    return Reference(assignments.load("fc_nets"))


@pytest.fixture(scope="session")
def dl() -> Reference:
    return Reference(assignments.load("cs498dl_nn"))


def pytest_addoption(parser):
    parser.addoption("--update-goldens", action="store_true",
                     help="rewrite tests/goldens/ from the current output instead of comparing")


@pytest.fixture
def golden(request):
    """``golden(name, text)``: compare ``text`` with ``tests/goldens/<name>``, or rewrite it under
    ``--update-goldens``. Review the diff of the goldens before committing."""
    update = request.config.getoption("--update-goldens")

    def check(name: str, text: str) -> None:
        path = REPO / "tests" / "goldens" / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="")
            return
        assert path.is_file(), f"no golden {path}; run pytest --update-goldens and review it"
        expected = path.read_bytes().decode("utf-8")
        assert text == expected, f"{name} differs from its golden; if intended, run pytest --update-goldens"

    return check


HOSTILE_PRINT = "<script>document.title='pwned'</script>"
HOSTILE_ERROR = "<img src=x onerror=\"document.title='pwned'\">"


def built_once(tmp_path_factory, name: str, build) -> Path:
    """``<run's temporary folder>/<name>``, filled by ``build(folder)`` once per test run: the xdist
    workers share it (the first builds it under a lock, the others wait and read it). For what
    tests only read."""
    base = tmp_path_factory.getbasetemp()
    shared = base.parent if os.environ.get("PYTEST_XDIST_WORKER") else base
    folder, done = shared / name, shared / f"{name}.built"
    with open(shared / f"{name}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.is_file():
            shutil.rmtree(folder, ignore_errors=True)
            folder.mkdir()
            build(folder)
            done.touch()
    return folder


@pytest.fixture(scope="session")
def graded_class(tmp_path_factory) -> Path:
    """A small class graded through the CLI, once per run: the reference, a catalogued mistake, a
    stub, and a submission whose output and error messages are HTML/JavaScript meant to run in
    the report. Tests read it and never change it."""
    return built_once(tmp_path_factory, "graded-class", grade_small_class) / "out"


def grade_small_class(root: Path) -> None:
    from click.testing import CliRunner

    from grader.cli import main
    from grader.core.assignment import student_files
    from grader.core.solutions import release_files
    from grader.grading.mistakes import load_mistakes, make_mistaken_submission

    a = assignments.load("two_layer_net")
    klass = root / "class"
    student_files(a, klass / "alice")
    mistake = {m.id: m for m in load_mistakes(a)}["reg_half_convention"]
    make_mistaken_submission(a, mistake, klass / "bob")
    release_files(a, klass / "carol")
    module = student_files(a, klass / "mallory") / "cs231n" / "classifiers" / "neural_net.py"
    text = module.read_text(encoding="utf-8")
    text = text.replace("    def predict(self, X):\n", f"    def predict(self, X):\n"
                        f"        print({HOSTILE_PRINT!r})\n        raise ValueError({HOSTILE_ERROR!r})\n", 1)
    module.write_text(text, encoding="utf-8")
    result = CliRunner().invoke(main, ["grade", "two_layer_net", str(klass), "-o", str(root / "out"),
                                       "--no-notebooks", "-k", "not test_notebook", "--similarity"])
    assert result.exit_code == 0, result.output


@pytest.fixture(scope="session")
def public_python():
    """A virtual environment with numpy and ipykernel that any user may run (on a system Python, in a folder
    every user can reach): what a Gradescope image has. Built by the grader's own environment builder."""
    from grader.jail import environment

    system = shutil.which("python3", path="/usr/bin:/usr/local/bin")
    folder = Path(tempfile.mkdtemp(prefix="grader-public-"))
    folder.chmod(0o755)
    try:
        environment.build(folder / "env", ["numpy", "ipykernel"], python=system)
        base = subprocess.run([system, "-c", "import sys; print(sys.base_prefix)"], capture_output=True,
                              text=True, check=True).stdout.strip()
        yield sandbox.Interpreter(str(folder / "env" / "bin" / "python"), (base, str(folder / "env")))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
