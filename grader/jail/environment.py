"""The students' Python environment: declared by the assignment, built once, the only one the jail shows.

An assignment's ``[environment]`` lists what the course gives students (its ``requirements.txt``:
numpy 1.x, six, matplotlib...). The grader builds that as a virtual environment on its own
interpreter's base Python with uv (a fast resolver and installer, shipped as a wheel), from the
package index or offline from a wheelhouse folder, into its cache under a key made of the
requirements and the interpreter. Later gradings, pool and Dask workers and ``grader check``
reuse it. Student code, the worker and the notebook kernel then run on that environment's
``python``; the jail binds the environment and the base interpreter's standard library and
covers the base interpreter's own site-packages, so the grader's packages (and any other
installed package) are not there. The grader's own process keeps its own numpy.
"""

from __future__ import annotations

import fcntl
import functools
import hashlib
import json
import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.core.assignment import Assignment, Environment
from grader.core.errors import EnvironmentBuildError
from grader.core.paths import default_cache_dir
from grader.jail.sandbox import Interpreter

# 2: what every jailed worker and notebook kernel imports is compiled to bytecode when the
# environment is built (see compile_common_imports).
FORMAT = 2
# Run once at build time, where the environment is still writable, so that the bytecode of what
# it imports is saved: a jail mounts the environment read-only, and without it every worker and
# kernel compiled numpy, matplotlib and ipykernel (with debugpy) again (a kernel's imports
# 2.0 s -> 0.8 s, numpy's 0.4 s -> 0.1 s). It compiles what a worker and a starting kernel use
# (580 modules, 2.5 s of CPU) where compiling the whole environment (4,000 modules, scipy's
# included) costs 10 s; anything else compiles when first imported, as before.
WARM_UP = """
import importlib, os
for name in ("numpy", "matplotlib.pyplot", "matplotlib_inline.backend_inline", "past.builtins"):
    try:
        importlib.import_module(name)
    except Exception:
        pass
try:
    from ipykernel.kernelapp import IPKernelApp
    IPKernelApp.instance().initialize(["-f", os.path.join(os.getcwd(), "kernel.json")])
finally:
    os._exit(0)
"""
MARKER = "grader-environment.json"


@dataclass(frozen=True)
class StudentEnvironment:
    """A built environment: its folder and interpreter, and what the jail must show of it."""

    root: Path
    key: str

    @property
    def python(self) -> Path:
        return self.root / "bin" / "python"

    def describe(self) -> dict:
        return json.loads((self.root / MARKER).read_text(encoding="utf-8"))


def requirements(assignment: Assignment) -> list[str]:
    """The declared requirements: ``requirements`` then the lines of ``requirements_file``."""
    spec = assignment.environment
    found = list(spec.requirements)
    if spec.requirements_file:
        path = assignment.root / spec.requirements_file
        if not path.is_file():
            raise EnvironmentBuildError(
                f"{assignment.root / 'assignment.toml'} [environment]: requirements_file "
                f"{spec.requirements_file!r} does not exist"
            )
        for line in path.read_text(encoding="utf-8").splitlines():
            line = line.split(" #", 1)[0].strip()
            if line and not line.startswith("#"):
                if line.startswith("-"):
                    raise EnvironmentBuildError(
                        f"{path}: option lines ({line.split()[0]}) are not supported; list requirements only"
                    )
                found.append(line)
    return found


def interpreter_tag() -> str:
    """What an environment built here depends on: the base interpreter and the platform."""
    return (
        f"{sys.implementation.name}-{sys.version_info[0]}.{sys.version_info[1]}-{sysconfig.get_platform()}-"
        f"{Path(sys.base_prefix).resolve()}"
    )


def environment_key(assignment: Assignment) -> str:
    text = json.dumps(
        {"format": FORMAT, "requirements": requirements(assignment), "interpreter": interpreter_tag()}, sort_keys=True
    )
    return hashlib.sha256(text.encode()).hexdigest()[:20]


def environments_dir() -> Path:
    return default_cache_dir() / "environments"


def find(assignment: Assignment) -> StudentEnvironment | None:
    """The built environment of ``assignment`` if it is in the cache (never builds)."""
    if not assignment.environment.declared:
        return None
    key = environment_key(assignment)
    root = environments_dir() / key
    return StudentEnvironment(root, key) if (root / MARKER).is_file() else None


