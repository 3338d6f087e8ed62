"""How a worker is isolated: bubblewrap if it works here, else a namespace jail built with
util-linux ``unshare``, else rlimits only.

Isolation levels, strongest first (recorded in every result):

``bwrap``
    New user, PID, network, IPC and UTS namespaces; the file system shows only the interpreter
    and its libraries (read-only), the private copy of the submission (``/submission``), the
    worker program (``/grader-runtime``, read-only), a minimal ``/dev``, a new ``/proc`` and
    private tmpfs ``/tmp`` (also ``HOME``) and ``/content``. The grader package, references,
    hidden checks, results and other submissions are not there at all.
``unshare``
    The same namespaces and the same file system (:func:`jail_mounts`), built without
    bubblewrap: ``unshare`` enters the namespaces and ``_mountjail.py`` binds the same list into
    a fresh root, pivots into it and drops every capability. Needs user namespaces (any root,
    or unprivileged ones enabled).
``rlimits``
    Resource limits and a scrubbed environment with private ``HOME`` and ``TMPDIR`` folders
    only: student code can read and write whatever the grader's user can. For macOS, containers
    that forbid namespaces, and a student's own machine.
"""

from __future__ import annotations

import ctypes
import functools
import json
import os
import resource
import shutil
import signal
import site
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from grader.core.version import SINGLE_THREADED

LEVELS = ("bwrap", "unshare", "rlimits")
JAILED = ("bwrap", "unshare")  # levels with a private file system
SUBMISSION_IN_JAIL = "/submission"
RUNTIME_IN_JAIL = "/grader-runtime"
MOUNT_JAIL = "_mountjail.py"
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
HARDWARE_VARIABLES = (
    "OPENBLAS_CORETYPE",
    "OPENBLAS_L2_SIZE",
    "OPENBLAS_VERBOSE",
    "MKL_CBWR",
    "MKL_ENABLE_INSTRUCTIONS",
    "NPY_DISABLE_CPU_FEATURES",
)


