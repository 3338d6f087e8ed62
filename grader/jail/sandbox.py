"""How a worker is isolated: bubblewrap if it works here, else ``unshare``, else rlimits only.

Isolation levels, strongest first (recorded in every result):

``bwrap``
    New user, PID, network, IPC and UTS namespaces; the file system shows only the interpreter
    and its libraries (read-only), the private copy of the submission (``/submission``), the
    worker program (``/grader-runtime``, read-only) and a private ``/tmp``. The grader package,
    references, hidden checks, results and other submissions are not there at all.
``unshare``
    A new network namespace (no network), rlimits, scrubbed environment; the file system is the
    host's, so files readable by the grader's user are readable by student code.
``rlimits``
    Resource limits and a scrubbed environment only.
"""

from __future__ import annotations

import ctypes
import functools
import os
import resource
import signal
import shutil
import site
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

LEVELS = ("bwrap", "unshare", "rlimits")
TMPFS_BYTES = 512 << 20  # the jail's private /tmp lives in memory: cap it


@dataclass(frozen=True)
class JailLimits:
    """Resource limits applied to the worker process tree."""

    memory_mb: int = 2048
    cpu_seconds: int = 120
    file_size_mb: int = 256
    open_files: int = 256
    tasks: int = 64  # processes and threads (pids cgroup; RLIMIT_NPROC when not root)


# Set by a machine's administrator where a BLAS kernel computes wrongly or crashes on its CPU
# (old OpenBLAS builds on new processors): the jailed numpy needs them as much as the grader's.
HARDWARE_VARIABLES = ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "OPENBLAS_VERBOSE", "MKL_CBWR",
                      "MKL_ENABLE_INSTRUCTIONS", "NPY_DISABLE_CPU_FEATURES")


def scrubbed_env(home: str) -> dict[str, str]:
    """The whole environment student code sees: nothing inherited from the grader but the BLAS
    kernel choices of :data:`HARDWARE_VARIABLES`."""
    inherited = {k: os.environ[k] for k in HARDWARE_VARIABLES if os.environ.get(k)}
    return {**inherited,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        "OMP_NUM_THREADS": "1",
        "OPENBLAS_NUM_THREADS": "1",
        "MKL_NUM_THREADS": "1",
        "MPLBACKEND": "Agg",
        "MPLCONFIGDIR": f"{home}/.matplotlib",
    }


PR_SET_PDEATHSIG = 1


def die_with_parent() -> None:
    """Ask the kernel to SIGKILL this process when the grader dies (bubblewrap's
    ``--die-with-parent`` for the levels without it): a killed grader never leaves a student's
    code running, e.g. filling the disk."""
    try:
        libc = ctypes.CDLL(None, use_errno=True)  # libc is loaded already
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # pragma: no cover - not Linux
        pass


def apply_limits(limits: JailLimits) -> None:
    """Set rlimits in the child between fork and exec (``preexec_fn``), and tie its life to the
    grader's."""
    die_with_parent()
    mib = 1 << 20
    resource.setrlimit(resource.RLIMIT_AS, (limits.memory_mb * mib,) * 2)
    resource.setrlimit(resource.RLIMIT_CPU, (limits.cpu_seconds, limits.cpu_seconds + 5))
    resource.setrlimit(resource.RLIMIT_FSIZE, (limits.file_size_mb * mib,) * 2)
    resource.setrlimit(resource.RLIMIT_NOFILE, (limits.open_files,) * 2)
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if os.geteuid() != 0:  # root is exempt from RLIMIT_NPROC: cgroups limit tasks there
        resource.setrlimit(resource.RLIMIT_NPROC, (nproc_limit(limits.tasks),) * 2)


def nproc_limit(tasks: int) -> int:
    """RLIMIT_NPROC counts every process of the user, not just the jail's: allow what the user
    already runs plus ``tasks``."""
    uid = str(os.getuid())
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if any(line.split()[1:2] == [uid] for line in status.read_text().splitlines() if line.startswith("Uid:")):
                count += 1
        except OSError:
            continue
    return count + tasks


def _probe(cmd: list[str]) -> bool:
    try:
        return subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=20).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.lru_cache(maxsize=None)
def best_level() -> str:
    """The strongest isolation that works on this machine (probed once per process)."""
    if shutil.which("bwrap") and _probe(_bwrap_prefix(Path("/"), Path("/")) + ["/bin/true"]):
        return "bwrap"
    if shutil.which("unshare") and _probe(_unshare_prefix() + ["/bin/true"]):
        return "unshare"
    return "rlimits"


