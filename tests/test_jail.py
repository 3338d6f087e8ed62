"""The jailed worker: isolation, plain-data replies, and failures that cost one call, not the grader."""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pytest

from grader.core.errors import StudentError, WorkerDied, WorkerTimeout
from grader.core.version import SINGLE_THREADED
from grader.jail import busy
from grader.jail.client import RemoteObject, Worker, WorkerOptions
from grader.jail.sandbox import JAILED, LEVELS, JailLimits, best_level, unprivileged_uid

REPO = Path(__file__).resolve().parents[1]
# One worker runs this module whole: the test that saturates every core would otherwise starve
# the wall-clock bounds of the timeout tests running beside it on the other worker.
pytestmark = pytest.mark.xdist_group("jail")

STUDENT = '''
import os, signal, socket, sys
import numpy as np

class Net:
    def __init__(self, n):
        self.params = {"W": np.ones((n, 2))}
        self.reg = 0.0
    def loss(self, X):
        return X.dot(self.params["W"]).sum() + self.reg

def hang():
    while True:
        pass

def spin(seconds):
    import time
    start = time.process_time()
    while time.process_time() - start < seconds:
        pass
    return "done"

def exit_now():
    os._exit(0)

def sys_exit():
    sys.exit(3)

def kill_self():
    os.kill(os.getpid(), signal.SIGKILL)

def allocate(mb):
    return len(bytearray(mb << 20))

def sneaky_array():
    class Sneaky(np.ndarray):
        def __eq__(self, other):
            return True
    return np.zeros(3).view(Sneaky)

def object_array():
    return np.array([None, 1], dtype=object)

def connect():
    socket.create_connection(("127.0.0.1", PORT), timeout=2)
    return "connected"

def read(path):
    with open(path) as f:
        return f.read()[:100]

def noisy():
    print("x" * (50 << 20))
    return "done"

def env():
    return dict(os.environ)

def say(text, warn=False, then_exit=False):
    print(text)
    if warn:
        import warnings
        warnings.warn(text, RuntimeWarning)
    if then_exit:
        os._exit(0)
    return len(text)
'''


@pytest.fixture(scope="module")
def port():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(5)
    yield server.getsockname()[1]
    server.close()


@pytest.fixture(scope="module")
def worker(tmp_path_factory, port):
    folder = tmp_path_factory.mktemp("student")
    (folder / "student.py").write_text(STUDENT.replace("PORT", str(port)))
    options = WorkerOptions(call_seconds=2, limits=JailLimits(memory_mb=1024))
    with Worker(folder, options) as w:
        yield w


def call(worker, name, *args):
    with worker.session(30) as s:
        return getattr(s.module("student"), name)(*args)


def test_isolation_keeps_a_private_file_system_here(worker):
    """bubblewrap where it works, else the namespace jail: never a level that shows the host."""
    assert best_level() in JAILED and worker.isolation == best_level()


def test_objects_stay_remote_and_values_come_back(worker):
    with worker.session(30) as s:
        net = s.module("student").Net(3)
        assert isinstance(net, RemoteObject) and net.remote_type == "Net"
        assert isinstance(net.params, RemoteObject)
        net.params["W"] = np.full((3, 2), 2.0)
        net.reg = 0.5
        assert net.loss(np.ones((4, 3))) == 48.5
        assert np.array_equal(net.params.fetch()["W"], np.full((3, 2), 2.0))
        assert net.loss.parameters() == ["X"]


def test_each_session_starts_fresh(worker):
    with worker.session(30) as s:
        s.module("student").Net.shared = 1
    with worker.session(30) as s:
        with pytest.raises(StudentError, match="AttributeError"):
            s.module("student").Net.shared


def test_infinite_loop_times_out_and_next_session_works(worker):
    start = time.monotonic()
    with pytest.raises(WorkerTimeout, match=r"timed out after 2 s in hang"):
        call(worker, "hang")
    assert time.monotonic() - start < 5
    assert call(worker, "allocate", 1) == 1 << 20
    # the same function hangs again in a later check: it costs rehang_seconds, not the full limit
    start = time.monotonic()
    with pytest.raises(WorkerTimeout, match=r"hang ran out of time in an earlier check, so each call had 1 s here"):
        call(worker, "hang")
    assert time.monotonic() - start < 1.9
    assert call(worker, "allocate", 2) == 2 << 20  # other functions keep their whole limit


def saturate(seconds: float) -> list[subprocess.Popen]:
    """Every core busy with other work for ``seconds`` (four times over)."""
    loop = f"import time\nend = time.time() + {seconds}\nwhile time.time() < end: pass"
    # each in its own session, as the worker is (the scheduler shares CPU between sessions first)
    return [subprocess.Popen([sys.executable, "-c", loop], start_new_session=True)
            for _ in range(4 * (os.cpu_count() or 1))]


