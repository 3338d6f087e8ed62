"""Train each reference on a CIFAR-10 folder and print the accuracy its declared hyperparameters reach.

    python bench/calibrate.py [--data DIR] [--dataset-key cifar10-subset|synthetic] [ASSIGNMENT ...]

Without --data it uses the real subset in ../shared/data/cifar10-subset (tests and calibration
only; user commands never read ../shared), or with `--dataset-key synthetic` the grader's own
synthetic set. Compare the output with the `default_test_accuracy` and `tuned_test_accuracy`
recorded in each assignment.toml's `[calibration.<dataset-key>]`.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from grader.core import assignment as assignments
from grader.data.grading import synthetic_dir
from grader.oracle.calibration import reference_accuracy

SHARED_SUBSET = Path(__file__).resolve().parents[2] / "shared" / "data" / "cifar10-subset"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("names", nargs="*", default=assignments.builtin_names())
    parser.add_argument("--data", default=None)
    parser.add_argument("--dataset-key", default="cifar10-subset")
    args = parser.parse_args()
    data = args.data or str(synthetic_dir() if args.dataset_key == "synthetic" else SHARED_SUBSET)
    print(f"{'assignment':<14} {'setting':<8} {'recorded':>8} {'measured':>8} {'seconds':>8}")
    for name in args.names:
        a = assignments.load(name)
        cal = a.calibration[args.dataset_key]
        for setting, hp, recorded in (("default", cal.default_hyperparameters, cal.default_test_accuracy),
                                      ("tuned", cal.tuned_hyperparameters, cal.tuned_test_accuracy)):
            start = time.perf_counter()
            acc = reference_accuracy(a, data, cal.split, hp, cal.seed)
            print(f"{name:<14} {setting:<8} {recorded:>8.3f} {acc:>8.3f} "
                  f"{time.perf_counter() - start:>8.1f}", flush=True)


if __name__ == "__main__":
    main()
