"""Time loading a full-size CIFAR-10 (60,000 images) from the python batches and from the .npy cache.

    python bench/data_load.py [--dir CIFAR_DIR]

Without --dir it writes a synthetic full-size copy (5 x 10,000 + 10,000 rows) to a temporary folder.
Prints the first (decode + write cache) and repeat (cache) load times and their ratio.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from grader.data import load_cifar10, write_synthetic_cifar10


def timed(fn):
    start = time.perf_counter()
    value = fn()
    return value, time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", default=None)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.dir) if args.dir else write_synthetic_cifar10(tmp, per_batch=10_000, test=10_000)
        cache = Path(tmp) / "cache"
        data, cold = timed(lambda: load_cifar10(folder, cache_dir=cache))
        repeats = [timed(lambda: load_cifar10(folder, cache_dir=cache))[1] for _ in range(3)]
        warm = min(repeats)
        n = data.X_train.shape[0] + data.X_test.shape[0]
        print(f"images: {n}")
        print(f"first load (decode batches, write .npy cache): {cold:.3f} s")
        print(f"repeat load (.npy cache), best of 3:          {warm:.3f} s")
        print(f"speed-up: {cold / warm:.1f}x")


if __name__ == "__main__":
    main()