def scrubbed_env(home: str) -> dict[str, str]:
    """The whole environment student code sees: nothing inherited from the grader but the BLAS
    kernel choices of :data:`HARDWARE_VARIABLES`."""
    inherited = {k: os.environ[k] for k in HARDWARE_VARIABLES if os.environ.get(k)}
    return {
        **inherited,
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "HOME": home,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONUNBUFFERED": "1",
        **SINGLE_THREADED,
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
    wanted = [
        (resource.RLIMIT_AS, limits.memory_mb * mib),
        (resource.RLIMIT_CPU, limits.cpu_seconds),
        (resource.RLIMIT_FSIZE, limits.file_size_mb * mib),
        (resource.RLIMIT_NOFILE, limits.open_files),
        (resource.RLIMIT_CORE, 0),
    ]
    nproc = nproc_limit(limits.tasks) if os.geteuid() != 0 else None  # root is exempt: cgroups do it
    if nproc is not None:
        wanted.append((resource.RLIMIT_NPROC, nproc))
    for kind, value in wanted:
        hard = value + 5 if kind == resource.RLIMIT_CPU else value
        try:
            resource.setrlimit(kind, (value, hard))
        except (OSError, ValueError):  # pragma: no cover - a system without this limit (macOS: RLIMIT_AS)
            pass


def nproc_limit(tasks: int) -> int | None:
    """RLIMIT_NPROC counts every process of the user, not just the jail's: allow what the user
    already runs plus ``tasks`` (None without ``/proc`` to count them, as on macOS)."""
    if not Path("/proc/self").exists():
        return None
    uid = str(os.getuid())
    count = 0
    for status in Path("/proc").glob("[0-9]*/status"):
        try:
            if any(line.split()[1:2] == [uid] for line in status.read_text().splitlines() if line.startswith("Uid:")):
                count += 1
        except OSError:
            continue
    return count + tasks


def _probe(cmd: list[str]) -> str:
    """Run ``cmd``; ``""`` when it succeeds, else why not (its last line of error output)."""
    try:
        run = subprocess.run(
            cmd, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, timeout=20
        )
    except (OSError, subprocess.SubprocessError) as exc:
        return str(exc)
    lines = run.stderr.decode(errors="replace").strip().splitlines()
    return "" if run.returncode == 0 else (lines[-1] if lines else f"exit code {run.returncode}")


@functools.cache
def unavailable() -> dict[str, str]:
    """Why each jailed level cannot be used on this machine (probed once per process); a level
    that works is absent."""
    why: dict[str, str] = {}
    if not sys.platform.startswith("linux"):
        return dict.fromkeys(JAILED, f"{sys.platform} has no Linux namespaces")
    if not shutil.which("bwrap"):
        why["bwrap"] = "bubblewrap is not installed"
    else:
        failed = _probe(jail_prefix("bwrap", Path("/"), Path("/"), chdir="/") + ["/bin/true"])
        if failed:
            why["bwrap"] = f"bubblewrap cannot create namespaces here ({failed})"
    if not shutil.which("unshare"):
        why["unshare"] = "util-linux unshare is not installed"
    else:
        failed = _probe_namespaces()
        if failed:
            why["unshare"] = f"user namespaces are not allowed here ({failed})"
    return why


HOW_TO_ISOLATE = (
    "install bubblewrap (Debian/Ubuntu: apt-get install bubblewrap; Fedora: dnf install "
    "bubblewrap), or allow user namespaces (sysctl kernel.unprivileged_userns_clone=1; on "
    "Ubuntu 24.04 kernel.apparmor_restrict_unprivileged_userns=0; in Docker, a seccomp "
    "profile that allows unshare), or grade as root on Linux"
)


def best_level() -> str:
    """The strongest isolation that works on this machine."""
    return next((level for level in JAILED if level not in unavailable()), "rlimits")


def no_jail_warning(level: str) -> str:
    """What an instructor must be told when student code runs at ``level`` without a jail
    (empty when there is one)."""
    if level in JAILED:
        return ""
    why = "; ".join(f"{name}: {text}" for name, text in unavailable().items())
    return (
        "WARNING: student code runs WITHOUT a file-system jail (isolation rlimits): it can read "
        "and write every file you can, including the reference, hidden checks and other "
        f"students' results, and reach the network.{f' Why: {why}.' if why else ''} To get a jail: "
        f'{HOW_TO_ISOLATE}. Set require_isolation = "jail" to refuse to grade without one.'
    )


def protections_off(level: str) -> str:
    """One line for a student running their own code at ``level``: which protections are off."""
    if level in JAILED:
        return ""
    return (
        "note: your code runs without a jail on this machine (no file-system or network "
        "isolation, as when you run it yourself); time and memory limits still apply."
    )


def _probe_namespaces() -> str:
    """Whether a namespace jail can be built here: build one around ``/bin/true``."""
    with tempfile.TemporaryDirectory(prefix="grader-probe-") as tmp:
        runtime = Path(tmp) / "runtime"
        runtime.mkdir()
        shutil.copy(Path(__file__).with_name(MOUNT_JAIL), runtime / MOUNT_JAIL)
        return _probe(_namespace_prefix(jail_mounts(runtime, runtime), runtime, "/") + ["/bin/true"])


def required_level(requested: str | None, required: str = "none") -> str:
    """The level to grade at, or :class:`IsolationUnavailable` naming what is missing and how to
    get it when ``required`` (``none``, ``jail``: bwrap or unshare, ``bwrap``) is not met."""
    from grader.core.errors import IsolationUnavailable, UsageError

    try:
        level = resolve_level(requested)
    except ValueError as exc:
        raise UsageError(f"{exc}. To get a jail: {HOW_TO_ISOLATE}.") from None
    allowed = {"none": LEVELS, "jail": JAILED, "bwrap": ("bwrap",)}[required]
    if level not in allowed:
        why = "; ".join(f"{name}: {text}" for name, text in unavailable().items() if name in allowed)
        raise IsolationUnavailable(
            f"require_isolation = {required}, but student code would run at isolation '{level}'"
            + (f" ({why})" if why and requested in (None, "auto") else "")
            + f". To get a jail: {HOW_TO_ISOLATE}."
        )
    return level


def resolve_level(requested: str | None) -> str:
    """``None``/``"auto"`` picks :func:`best_level`; an explicit level must be available."""
    if requested in (None, "auto"):
        return best_level()
    if requested not in LEVELS:
        raise ValueError(f"unknown isolation level {requested!r}; choose from {LEVELS}")
    available = LEVELS[LEVELS.index(best_level()) :]
    if requested not in available:
        raise ValueError(f"isolation '{requested}' is not available here (best: {best_level()})")
    return requested


@dataclass(frozen=True)
class Mount:
    """One entry of a jail's file system, applied in order: ``ro``/``rw`` bind ``src`` at ``dst``,
    ``tmpfs`` (``size`` bytes), ``symlink`` (``src`` is the link's text), ``dev``, ``proc``."""

    kind: str
    dst: str
    src: str = ""
    size: int = 0


@dataclass(frozen=True)
class Interpreter:
    """The Python student code runs on (``python``) and what of it a jail shows: ``binds``,
    folders bound read-only (besides ``/usr``), and ``masks``, folders inside them covered by an
    empty tmpfs (the grader's package, a base interpreter's own site-packages)."""

    python: str
    binds: tuple[str, ...]
    masks: tuple[str, ...] = ()


def own_interpreter() -> Interpreter:
    """The grader's own interpreter and packages (for assignments that declare no environment)."""
    return Interpreter(
        sys.executable, tuple(str(d) for d in _python_dirs()), tuple(str(d) for d in _hidden_grader_dirs())
    )


def _python_dirs() -> list[Path]:
    dirs = {Path(sys.base_prefix), Path(sys.prefix)}
    dirs |= {Path(p) for p in site.getsitepackages() if Path(p).is_dir()}
    resolved = sorted({d.resolve() for d in dirs})
    return [d for d in resolved if not any(d != o and d.is_relative_to(o) for o in resolved)]


def _system_mounts() -> list[Mount]:
    mounts = [Mount("ro", "/usr", "/usr")]
    for name in ("lib", "lib64", "lib32", "bin", "sbin"):
        path = Path("/") / name
        if path.is_symlink():
            mounts.append(Mount("symlink", str(path), os.readlink(path)))
        elif path.is_dir():
            mounts.append(Mount("ro", str(path), str(path)))
    return mounts


def _hidden_grader_dirs() -> list[Path]:
    """Every copy of the grader package (and its bundled references) inside a bound directory:
    this one when it is installed there, and the ``grader/`` an editable install also leaves in
    site-packages (hatchling copies the bundled references there)."""
    package = Path(__file__).resolve().parents[1]
    found = {package} if any(package.is_relative_to(d) for d in _python_dirs()) else set()
    for site_dir in [*site.getsitepackages(), site.getusersitepackages()]:
        candidate = Path(site_dir) / package.name
        if candidate.is_dir() and any(candidate.resolve().is_relative_to(d) for d in _python_dirs()):
            found.add(candidate.resolve())
    return sorted(found)


def jail_mounts(
    submission: Path,
    runtime: Path,
    extra: tuple[Mount, ...] = (),
    writable: bool = False,
    interpreter: Interpreter | None = None,
) -> list[Mount]:
    """The whole file system of a jail over ``submission`` (read-only unless ``writable``: checks
    need no writes, notebooks do): the interpreter and its libraries read-only, private tmpfs
    ``/tmp`` and ``/content``, the submission at ``/submission``, the worker program at
    ``/grader-runtime``; ``extra`` (a kernel's sockets, the dataset) after them."""
    interpreter = interpreter or own_interpreter()
    mounts = [
        *_system_mounts(),
        Mount("tmpfs", "/tmp", size=TMPFS_BYTES),
    ]  # /tmp first: a venv under /tmp is bound on top
    mounts += [Mount("ro", d, d) for d in interpreter.binds if not d.startswith("/usr/")]
    mounts += [Mount("tmpfs", d, size=1 << 20) for d in interpreter.masks]
    mounts += [
        Mount("tmpfs", "/content", size=TMPFS_BYTES),
        Mount("rw" if writable else "ro", SUBMISSION_IN_JAIL, str(submission)),
        Mount("ro", RUNTIME_IN_JAIL, str(runtime)),
        *extra,
        Mount("proc", "/proc"),
        Mount("dev", "/dev"),
    ]
    return mounts


def _bwrap_args(mounts: list[Mount]) -> list[str]:
    args: list[str] = []
    for m in mounts:
        if m.kind in ("ro", "rw"):
            args += ["--ro-bind" if m.kind == "ro" else "--bind", m.src, m.dst]
        elif m.kind == "tmpfs":
            args += ["--size", str(m.size), "--tmpfs", m.dst]
        elif m.kind == "symlink":
            args += ["--symlink", m.src, m.dst]
        else:
            args += [f"--{m.kind}", m.dst]
    return args


def _namespace_prefix(mounts: list[Mount], runtime: Path, chdir: str) -> list[str]:
    """``unshare`` into new user, mount, network, PID, IPC and UTS namespaces, then build the
    jail's file system with ``_mountjail.py`` (from ``runtime`` on the host) and pivot into it."""
    flags = ["--user", "--map-root-user", "--mount", "--net", "--pid", "--fork", "--ipc", "--uts", "--kill-child"]
    plan = {"mounts": [m.__dict__ for m in mounts], "chdir": chdir, "scratch": str(runtime.parent)}
    return [
        *death_prefix(),
        shutil.which("unshare") or "unshare",
        *flags,
        "--",
        sys.executable,
        "-I",
        "-S",
        str(runtime / MOUNT_JAIL),
        json.dumps(plan),
    ]


def death_prefix() -> list[str]:
    """util-linux ``setpriv`` arguments that SIGKILL the command when the process (thread) that
    started it dies, like bubblewrap's ``--die-with-parent``: for commands started by other
    libraries (a notebook kernel), where ``preexec_fn`` is out of reach. Empty without setpriv."""
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "KILL", "--"] if setpriv else []