def check_python(spec: Environment, where: str) -> None:
    if not spec.python:
        return
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        allowed = SpecifierSet(spec.python)
    except InvalidSpecifier:
        raise EnvironmentBuildError(
            f"{where} [environment]: python = {spec.python!r} is not a version specifier"
        ) from None
    here = ".".join(map(str, sys.version_info[:3]))
    if here not in allowed:
        raise EnvironmentBuildError(
            f"{where} [environment] supports Python {spec.python}; the grader runs on "
            f"Python {here}: install the grader on a Python in that range"
        )


def ensure(
    assignment: Assignment, wheelhouse: Path | None = None, say: Callable[[str], None] = lambda text: None
) -> StudentEnvironment | None:
    """The built environment of ``assignment``, building it first if needed (once per machine:
    parallel callers wait for the first); None when the assignment declares none."""
    if not assignment.environment.declared:
        return None
    found = find(assignment)
    if found is not None:
        return found
    check_python(assignment.environment, str(assignment.root / "assignment.toml"))
    key = environment_key(assignment)
    environments_dir().mkdir(parents=True, exist_ok=True)
    with open(environments_dir() / f"{key}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        found = find(assignment)
        if found is None:
            say(
                f"building the students' environment of {assignment.name} ({', '.join(requirements(assignment))})"
                + (f" from {wheelhouse}" if wheelhouse else "")
                + "; once per machine"
            )
            build(environments_dir() / key, requirements(assignment), wheelhouse)
            found = find(assignment)
    return found


def uv() -> str:
    from uv import find_uv_bin

    return find_uv_bin()


# pip's index settings in the environment, for uv (which reads its own UV_* variables only)
PIP_TO_UV = {
    "PIP_INDEX_URL": "UV_INDEX_URL",
    "PIP_EXTRA_INDEX_URL": "UV_EXTRA_INDEX_URL",
    "PIP_FIND_LINKS": "UV_FIND_LINKS",
}


def uv_environment() -> dict[str, str]:
    """The environment uv runs with: the operating system's certificate store (like pip; a
    machine behind a proxy with its own authority needs it) and pip's index settings."""
    env = {**os.environ, "UV_NO_PROGRESS": "1"}
    env.setdefault("UV_NATIVE_TLS", "1")
    for pip, uv_name in PIP_TO_UV.items():
        if os.environ.get(pip) and uv_name not in os.environ:
            env[uv_name] = os.environ[pip]
    return env


def _run(command: list[str], what: str) -> str:
    env = uv_environment()
    run = subprocess.run(command, capture_output=True, text=True, env=env)
    if run.returncode != 0:
        lines = [line for line in (run.stderr or run.stdout).strip().splitlines() if line.strip()]
        raise EnvironmentBuildError(f"{what} failed:\n  " + "\n  ".join(lines[-12:]))
    return run.stdout


def build(target: Path, wanted: list[str], wheelhouse: Path | None = None, python: str | None = None) -> None:
    """Build an environment of ``wanted`` on ``python`` (the grader's base interpreter) into
    ``target``: into a temporary folder beside it, then renamed, so that a killed build leaves
    no half environment behind."""
    staging = Path(tempfile.mkdtemp(dir=target.parent, prefix=f".{target.name}-"))
    try:
        _run(
            [uv(), "venv", "--quiet", "--relocatable", "--python", python or _base_python(), str(staging / "env")],
            "creating the environment",
        )
        source = ["--offline", "--no-index", "--find-links", str(wheelhouse)] if wheelhouse else []
        _run(
            [uv(), "pip", "install", "--quiet", "--python", str(staging / "env" / "bin" / "python"), *source, *wanted],
            "installing " + " ".join(wanted),
        )
        compile_common_imports(staging / "env" / "bin" / "python")
        (staging / "env").chmod(0o755)  # usable by student code run as another user (jail.sandbox.unprivileged_uid)
        frozen = _run([uv(), "pip", "freeze", "--python", str(staging / "env" / "bin" / "python")], "listing it")
        (staging / "env" / MARKER).write_text(
            json.dumps(
                {"requirements": wanted, "interpreter": interpreter_tag(), "installed": frozen.split()}, indent=2
            )
            + "\n",
            encoding="utf-8",
        )
        shutil.rmtree(target, ignore_errors=True)
        (staging / "env").rename(target)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def compile_common_imports(python: Path) -> None:
    """Run :data:`WARM_UP` with ``python`` so that the bytecode of what it imports is written (in
    a private home, whatever the caller's PYTHONDONTWRITEBYTECODE says). Best effort: a module
    it misses compiles when imported, as without it."""
    with tempfile.TemporaryDirectory(prefix="grader-compile-") as home:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "MPL", "JUPYTER", "IPYTHON"))}
        env.update(HOME=home, MPLCONFIGDIR=home, MPLBACKEND="Agg")
        try:
            subprocess.run([str(python), "-c", WARM_UP], env=env, cwd=home, capture_output=True, timeout=300)
        except subprocess.TimeoutExpired:
            pass


