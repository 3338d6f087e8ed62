"""``grader gradescope ASSIGNMENT -o autograder.zip``: the zip Gradescope's "Configure
Autograder" page takes (layout in :mod:`grader.gradescope`).

The bundle carries everything the image installs, so the image grades with exactly the grader
that built it: this grader's wheel and the wheels of its dependencies for this interpreter and
platform, pinned by SHA-256 in ``requirements.lock``; the wheels of the students' environment;
the assignment folder; and, when asked, the dataset.
"""

from __future__ import annotations

import base64
import hashlib
import importlib.metadata
import json
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import zipfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from grader.core.assignment import Assignment
from grader.core.errors import BundleError
from grader.core.files import walk_files
from grader.core.version import __version__
from grader.data.cifar10 import batches_dir, is_cifar10_dir
from grader.gradescope import CONFIG, BundleConfig
from grader.jail import environment
from grader.students.ci import DISTRIBUTION

SCRIPTS = ("setup.sh", "run_autograder")
MAX_BUNDLED_DATA = 400 << 20
WHEEL_PREFIX = DISTRIBUTION.replace("-", "_") + "-"
ZIP_DATE = (1980, 1, 1, 0, 0, 0)


@dataclass(frozen=True)
class BundleOptions:
    """``dataset``: ``cifar10`` (setup.sh downloads and checksums it), ``synthetic``, or a folder
    holding CIFAR-10's python batches to put in the zip; ``wheelhouse``: take the grader's wheel
    and its dependencies from this folder instead of building and downloading them;
    ``student_wheelhouse``: likewise for the students' environment; the rest override the
    assignment's ``[gradescope]`` table."""

    dataset: str = "cifar10"
    wheelhouse: Path | None = None
    student_wheelhouse: Path | None = None
    hidden_visibility: str | None = None
    time_budget_seconds: float | None = None


def build(
    assignment: Assignment,
    out: Path,
    options: BundleOptions = BundleOptions(),
    say: Callable[[str], None] = lambda text: None,
) -> Path:
    """Write the bundle of ``assignment`` to ``out`` and return it."""
    if not sysconfig.get_platform().startswith("linux"):
        raise BundleError(
            f"the bundle carries wheels for the platform it is built on ({sysconfig.get_platform()}); "
            "Gradescope runs Linux: build it on Linux x86_64"
        )
    with tempfile.TemporaryDirectory(prefix="grader-bundle-") as tmp:
        stage = Path(tmp)
        dataset = bundle_dataset(options.dataset, stage / "data")
        say(f"the grader's wheel and its dependencies for Python {python_version()}")
        own = grader_wheel(stage / "wheels", options.wheelhouse)
        dependency_wheels(own, stage / "wheels", options.wheelhouse)
        (stage / "requirements.lock").write_text(lock_text(stage / "wheels"), encoding="utf-8")
        if assignment.environment.declared:
            say("the wheels of the students' environment")
            student_wheels(assignment, stage / "student-wheels", options.student_wheelhouse)
        shutil.copytree(
            assignment.root,
            stage / "assignment" / assignment.root.name,
            ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".ipynb_checkpoints"),
        )
        config = bundle_config(assignment, options, dataset)
        write_scripts(stage, config)
        write_zip(stage, out)
    say(f"wrote {out} ({out.stat().st_size / 1e6:.0f} MB)")
    return out


def python_version() -> str:
    return f"{sys.version_info[0]}.{sys.version_info[1]}"


def bundle_config(assignment: Assignment, options: BundleOptions, dataset: str) -> BundleConfig:
    spec = assignment.gradescope
    visibility = options.hidden_visibility or spec.hidden_visibility
    return BundleConfig(
        assignment=assignment.root.name,
        python=python_version(),
        dataset=dataset,
        hidden_visibility=visibility,
        time_budget_seconds=float(options.time_budget_seconds or spec.time_budget_seconds),
        leaderboard=spec.leaderboard,
        grader_version=__version__,
    )


def _run(command: list[str], what: str) -> None:
    run = subprocess.run(command, capture_output=True, text=True)
    if run.returncode != 0:
        lines = [line for line in (run.stderr or run.stdout).strip().splitlines() if line.strip()]
        raise BundleError(f"{what} failed:\n  " + "\n  ".join(lines[-12:]))


def grader_wheel(dest: Path, wheelhouse: Path | None) -> Path:
    """This grader as a wheel in ``dest``: from ``wheelhouse``, built from the source checkout it
    runs from, or rebuilt from the installed files."""
    dest.mkdir(parents=True, exist_ok=True)
    found = sorted(wheelhouse.glob(f"{WHEEL_PREFIX}{__version__}-*.whl")) if wheelhouse else []
    if found:
        return Path(shutil.copy(found[-1], dest))
    source = Path(__file__).resolve().parents[2]
    if (source / "pyproject.toml").is_file() and f'name = "{DISTRIBUTION}"' in (source / "pyproject.toml").read_text():
        _run(
            [sys.executable, "-m", "pip", "wheel", "--quiet", "--no-deps", "-w", str(dest), str(source)],
            f"building the wheel of {source}",
        )
        return next(dest.glob(f"{WHEEL_PREFIX}*.whl"))
    return wheel_from_installed(dest)