UID_BASE, UID_SPAN = 200_000, 50_000  # user ids no account has, for student code run by root without a jail


def unprivileged_uid(level: str, needs: tuple[str | Path, ...] = ()) -> int | None:
    """Without a file-system jail, a grader running as root (a Gradescope container, a CI job)
    runs student code as a user id of its own, one per grading process: it then cannot read what
    only root may read (a Gradescope bundle's checks and reference, the grader's packages, other
    gradings' copies) nor signal the grader. None when jailed, not root, without setpriv, or when
    that user could not reach what student code ``needs`` (the interpreter, the dataset): then
    it runs as root, as before."""
    if level in JAILED or not hasattr(os, "geteuid") or os.geteuid() != 0 or shutil.which("setpriv") is None:
        return None
    if not all(reachable(Path(p)) for p in needs):
        return None
    return UID_BASE + os.getpid() % UID_SPAN


def interpreter_paths(interpreter: Interpreter | None) -> tuple[str, ...]:
    """What student code on ``interpreter`` (default: the grader's) must be able to reach."""
    return (interpreter.python, *interpreter.binds) if interpreter else (sys.executable, sys.base_prefix)


def reachable(path: Path) -> bool:
    """Whether any user may reach and read ``path`` (every folder above it searchable)."""
    path = Path(os.path.realpath(path))
    try:
        if not path.stat().st_mode & 0o004:
            return False
        return all(folder.stat().st_mode & 0o001 for folder in path.parents)
    except OSError:
        return False


