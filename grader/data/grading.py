"""The dataset a grading run uses, and how each assignment splits it.

``auto`` takes the CIFAR-10 that :func:`locate_cifar10` finds (flag, ``CIFAR10_DIR``,
``[tool.grader]``, user data dir) and falls back to a synthetic CIFAR-format set that the grader
generates once into its cache, so grading works on a machine without the dataset; the dataset's
name is recorded in every run and shown on the dashboard. Names decide the thresholds and splits:

``cifar10``         the full dataset (60,000 images): the seeds' split (49,000 / 1,000 / 1,000 unless
                    the assignment's ``[data] full_split`` says otherwise)
``cifar10-subset``  any other CIFAR-10 folder (e.g. the 6,187-image subset): the assignment's
                    ``[calibration.cifar10-subset]`` split
``synthetic``       written by :func:`write_synthetic_cifar10` (it leaves a marker file)
"""

from __future__ import annotations

import functools
import shutil
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from grader.core.errors import DatasetFormatError, DatasetNotFound, UsageError
from grader.core.paths import default_cache_dir
from grader.data.cifar10 import Split, batches_dir, load_cifar10, split
from grader.data.locate import locate_cifar10
from grader.data.synthetic import SYNTHETIC_MARKER, write_synthetic_cifar10

CHOICES = ("auto", "cifar10", "synthetic")
SYNTHETIC_SIZE: dict[str, Any] = {"per_batch": 600, "test": 500, "noise": 10.0}
SYNTHETIC_SPLIT = {"train": 2500, "val": 500, "test": 500}
FULL_SIZE = 60000


@dataclass(frozen=True)
class GradingData:
    """Where the grading dataset is and what it is called."""

    name: str
    path: Path
    note: str = ""

    def describe(self) -> str:
        return f"{self.name} ({self.path})" + (f"; {self.note}" if self.note else "")


def synthetic_dir() -> Path:
    """The grader's own synthetic set, generated on first use (atomically) into the cache."""
    target = default_cache_dir() / "synthetic-cifar10-v3"
    if not (target / "cifar-10-batches-py" / SYNTHETIC_MARKER).is_file():
        target.parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".synthetic-"))
        tmp.chmod(0o755)  # readable by student code run as another user (grader.jail.sandbox.unprivileged_uid)
        write_synthetic_cifar10(tmp, **SYNTHETIC_SIZE)
        if target.exists() and not (target / "cifar-10-batches-py" / SYNTHETIC_MARKER).is_file():
            shutil.rmtree(target, ignore_errors=True)  # left half-written by an older version
        try:
            tmp.rename(target)
        except OSError:  # another process finished first (and may be reading it): keep that one
            shutil.rmtree(tmp, ignore_errors=True)
    return target / "cifar-10-batches-py"


def dataset_name(path: Path) -> str:
    folder = batches_dir(path)
    if (folder / SYNTHETIC_MARKER).is_file():
        return "synthetic"
    data = load_cifar10(folder)
    return "cifar10" if data.X_train.shape[0] + data.X_test.shape[0] == FULL_SIZE else "cifar10-subset"


def grading_data(choice: str = "auto", cli_dir: str | Path | None = None) -> GradingData:
    """The dataset to grade with: ``auto`` (CIFAR-10 if found, else synthetic), ``cifar10``
    (an error when it is not found) or ``synthetic``."""
    if choice not in CHOICES:
        raise UsageError(f"unknown dataset {choice!r}; choose from {', '.join(CHOICES)}")
    if choice != "synthetic":
        try:
            path = locate_cifar10(cli_dir)
        except DatasetNotFound:
            if choice == "cifar10":
                raise
        else:
            return GradingData(dataset_name(path), path)
    note = "" if choice == "synthetic" else "CIFAR-10 was not found, so accuracy is measured on synthetic data"
    return GradingData("synthetic", synthetic_dir(), note)


def split_sizes(assignment, name: str) -> dict[str, int]:
    """``{"train", "val", "test"}`` sizes of dataset ``name`` for ``assignment``: its full-data
    split, the grader's synthetic split, or the split of its calibration on that dataset."""
    if name == "cifar10":
        return dict(assignment.data.full_split)
    if name == "synthetic":
        return dict(SYNTHETIC_SPLIT)
    if name in assignment.calibration:
        return {k: int(v) for k, v in assignment.calibration[name].split.items()}
    raise DatasetFormatError(
        f"the assignment declares no split for dataset '{name}' (add [calibration.{name}] with a split)"
    )


@functools.lru_cache(maxsize=4)
def load_split(path: Path, train: int, val: int, test: int) -> Split:
    """The raw images of a split (float64, N x 32 x 32 x 3), cached per process."""
    data = split(load_cifar10(path), train, val, test)
    if data.X_test.shape[0] < test:
        raise DatasetFormatError(f"{path}: {data.X_test.shape[0]} test images, the split needs {test}")
    images = lambda a: a.astype(np.float64)
    return Split(images(data.X_train), data.y_train, images(data.X_val), data.y_val, images(data.X_test), data.y_test)
