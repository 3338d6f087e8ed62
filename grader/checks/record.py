"""The ``record`` fixture: checks keep plain data for the report (training curves, weight grids).

Recording is best effort and never changes a grade: values that are not numbers are skipped, and
non-finite entries are kept as gaps. Curves are stored in the result itself (at most
``MAX_POINTS`` points per series); weights go to an ``.npy`` file next to the result, because a
CIFAR first layer holds 150,000 numbers.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from grader.core.results import Artifact
from grader.jail.client import RemoteObject

MAX_POINTS = 500
MAX_WEIGHTS = 4_000_000


def _numbers(value: Any) -> np.ndarray | None:
    if isinstance(value, RemoteObject):
        value = value.fetch() if value.remote_type in ("list", "tuple") else None
    try:
        array = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError):
        return None
    return array if array.dtype.kind == "f" else None


def _series(values: np.ndarray) -> dict[str, list]:
    values = values.ravel()
    x = np.unique(np.linspace(0, values.size - 1, min(values.size, MAX_POINTS)).round().astype(int))
    y = values[x]
    return {"x": x.tolist(), "y": [float(v) if np.isfinite(v) else None for v in y]}


class Recorder:
    """Collects one check's artifacts; ``folder`` receives weight files (None: weights are skipped)."""

    def __init__(self, check_name: str, folder: Path | None) -> None:
        self._stem = re.sub(r"[^A-Za-z0-9_.-]+", "-", check_name).strip("-")[:80] or "check"
        self._folder = folder
        self.artifacts: list[Artifact] = []

    def curves(self, title: str, series: Mapping[str, Any], *, xlabel: str = "iteration", ylabel: str = "") -> None:
        """Line plot of each named sequence (a loss history, per-epoch accuracies)."""
        data = {}
        for name, values in series.items():
            array = _numbers(values)
            if array is not None and array.size:
                data[str(name)] = _series(array)
        if data:
            self.artifacts.append(Artifact("curves", title, {"xlabel": xlabel, "ylabel": ylabel, "series": data}))

    def weights(self, title: str, weights: Any, image_shape: tuple[int, ...] = (32, 32, 3)) -> None:
        """First-layer weights of shape (prod(image_shape), hidden): one image per hidden unit."""
        array = _numbers(weights)
        if (
            self._folder is None
            or array is None
            or array.ndim != 2
            or array.shape[0] != int(np.prod(image_shape))
            or array.size > MAX_WEIGHTS
        ):
            return
        self._folder.mkdir(parents=True, exist_ok=True)
        name = f"{self._stem}-{len(self.artifacts)}.npy"
        np.save(self._folder / name, array.astype(np.float32), allow_pickle=False)
        self.artifacts.append(
            Artifact("weights", title, {"image_shape": list(image_shape)}, file=f"{self._folder.name}/{name}")
        )
