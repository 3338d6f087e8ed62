"""CIFAR-10 loader for the original python batches, with any number of rows per batch.

The batches are pickles, so they are read with a restricted unpickler that accepts only
the numpy array reconstruction they contain: a tampered dataset file cannot run code.
Decoded arrays are cached as ``.npy`` (uint8 images, int64 labels) keyed by the batch
files' names, sizes and modification times, so a repeat load is a few ``np.load`` calls.
"""

from __future__ import annotations

import hashlib
import io
import os
import pickle
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from grader.core.errors import DatasetFormatError
from grader.core.paths import default_cache_dir

TRAIN_BATCHES = tuple(f"data_batch_{i}" for i in range(1, 6))
TEST_BATCH = "test_batch"
META = "batches.meta"
LABEL_NAMES = ("airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck")
_ALLOWED_GLOBALS = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("_codecs", "encode"),  # bytes inside protocol-2 pickles written by Python 3
}
CACHE_VERSION = "1"


@dataclass(frozen=True)
class Cifar10:
    """Images as (N, 32, 32, 3) uint8, labels as (N,) int64."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    label_names: tuple[str, ...]
    directory: Path


class _BatchUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):
        if (module, name) not in _ALLOWED_GLOBALS:
            raise pickle.UnpicklingError(f"global '{module}.{name}' is not allowed in a CIFAR batch")
        return super().find_class(module, name)


def _unpickle(path: Path) -> dict:
    try:
        with open(path, "rb") as f:
            data = _BatchUnpickler(io.BufferedReader(f), encoding="latin1").load()
    except (pickle.UnpicklingError, EOFError, ValueError, TypeError) as exc:
        raise DatasetFormatError(f"{path}: not a CIFAR-10 python batch ({exc})") from None
    if not isinstance(data, dict):
        raise DatasetFormatError(f"{path}: not a CIFAR-10 python batch (a {type(data).__name__})")
    return {k.decode("latin1") if isinstance(k, bytes) else k: v for k, v in data.items()}


def read_batch(path: str | Path) -> tuple[np.ndarray, np.ndarray]:
    """Read one batch file: (n, 32, 32, 3) uint8 images and (n,) int64 labels, for any n."""
    path = Path(path)
    batch = _unpickle(path)
    if "data" not in batch or "labels" not in batch:
        raise DatasetFormatError(f"{path}: batch has no 'data' or 'labels' (keys: {sorted(batch)})")
    data = np.asarray(batch["data"])
    labels = np.asarray(batch["labels"], dtype=np.int64)
    if data.dtype != np.uint8 or data.ndim != 2 or data.shape[1] != 3072:
        raise DatasetFormatError(f"{path}: 'data' must be uint8 rows of 3072 values, got {data.dtype} {data.shape}")
    if labels.shape != (data.shape[0],):
        raise DatasetFormatError(f"{path}: {labels.shape[0]} labels for {data.shape[0]} images")
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise DatasetFormatError(f"{path}: labels outside 0..9")
    images = data.reshape(-1, 3, 32, 32).transpose(0, 2, 3, 1)
    return np.ascontiguousarray(images), labels


def _cache_key(directory: Path) -> str:
    h = hashlib.sha256(CACHE_VERSION.encode())
    h.update(str(directory.resolve()).encode())
    for name in TRAIN_BATCHES + (TEST_BATCH,):
        st = (directory / name).stat()
        h.update(f"{name}:{st.st_size}:{st.st_mtime_ns}".encode())
    return h.hexdigest()[:20]


def _save_atomic(path: Path, array: np.ndarray) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, suffix=".npy.tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            np.save(f, array, allow_pickle=False)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _decode(directory: Path) -> dict[str, np.ndarray]:
    missing = [n for n in TRAIN_BATCHES + (TEST_BATCH,) if not (directory / n).is_file()]
    if missing:
        raise DatasetFormatError(f"{directory}: missing CIFAR-10 batch file(s) {missing}")
    parts = [read_batch(directory / n) for n in TRAIN_BATCHES]
    X_test, y_test = read_batch(directory / TEST_BATCH)
    return {
        "X_train": np.concatenate([p[0] for p in parts]),
        "y_train": np.concatenate([p[1] for p in parts]),
        "X_test": X_test,
        "y_test": y_test,
    }


def _label_names(directory: Path) -> tuple[str, ...]:
    meta = directory / META
    if not meta.is_file():
        return LABEL_NAMES
    names = _unpickle(meta).get("label_names", LABEL_NAMES)
    return tuple(n.decode("latin1") if isinstance(n, bytes) else str(n) for n in names)


def load_cifar10(directory: str | Path, cache_dir: str | Path | None = None, use_cache: bool = True) -> Cifar10:
    """Load CIFAR-10 from a ``cifar-10-batches-py`` folder (or its parent).

    The first load decodes the batches and writes a ``.npy`` cache under ``cache_dir``
    (default: the user cache dir, or ``GRADER_CACHE_DIR``); later loads read the cache.
    """
    directory = batches_dir(Path(directory))
    arrays = None
    cache = Path(cache_dir or default_cache_dir()) / "cifar10" / _cache_key(directory)
    if use_cache and (cache / "y_test.npy").is_file():
        arrays = {
            k: np.load(cache / f"{k}.npy", allow_pickle=False) for k in ("X_train", "y_train", "X_test", "y_test")
        }
    if arrays is None:
        arrays = _decode(directory)
        if use_cache:
            cache.mkdir(parents=True, exist_ok=True)
            for key in ("X_train", "y_train", "X_test"):  # y_test last: it marks completion
                _save_atomic(cache / f"{key}.npy", arrays[key])
            _save_atomic(cache / "y_test.npy", arrays["y_test"])
    return Cifar10(label_names=_label_names(directory), directory=directory, **arrays)


def batches_dir(path: Path) -> Path:
    """Accept the batches folder itself or a folder holding ``cifar-10-batches-py``."""
    if (path / TEST_BATCH).is_file():
        return path
    inner = path / "cifar-10-batches-py"
    if (inner / TEST_BATCH).is_file():
        return inner
    raise DatasetFormatError(f"{path}: no CIFAR-10 python batches here (no '{TEST_BATCH}')")


def is_cifar10_dir(path: Path) -> bool:
    try:
        d = batches_dir(path)
    except DatasetFormatError:
        return False
    return all((d / n).is_file() for n in TRAIN_BATCHES)


@dataclass(frozen=True)
class Split:
    X_train: np.ndarray
    y_train: np.ndarray
    X_val: np.ndarray
    y_val: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def split(data: Cifar10, num_train: int, num_val: int, num_test: int | None = None) -> Split:
    """cs231n's split: validation = the ``num_val`` training images after the first ``num_train``."""
    available = data.X_train.shape[0]
    if num_train + num_val > available:
        raise DatasetFormatError(f"{data.directory}: {available} training images, asked for {num_train} + {num_val}")
    num_test = data.X_test.shape[0] if num_test is None else num_test
    return Split(
        X_train=data.X_train[:num_train],
        y_train=data.y_train[:num_train],
        X_val=data.X_train[num_train : num_train + num_val],
        y_val=data.y_train[num_train : num_train + num_val],
        X_test=data.X_test[:num_test],
        y_test=data.y_test[:num_test],
    )