def wheel_from_installed(dest: Path) -> Path:
    """The installed distribution packed again as a wheel (its files as installed, a fresh RECORD)."""
    dist = importlib.metadata.distribution(DISTRIBUTION)
    info = f"{WHEEL_PREFIX}{dist.version}.dist-info"
    skip = ("RECORD", "INSTALLER", "REQUESTED", "direct_url.json")
    files = [
        f
        for f in dist.files or ()
        if "__pycache__" not in f.parts
        and not f.name.endswith(".pyc")
        and not (f.parts[0] == info and f.name in skip)
        and not f.as_posix().startswith("..")
    ]
    tag = next(
        (
            line.split(":", 1)[1].strip()
            for line in (dist.read_text("WHEEL") or "").splitlines()
            if line.startswith("Tag:")
        ),
        "py3-none-any",
    )
    target = dest / f"{WHEEL_PREFIX}{dist.version}-{tag}.whl"
    record = []
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for f in sorted(files, key=lambda f: f.as_posix()):
            data = Path(str(dist.locate_file(f))).read_bytes()
            zf.writestr(f.as_posix(), data)
            digest = base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()
            record.append(f"{f.as_posix()},sha256={digest},{len(data)}")
        zf.writestr(f"{info}/RECORD", "\n".join(record + [f"{info}/RECORD,,"]) + "\n")
    return target


def dependency_wheels(own: Path, dest: Path, wheelhouse: Path | None) -> None:
    """Wheels of every dependency of ``own`` for this interpreter and platform (no sdists: the
    image installs offline and builds nothing)."""
    source = ["--no-index", "--find-links", str(wheelhouse)] if wheelhouse else []
    _run(
        [
            sys.executable,
            "-m",
            "pip",
            "download",
            "--quiet",
            "--only-binary",
            ":all:",
            *source,
            "-d",
            str(dest),
            str(own),
        ],
        "collecting the wheels of the grader's dependencies",
    )


def lock_text(wheels: Path) -> str:
    """``name==version --hash=sha256:...`` for every wheel: the image installs exactly these."""
    from packaging.utils import parse_wheel_filename

    lines = []
    for wheel in sorted(wheels.glob("*.whl")):
        name, version, _, _ = parse_wheel_filename(wheel.name)
        lines.append(f"{name}=={version} --hash=sha256:{hashlib.sha256(wheel.read_bytes()).hexdigest()}")
    return "\n".join(lines) + "\n"


def student_wheels(assignment: Assignment, dest: Path, wheelhouse: Path | None) -> None:
    if wheelhouse is None:
        environment.download(assignment, dest)
        return
    dest.mkdir(parents=True, exist_ok=True)
    for wheel in sorted(wheelhouse.glob("*.whl")):
        shutil.copy(wheel, dest / wheel.name)


def bundle_dataset(choice: str, dest: Path) -> str:
    """``cifar10`` and ``synthetic`` are made at setup; a folder's batches go in the zip."""
    if choice in ("cifar10", "synthetic"):
        return choice
    folder = Path(choice)
    if not is_cifar10_dir(folder):
        raise BundleError(f"--dataset {choice}: not cifar10, synthetic, nor a folder with CIFAR-10's python batches")
    batches = batches_dir(folder)
    size = sum(p.stat().st_size for p in batches.iterdir() if p.is_file())
    if size > MAX_BUNDLED_DATA:
        raise BundleError(
            f"{batches} holds {size / 1e6:.0f} MB; bundle at most {MAX_BUNDLED_DATA / 1e6:.0f} MB "
            "(use --dataset cifar10 to download it at setup)"
        )
    shutil.copytree(batches, dest / "cifar-10-batches-py", ignore=shutil.ignore_patterns(".*"))
    return "bundled"


def write_scripts(stage: Path, config: BundleConfig) -> None:
    here = Path(__file__).parent
    for name in SCRIPTS:
        shutil.copyfile(here / name, stage / name)
    (stage / CONFIG).write_text(json.dumps(config.to_json(), indent=2) + "\n", encoding="utf-8")
    (stage / "bundle.env").write_text(f"PYTHON_VERSION={config.python}\n", encoding="utf-8")


def write_zip(stage: Path, out: Path) -> None:
    """A zip with a fixed order and dates; scripts executable; wheels stored as they are."""
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(out.name + ".part")
    with zipfile.ZipFile(tmp, "w") as zf:
        for rel, path in walk_files(stage):
            info = zipfile.ZipInfo(rel, ZIP_DATE)
            info.external_attr = (0o100755 if rel in SCRIPTS else 0o100644) << 16
            info.compress_type = zipfile.ZIP_STORED if rel.endswith(".whl") else zipfile.ZIP_DEFLATED
            with open(path, "rb") as src, zf.open(info, "w") as dst:
                shutil.copyfileobj(src, dst, 1 << 20)
    tmp.replace(out)