def _base_python() -> str:
    """The interpreter beneath the grader's virtual environment, if it runs in one."""
    base = getattr(sys, "_base_executable", "") or sys.executable
    return base if Path(base).is_file() else sys.executable


def download(assignment: Assignment, dest: Path) -> list[Path]:
    """Fill ``dest`` with wheels of every requirement (and their dependencies) for this
    interpreter and platform, for an offline ``grader env build --wheelhouse``."""
    wanted = requirements(assignment)
    if not wanted:
        raise EnvironmentBuildError(f"{assignment.name} declares no [environment] to download")
    dest.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="grader-lock-") as tmp:
        lock = Path(tmp) / "requirements.txt"
        (Path(tmp) / "in.txt").write_text("\n".join(wanted) + "\n")
        _run(
            [
                uv(),
                "pip",
                "compile",
                "--quiet",
                "--python",
                _base_python(),
                "--no-header",
                "-o",
                str(lock),
                str(Path(tmp) / "in.txt"),
            ],
            "resolving " + " ".join(wanted),
        )
        _run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary",
                ":all:",
                "-d",
                str(dest),
                "-r",
                str(lock),
            ],
            "downloading the wheels",
        )
    return sorted(dest.glob("*.whl"))


SYSTEM_SITE_PATTERNS = ("lib/python3*/site-packages", "lib/python3*/dist-packages", "lib/python3/dist-packages")


@functools.cache
def _base_site_dirs() -> tuple[str, ...]:
    """Every site-packages folder a jail over the environment would show besides its own: the
    base interpreter's and the system Pythons' under /usr and /usr/local (grader, or any other
    package, may be installed in any of them)."""
    code = "import json, site; print(json.dumps(site.getsitepackages()))"
    out = subprocess.run([_base_python(), "-I", "-c", code], capture_output=True, text=True).stdout
    try:
        found = {str(Path(p).resolve()) for p in json.loads(out)}
    except json.JSONDecodeError:
        found = set()
    for prefix in (Path("/usr"), Path("/usr/local")):
        found |= {str(p.resolve()) for pattern in SYSTEM_SITE_PATTERNS for p in prefix.glob(pattern)}
    return tuple(sorted(p for p in found if Path(p).is_dir()))


def interpreter(env: StudentEnvironment) -> Interpreter:
    """What a jail shows of ``env``: the environment and the base interpreter's standard
    library, with the base interpreter's own site-packages covered."""
    base = str(Path(sys.base_prefix).resolve())
    root = env.root.resolve()
    masks = tuple(d for d in _base_site_dirs() if not Path(d).resolve().is_relative_to(root))
    return Interpreter(str(env.python), (base, str(root)), masks)


def interpreter_for(
    assignment: Assignment,
    build: bool = True,
    wheelhouse: Path | None = None,
    say: Callable[[str], None] = lambda text: None,
) -> Interpreter | None:
    """The interpreter student code of ``assignment`` runs on: its built environment (built now
    when ``build``), or None for the grader's own (no environment declared, or not built and
    ``build`` is off, as in a student's ``grader check`` before ``grader env build``)."""
    env = ensure(assignment, wheelhouse, say) if build else find(assignment)
    return interpreter(env) if env is not None else None
