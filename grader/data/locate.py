"""Where CIFAR-10 is: CLI flag > ``CIFAR10_DIR`` > ``[tool.grader] cifar10_dir`` > user data dir."""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

import platformdirs

from grader.core.config import project_config
from grader.core.errors import DatasetNotFound
from grader.data.cifar10 import batches_dir, is_cifar10_dir

FETCH_HINT = "Download it with:  grader data fetch cifar10   (or pass --dir / set CIFAR10_DIR)"


def default_data_dir() -> Path:
    """Where ``grader data fetch`` puts datasets by default."""
    return Path(platformdirs.user_data_dir("grader")) / "cifar10"


def candidates(
    cli_dir: str | Path | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> list[tuple[str, Path]]:
    """Every place to look, highest precedence first, each with where the setting came from."""
    env = os.environ if env is None else env
    found: list[tuple[str, Path]] = []
    if cli_dir:
        found.append(("--dir option", Path(cli_dir)))
    if env.get("CIFAR10_DIR"):
        found.append(("CIFAR10_DIR environment variable", Path(env["CIFAR10_DIR"])))
    table, pyproject = project_config(cwd)
    if pyproject is not None and table.get("cifar10_dir"):
        found.append((f"cifar10_dir in {pyproject}", pyproject.parent / str(table["cifar10_dir"])))
    found.append(("user data dir", default_data_dir()))
    return found


def locate_cifar10(
    cli_dir: str | Path | None = None, env: Mapping[str, str] | None = None, cwd: Path | None = None
) -> Path:
    """Return the first ``cifar-10-batches-py`` folder found; raise :class:`DatasetNotFound` naming all."""
    searched = candidates(cli_dir, env, cwd)
    if cli_dir:  # an explicit --dir is never silently replaced by another location
        searched = searched[:1]
    for _, path in searched:
        if is_cifar10_dir(path):
            return batches_dir(path).resolve()
    raise DatasetNotFound("CIFAR-10", [(s, str(p)) for s, p in searched], FETCH_HINT)


def cifar10_source(cwd: Path | None = None) -> tuple[str, str]:
    """(where the CIFAR-10 setting comes from, the folder) for ``grader config``."""
    for source, path in candidates(None, None, cwd):
        if is_cifar10_dir(path):
            return source, str(batches_dir(path))
    return "not found (grader data fetch cifar10)", ""