def test_a_limit_is_not_spent_while_other_work_starves_the_student(worker):
    """0.8 s of CPU within a 2 s limit passes on a saturated machine (the student got a fifth of
    a core), and a hang still ends within its limit and the grace."""
    others = saturate(20)
    try:
        start = time.monotonic()
        assert call(worker, "spin", 0.8) == "done"
        assert time.monotonic() - start > 2  # past its limit in wall time, and not cut
        start = time.monotonic()
        with pytest.raises(WorkerTimeout, match="timed out"):  # (an earlier test may have hung it already)
            call(worker, "hang")  # starved too here, so it may use the grace: never more
        hung = time.monotonic() - start
    finally:
        for process in others:
            process.kill()
            process.wait()
    # the limit, the grace, and stopping the hung process on a machine this busy (20 spinning
    # processes here, the rest of the suite on the other core)
    assert hung < 2 + busy.grace(2) + 4


@pytest.mark.parametrize("name,kind,message", [
    ("exit_now", WorkerDied, "ended the process"),
    ("kill_self", WorkerDied, "SIGKILL"),
    ("sys_exit", StudentError, "SystemExit"),
])
def test_crashes_cost_one_call(worker, name, kind, message):
    with pytest.raises(kind, match=message):
        call(worker, name)
    assert call(worker, "allocate", 1) == 1 << 20


def test_memory_limit(worker):
    with pytest.raises((StudentError, WorkerDied), match="MemoryError|memory"):
        call(worker, "allocate", 2048)


def test_misleading_arrays_do_not_cross(worker):
    assert isinstance(call(worker, "sneaky_array"), RemoteObject)
    assert isinstance(call(worker, "object_array"), RemoteObject)


def test_no_network_in_the_jail(worker):
    with pytest.raises(StudentError, match="OSError|ConnectionRefused|Network"):
        call(worker, "connect")


def test_reference_and_grader_files_are_invisible(worker):
    for path in (REPO / "reference" / "two_layer_net" / "assignment.toml",
                 REPO / "grader" / "__init__.py"):
        with pytest.raises(StudentError, match="FileNotFoundError"):
            call(worker, "read", str(path))


def test_environment_is_scrubbed(worker, monkeypatch):
    env = call(worker, "env")
    assert "GRADER_CACHE_DIR" not in env and env["HOME"] == "/tmp"
    assert set(env) <= {"PATH", "HOME", "LANG", "PYTHONHASHSEED", "PYTHONDONTWRITEBYTECODE",
                        "PYTHONUNBUFFERED", "MPLBACKEND", "MPLCONFIGDIR", "PWD", *SINGLE_THREADED}
    assert all(env[name] == "1" for name in SINGLE_THREADED)


@pytest.mark.parametrize("given", [None, "3"])
def test_the_grader_runs_one_blas_thread_unless_told_otherwise(given):
    """Every grader process (the CLI, its batch and Dask workers) starts numpy with one BLAS
    thread, as the jail does; a thread count the user set is kept."""
    env = {k: v for k, v in os.environ.items() if k not in SINGLE_THREADED}
    if given:
        env["OPENBLAS_NUM_THREADS"] = given
    code = "import grader, json, numpy, os; print(json.dumps({n: os.environ[n] for n in grader.SINGLE_THREADED}))"
    shown = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    assert json.loads(shown.stdout) == {**SINGLE_THREADED, "OPENBLAS_NUM_THREADS": given or "1"}


def test_huge_output_is_bounded(worker):
    assert call(worker, "noisy") == "done"
    assert len(worker.output()) <= 64 << 10


def test_each_check_gets_exactly_its_own_output(worker):
    """Output is read on a thread; the fork server's end-of-check mark makes what a check gets
    complete and never shared with the next one, however the threads are scheduled."""
    worker.output()
    for i in range(25):
        text = f"check {i} " + "y" * (i * 997)
        call(worker, "say", text, i % 2 == 0)
        output = worker.output()
        assert text + "\n" in output and f"check {i - 1} " not in output, (i, output[:80])
        assert ("RuntimeWarning" in output) == (i % 2 == 0) and "\x00" not in output
    with pytest.raises(WorkerDied, match="ended the process"):
        call(worker, "say", "last words", False, True)
    assert worker.output() == "last words\n"


@pytest.mark.parametrize("level", ["unshare", "rlimits"])
def test_fallback_levels_still_grade(tmp_path, level):
    shutil.copy(REPO / "reference" / "two_layer_net" / "cs231n" / "classifiers" / "neural_net.py",
                tmp_path / "neural_net.py")
    with Worker(tmp_path, WorkerOptions(isolation=level)) as w:
        with w.session(30) as s:
            s.seed(0)
            net = s.module("neural_net").TwoLayerNet(4, 10, 3, std=0.1)
            assert net.loss(np.ones((2, 4))).shape == (2, 3)
        assert w.isolation == level


def test_grader_package_is_masked_when_it_sits_in_a_bound_directory(tmp_path, monkeypatch):
    """A wheel install puts grader (and its bundled references) in site-packages, which the jail
    must bind for numpy: the grader folder is then covered by an empty tmpfs."""
    from grader.jail import sandbox
    real = sandbox._python_dirs()
    monkeypatch.setattr(sandbox, "_python_dirs", lambda: real + [REPO])
    (tmp_path / "peek.py").write_text("import os\ndef look(p):\n    return sorted(os.listdir(p))\n")
    with Worker(tmp_path, WorkerOptions()) as w:
        with w.session(30) as s:
            look = s.module("peek").look
            assert look(str(REPO / "grader")) == []
            assert "pyproject.toml" in look(str(REPO))