def drop_prefix(uid: int | None) -> list[str]:
    """util-linux ``setpriv`` arguments that run the command as ``uid`` with no groups, then tie
    it to the grader's life again (a change of user clears the parent-death signal)."""
    if uid is None:
        return []
    return [
        shutil.which("setpriv") or "setpriv",
        f"--reuid={uid}",
        f"--regid={uid}",
        "--clear-groups",
        "--",
        *death_prefix(),
    ]


def hand_over(uid: int, owned: tuple[Path, ...], readable: tuple[Path, ...] = ()) -> None:
    """Give the ``owned`` trees to ``uid`` and let it reach them and read the ``readable``
    folders: private temporary folders are 0700 as made, so those up to the temporary directory
    become searchable (never a folder outside it)."""
    for tree in owned:
        for root, dirs, files in os.walk(tree):
            for name in [root, *(os.path.join(root, n) for n in dirs + files)]:
                os.chown(name, uid, uid, follow_symlinks=False)
    scratch = Path(tempfile.gettempdir()).resolve()
    for path in (Path(p).resolve() for p in (*owned, *readable)):
        if not path.is_relative_to(scratch):
            continue
        if path.is_dir():
            path.chmod(path.stat().st_mode | 0o005)
        for folder in path.parents:
            if folder == scratch or not folder.is_relative_to(scratch):
                break
            folder.chmod(folder.stat().st_mode | 0o001)


