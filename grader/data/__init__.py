"""Datasets: CIFAR-10 in the original python-batch format, cached as .npy, plus a synthetic twin.

May import: :mod:`grader.core`."""

from grader.data.cifar10 import Cifar10, load_cifar10, read_batch, split
from grader.data.locate import locate_cifar10
from grader.data.synthetic import write_synthetic_cifar10

__all__ = [
    "Cifar10",
    "load_cifar10",
    "locate_cifar10",
    "read_batch",
    "split",
    "write_synthetic_cifar10",
]