def test_an_editable_installs_bundled_copy_in_site_packages_is_masked(tmp_path, monkeypatch):
    """hatchling's editable install leaves grader/_bundled/reference in site-packages, which the
    jail binds for numpy: it is covered too, though the package itself lives elsewhere."""
    from grader.jail import sandbox
    site_dir = tmp_path / "site-packages"
    (site_dir / "grader" / "_bundled" / "reference").mkdir(parents=True)
    (site_dir / "grader" / "_bundled" / "reference" / "solution.py").write_text("ANSWER = 42\n")
    (site_dir / "numpy_like.py").write_text("VALUE = 1\n")
    real = sandbox._python_dirs()
    monkeypatch.setattr(sandbox, "_python_dirs", lambda: real + [site_dir])
    monkeypatch.setattr(sandbox.site, "getsitepackages", lambda: [str(site_dir)])
    (tmp_path / "sub").mkdir()
    (tmp_path / "sub" / "peek.py").write_text("import os\ndef look(p):\n    return sorted(os.listdir(p))\n")
    with Worker(tmp_path / "sub", WorkerOptions()) as w:
        with w.session(30) as s:
            look = s.module("peek").look
            assert look(str(site_dir / "grader")) == []
            assert "numpy_like.py" in look(str(site_dir))


ORPHAN_SCRIPT = """
import sys
from pathlib import Path
from grader.jail.client import Worker, WorkerOptions
submission = Path(sys.argv[1])
(submission / "beat.py").write_text(
    "import time\\ndef forever():\\n    while True:\\n        sum(range(1000))\\n        time.sleep(0.01)\\n")
with Worker(submission, WorkerOptions(isolation=sys.argv[2], call_seconds=120)) as worker:
    session = worker.session(120, 120)
    print("started", flush=True)
    session.module("beat").forever()
"""


@pytest.mark.parametrize("level", [level for level in LEVELS if level in LEVELS[LEVELS.index(best_level()):]])
def test_student_code_dies_with_a_killed_grader(tmp_path, level):
    """A grader killed with SIGKILL leaves no student code running (bubblewrap has
    --die-with-parent; the other levels ask the kernel for SIGKILL when the grader dies, and
    the namespace jail's student processes die with its PID namespace)."""
    import subprocess
    import sys

    import psutil

    (tmp_path / "sub").mkdir()
    script = tmp_path / "grader_process.py"
    script.write_text(ORPHAN_SCRIPT)
    grader = subprocess.Popen([sys.executable, str(script), str(tmp_path / "sub"), level],
                              stdout=subprocess.PIPE, text=True)
    assert grader.stdout.readline().strip() == "started"
    time.sleep(1.0)  # the check's child is forked and looping
    student = psutil.Process(grader.pid).children(recursive=True)
    assert any("_worker.py" in " ".join(p.cmdline()) for p in student), "no worker was started"
    from grader.core.files import _namespace

    left = list(Path(tempfile.gettempdir()).glob(f"grader-jail-{_namespace()}-{grader.pid}-*"))
    assert left, "the grader's scratch folder is named after it"
    grader.kill()
    grader.wait()
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(_running(p) for p in student):
        time.sleep(0.1)
    assert not [p.pid for p in student if _running(p)], "student code kept running after the grader was killed"
    with Worker(tmp_path / "sub", WorkerOptions(isolation=level)) as worker, worker.session(30):
        assert not any(p.exists() for p in left)  # the next grader's worker swept it away


def _running(process) -> bool:
    try:
        return process.is_running() and process.status() != "zombie"
    except Exception:  # psutil.NoSuchProcess
        return False


@pytest.mark.skipif(os.geteuid() != 0, reason="the unprivileged user is only used when the grader runs as root")
def test_without_a_jail_root_runs_student_code_as_an_unprivileged_user(tmp_path, public_python):
    """As in a Gradescope container without namespaces: student code cannot read what only root
    may (the bundle's checks and reference), yet reads its own submission."""
    secret = tmp_path / "bundle" / "reference.py"
    secret.parent.mkdir()
    secret.write_text("SOLUTION")
    secret.parent.chmod(0o700)
    folder = tmp_path / "student"
    folder.mkdir()
    (folder / "student.py").write_text(STUDENT.replace("PORT", "1"))
    with Worker(folder, WorkerOptions(isolation="rlimits", call_seconds=10, interpreter=public_python)) as w:
        with w.session(30) as s:
            assert s.module("os").getuid() not in (0, os.getuid())
        with pytest.raises(StudentError, match="PermissionError"):
            call(w, "read", str(secret))
        assert call(w, "read", str(folder / "student.py")).startswith("\nimport os")
    # an interpreter other users cannot reach (under /root): student code keeps running, as root
    assert unprivileged_uid("rlimits", ("/root/nowhere/python",)) is None