def jail_prefix(
    level: str,
    submission: Path,
    runtime: Path,
    extra: tuple[Mount, ...] = (),
    chdir: str = SUBMISSION_IN_JAIL,
    writable: bool = False,
    interpreter: Interpreter | None = None,
) -> list[str]:
    """The command prefix that runs a command in a file-system jail (``bwrap`` or ``unshare``);
    the environment is the caller's to set (bwrap clears it)."""
    mounts = jail_mounts(submission, runtime, extra, writable, interpreter)
    if level == "bwrap":
        return [
            shutil.which("bwrap") or "bwrap",
            "--unshare-all",
            "--die-with-parent",
            "--new-session",
            *_bwrap_args(mounts),
            "--chdir",
            chdir,
            "--clearenv",
        ]
    return _namespace_prefix(mounts, runtime, chdir)


def limits_prefix(limits: JailLimits) -> list[str]:
    """``prlimit`` arguments setting :class:`JailLimits` on a command and everything it starts
    (for processes launched by other libraries, where ``preexec_fn`` is out of reach). Empty
    where util-linux ``prlimit`` is missing (not Linux): the kernel then runs without limits."""
    mib = 1 << 20
    prlimit = shutil.which("prlimit")
    if prlimit is None:
        return []
    count = nproc_limit(limits.tasks) if os.geteuid() != 0 else None
    nproc = [f"--nproc={count}"] if count is not None else []
    return [
        prlimit,
        f"--as={limits.memory_mb * mib}",
        f"--cpu={limits.cpu_seconds}",
        f"--fsize={limits.file_size_mb * mib}",
        f"--nofile={limits.open_files}",
        "--core=0",
        *nproc,
        "--",
    ]


@dataclass(frozen=True)
class Launch:
    """Everything needed to start one worker: the command, its environment and working dir."""

    argv: list[str]
    env: dict[str, str]
    cwd: str
    submission_in_jail: str
    runtime_in_jail: str


def launch(
    level: str, submission: Path, runtime: Path, interpreter: Interpreter | None = None, uid: int | None = None
) -> Launch:
    """Build the command that runs ``runtime/_worker.py`` on ``interpreter`` (default: the
    grader's) over ``submission`` at ``level`` (without a jail, as ``uid`` when given)."""
    python = interpreter.python if interpreter else sys.executable
    if level in JAILED:
        env = scrubbed_env("/tmp")
        prefix = jail_prefix(level, submission, runtime, interpreter=interpreter)
        if level == "bwrap":
            prefix += [arg for key, value in env.items() for arg in ("--setenv", key, value)]
            env = {}
        return Launch(
            prefix + [python, "-I", "-u", f"{RUNTIME_IN_JAIL}/_worker.py"],
            env,
            str(submission),
            SUBMISSION_IN_JAIL,
            RUNTIME_IN_JAIL,
        )
    return Launch(
        [*drop_prefix(uid), python, "-I", "-u", str(runtime / "_worker.py")],
        private_env(runtime.parent),
        str(submission),
        str(submission),
        str(runtime),
    )


def private_env(folder: Path) -> dict[str, str]:
    """Without a file-system jail (``rlimits``): a scrubbed environment whose home and temporary
    folder are private folders under ``folder``, so two gradings share nothing they ask for."""
    home, tmp = folder / "home", folder / "tmp"
    home.mkdir(exist_ok=True)
    tmp.mkdir(exist_ok=True)
    return {**scrubbed_env(str(home)), "TMPDIR": str(tmp)}
