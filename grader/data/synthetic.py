"""Small synthetic CIFAR-format datasets with learnable class structure, for fast tests.

Each class has a smooth random prototype image; an example is its class prototype plus
pixel noise, so a linear or two-layer classifier learns it well above chance within a
few hundred steps. The files are written like the original python batches (:mod:`.batchfile`).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from grader.data.batchfile import meta_bytes, write_batch
from grader.data.cifar10 import LABEL_NAMES, META, TEST_BATCH, TRAIN_BATCHES

SYNTHETIC_MARKER = "SYNTHETIC-NOT-CIFAR10"


def _prototypes(rng: np.random.Generator, num_classes: int) -> np.ndarray:
    coarse = rng.normal(size=(num_classes, 4, 4, 3))
    # Upsample 4x4 -> 32x32 so prototypes are smooth, like natural-image colour blobs.
    return coarse.repeat(8, axis=1).repeat(8, axis=2)


def synthetic_arrays(n: int, seed: int, noise: float = 1.0, proto_seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """``n`` images (n, 32, 32, 3) uint8 and labels (n,) int64; classes share prototypes by ``proto_seed``."""
    protos = _prototypes(np.random.default_rng(proto_seed), len(LABEL_NAMES))
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, len(LABEL_NAMES), size=n)
    signal = protos[labels] + noise * rng.normal(size=(n, 32, 32, 3))
    images = np.clip(128 + 40 * signal, 0, 255).astype(np.uint8)
    return images, labels.astype(np.int64)


def _write_batch(path: Path, images: np.ndarray, labels: np.ndarray, label: str) -> None:
    rows = np.ascontiguousarray(images.transpose(0, 3, 1, 2).reshape(images.shape[0], -1), dtype=np.uint8)
    write_batch(
        path,
        label,
        [int(v) for v in labels],
        rows,
        [f"synthetic_{label.replace(' ', '_')}_{i}.png" for i in range(len(labels))],
    )


def write_synthetic_cifar10(
    directory: str | Path, per_batch: int = 200, test: int = 200, seed: int = 0, noise: float = 1.0
) -> Path:
    """Write five training batches of ``per_batch`` rows and a test batch of ``test`` rows.

    Returns the ``cifar-10-batches-py`` folder created inside ``directory``.
    """
    out = Path(directory) / "cifar-10-batches-py"
    out.mkdir(parents=True, exist_ok=True)
    for i, name in enumerate(TRAIN_BATCHES):
        images, labels = synthetic_arrays(per_batch, seed=seed * 10 + i + 1, noise=noise, proto_seed=seed)
        _write_batch(out / name, images, labels, f"training batch {i + 1} of 5")
    images, labels = synthetic_arrays(test, seed=seed * 10 + 7, noise=noise, proto_seed=seed)
    _write_batch(out / TEST_BATCH, images, labels, "testing batch 1 of 1")
    (out / META).write_bytes(meta_bytes(LABEL_NAMES, per_batch))
    (out / SYNTHETIC_MARKER).write_text("Synthetic images written by grader; not CIFAR-10.\n")
    return out
