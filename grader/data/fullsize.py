"""Any grading dataset laid out exactly like the real CIFAR-10, for course notebooks.

A course's own loader (cs231n's ``data_utils.load_CIFAR_batch``, CS498DL's
``utils/data_process.py``) reshapes every batch to ``(10000, 3, 32, 32)`` and splits 49,000 /
1,000 / 1,000. When the grading dataset is smaller (the 6,187-image subset, the synthetic
fallback), a notebook that has no cell for the grader's parameters gets this view instead: five
training batches and a test batch of 10,000 rows each, written byte for byte like the originals
(:mod:`grader.data.batchfile`), built from the grading split so that the grader's accuracy
checks stay honest:

- training rows 0..48,999 repeat the split's training images (in order, then again);
- training rows 49,000..49,999 repeat the split's validation images, where course notebooks take
  their validation set, so no validation image is ever trained on;
- the test batch repeats the split's test images.

Views are cached by the dataset's content and the split.
"""

from __future__ import annotations

import functools
import hashlib
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np

from grader.core.paths import default_cache_dir
from grader.data.batchfile import meta_bytes, write_batch
from grader.data.cifar10 import META, TEST_BATCH, TRAIN_BATCHES, batches_dir, load_cifar10

ROWS = 10000
TRAIN_ROWS = ROWS * len(TRAIN_BATCHES)
VALIDATION_START = 49000
VERSION = "1"
MARKER = "FULL-SIZE-VIEW"


def _tiled(images: np.ndarray, labels: np.ndarray, n: int) -> tuple[np.ndarray, np.ndarray]:
    index = np.arange(n) % images.shape[0]
    rows = images[index].transpose(0, 3, 1, 2).reshape(n, -1)
    return np.ascontiguousarray(rows, dtype=np.uint8), labels[index]


def _key(source: Path, sizes: Mapping[str, int]) -> str:
    digest = hashlib.sha256(f"{VERSION}:{sizes['train']}:{sizes['val']}:{sizes['test']}".encode())
    for name in TRAIN_BATCHES + (TEST_BATCH,):
        with open(source / name, "rb") as f:
            digest.update(hashlib.sha256(f.read()).digest())
    return digest.hexdigest()[:24]


def is_full_size(source: Path) -> bool:
    """Whether ``source`` already has CIFAR-10's 50,000 + 10,000 rows (asked once per notebook
    run: the counts are remembered per folder and test-batch modification time)."""
    folder = batches_dir(Path(source))
    return _row_counts(str(folder), (folder / TEST_BATCH).stat().st_mtime_ns) == (TRAIN_ROWS, ROWS)


@functools.lru_cache(maxsize=8)
def _row_counts(folder: str, stamp: int) -> tuple[int, int]:
    data = load_cifar10(folder)
    return data.X_train.shape[0], data.X_test.shape[0]


def _write_view(out: Path, data, train: int, val: int, test: int) -> None:
    first, first_labels = _tiled(data.X_train[:train], data.y_train[:train], VALIDATION_START)
    last, last_labels = _tiled(
        data.X_train[train : train + val], data.y_train[train : train + val], TRAIN_ROWS - VALIDATION_START
    )
    rows, labels = np.concatenate([first, last]), np.concatenate([first_labels, last_labels])
    test_rows, test_labels = _tiled(data.X_test[:test], data.y_test[:test], ROWS)
    out.mkdir()
    for i, name in enumerate(TRAIN_BATCHES):
        part = slice(i * ROWS, (i + 1) * ROWS)
        write_batch(
            out / name,
            f"training batch {i + 1} of 5",
            labels[part].tolist(),
            rows[part],
            [f"{name}_{j:05d}.png" for j in range(ROWS)],
        )
    write_batch(
        out / TEST_BATCH,
        "testing batch 1 of 1",
        test_labels.tolist(),
        test_rows,
        [f"{TEST_BATCH}_{j:05d}.png" for j in range(ROWS)],
    )
    (out / META).write_bytes(meta_bytes(data.label_names, ROWS))


def full_size_view(source: str | Path, sizes: Mapping[str, int]) -> Path:
    """The ``cifar-10-batches-py`` folder of the full-size view of ``source`` for the split
    ``sizes`` (``train``, ``val``, ``test``); written once, atomically, into the cache."""
    source = batches_dir(Path(source))
    target = default_cache_dir() / "full-size-views" / _key(source, sizes)
    folder = target / "cifar-10-batches-py"
    if (folder / MARKER).is_file():
        return folder
    data = load_cifar10(source)
    train, val, test = int(sizes["train"]), int(sizes["val"]), int(sizes["test"])
    if min(train, val, test) <= 0 or train + val > data.X_train.shape[0] or test > data.X_test.shape[0]:
        raise ValueError(f"{source}: cannot take a {train}/{val}/{test} split of it")
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(dir=target.parent, prefix=".view-"))
    tmp.chmod(0o755)  # readable by student code run as another user (grader.jail.sandbox.unprivileged_uid)
    _write_view(tmp / "cifar-10-batches-py", data, train, val, test)
    (tmp / "cifar-10-batches-py" / MARKER).write_text(
        f"Built by grader from {source} ({train}/{val}/{test} split): not CIFAR-10 itself. "
        "See grader/data/fullsize.py.\n"
    )
    try:
        tmp.rename(target)
    except OSError:  # another process finished first
        shutil.rmtree(tmp, ignore_errors=True)
    return folder