def resolve_level(requested: str | None) -> str:
    """``None``/``"auto"`` picks :func:`best_level`; an explicit level must be available."""
    if requested in (None, "auto"):
        return best_level()
    if requested not in LEVELS:
        raise ValueError(f"unknown isolation level {requested!r}; choose from {LEVELS}")
    available = LEVELS[LEVELS.index(best_level()):]
    if requested not in available:
        raise ValueError(f"isolation '{requested}' is not available here (best: {best_level()})")
    return requested


def _unshare_prefix() -> list[str]:
    flags = ["--net"] if os.geteuid() == 0 else ["--net", "--map-root-user"]
    return [shutil.which("unshare") or "unshare", *flags, "--"]


def _python_dirs() -> list[Path]:
    dirs = {Path(sys.base_prefix), Path(sys.prefix)}
    dirs |= {Path(p) for p in site.getsitepackages() if Path(p).is_dir()}
    resolved = sorted({d.resolve() for d in dirs})
    return [d for d in resolved if not any(d != o and d.is_relative_to(o) for o in resolved)]


def _system_binds() -> list[str]:
    args: list[str] = ["--ro-bind", "/usr", "/usr"]
    for name in ("lib", "lib64", "lib32", "bin", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            args += ["--symlink", os.readlink(path), str(path)]
        elif path.is_dir():
            args += ["--ro-bind", str(path), str(path)]
    return args


def _hidden_grader_dirs() -> list[Path]:
    """The grader package (and bundled references) if they sit inside a bound directory."""
    package = Path(__file__).resolve().parents[1]
    return [package] if any(package.is_relative_to(d) for d in _python_dirs()) else []


def _bwrap_prefix(submission: Path, runtime: Path, extra: tuple[str, ...] = (),
                  chdir: str = "/submission", writable: bool = False) -> list[str]:
    """bwrap arguments for a jail over ``submission`` (read-only unless ``writable``: checks need
    no writes, notebooks do); ``extra`` adds binds (a kernel's sockets, the dataset) after it."""
    args = [shutil.which("bwrap") or "bwrap", "--unshare-all", "--die-with-parent", "--new-session",
            *_system_binds(), "--size", str(TMPFS_BYTES), "--tmpfs", "/tmp"]  # /tmp first: a venv under /tmp is bound on top
    for d in _python_dirs():
        if not str(d).startswith("/usr/"):
            args += ["--ro-bind", str(d), str(d)]
    for d in _hidden_grader_dirs():
        args += ["--tmpfs", str(d)]
    args += ["--bind" if writable else "--ro-bind", str(submission), "/submission",
             "--ro-bind", str(runtime), "/grader-runtime",
             *extra, "--proc", "/proc", "--dev", "/dev", "--chdir", chdir, "--clearenv"]
    return args


def limits_prefix(limits: JailLimits) -> list[str]:
    """``prlimit`` arguments setting :class:`JailLimits` on a command and everything it starts
    (for processes launched by other libraries, where ``preexec_fn`` is out of reach)."""
    mib = 1 << 20
    nproc = [f"--nproc={nproc_limit(limits.tasks)}"] if os.geteuid() != 0 else []
    return [shutil.which("prlimit") or "prlimit", f"--as={limits.memory_mb * mib}",
            f"--cpu={limits.cpu_seconds}", f"--fsize={limits.file_size_mb * mib}",
            f"--nofile={limits.open_files}", "--core=0", *nproc, "--"]


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one worker: the command, its environment and working dir."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    submission_in_jail: str
    runtime_in_jail: str


def launch(level: str, submission: Path, runtime: Path) -> Launch:
    """Build the command that runs ``runtime/_worker.py`` over ``submission`` at ``level``."""
    python = str(Path(sys.executable))
    if level == "bwrap":
        env = scrubbed_env("/tmp")
        prefix = _bwrap_prefix(submission, runtime)
        for key, value in env.items():
            prefix += ["--setenv", key, value]
        return Launch(prefix + ["--", python, "-I", "/grader-runtime/_worker.py"], {},
                      str(submission), "/submission", "/grader-runtime")
    home = submission.parent / "home"
    home.mkdir(exist_ok=True)
    prefix = _unshare_prefix() if level == "unshare" else []
    return Launch(prefix + [python, "-I", str(runtime / "_worker.py")], scrubbed_env(str(home)),
                  str(submission), str(submission), str(runtime))
