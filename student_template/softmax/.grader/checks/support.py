"""Shared inputs of the softmax checks: small random data shaped like CIFAR-10 rows."""

import numpy as np

SOFTMAX = "cs231n.classifiers.softmax"
LINEAR = "cs231n.classifiers.linear_classifier"


def inputs(seed, n=20, d=30, c=10, scale=1.0, w_scale=1e-2):
    """(W, X, y): weights D x C, data N x D and labels, from ``seed``."""
    rng = np.random.RandomState(seed)
    return w_scale * rng.randn(d, c), scale * rng.randn(n, d), rng.randint(c, size=n)


def blobs(seed, n=200, d=8, c=3):
    """Separable data: one Gaussian blob per class."""
    rng = np.random.RandomState(seed)
    centers = 4 * rng.randn(c, d)
    y = rng.randint(c, size=n)
    return centers[y] + rng.randn(n, d), y
