"""Shared helpers of the two-layer-net checks: build the same toy net on both sides."""

import numpy as np
import pytest

MODULE = "cs231n.classifiers.neural_net"
PARAMS = ("W1", "b1", "W2", "b2")


def make_net(side, sizes, seed, std=1e-1):
    """``np.random.seed(seed)`` then ``TwoLayerNet(*sizes, std=std)`` on ``side`` (student or reference)."""
    side.seed(seed)
    return side.module(MODULE).TwoLayerNet(*sizes, std=std)


def data(seed, n, d, classes, scale=10.0):
    rng = np.random.RandomState(seed)
    return scale * rng.randn(n, d), rng.randint(classes, size=n)


def pair(student, reference, sizes=(4, 10, 3), seed=0):
    """Student and reference nets with identical parameters (the reference's)."""
    ref = make_net(reference, sizes, seed)
    mine = make_net(student, sizes, seed)
    for name in PARAMS:
        mine.params[name] = ref.params[name]
    return mine, ref


@pytest.fixture
def toy():
    """The notebook's toy data: seed 1, X = 10 * randn(5, 4), y = [0, 1, 2, 2, 1]."""
    np.random.seed(1)
    X = 10 * np.random.randn(5, 4)
    return X, np.array([0, 1, 2, 2, 1])


def trained_loss(net, X, y, reg):
    """The loss of ``net``'s parameters on (X, y), computed by the grader (never read from the
    student's history): ReLU two-layer scores, softmax cross-entropy, ``reg * sum(W**2)``."""
    from grader.checks import as_array, as_dict
    p = as_dict("net.params after train", net.params)
    W1, b1, W2, b2 = (as_array(f"net.params['{k}']", p.get(k)) for k in PARAMS)
    scores = np.maximum(0, X.dot(W1) + b1).dot(W2) + b2
    scores = scores - scores.max(axis=1, keepdims=True)
    data = np.mean(np.log(np.exp(scores).sum(axis=1)) - scores[np.arange(len(y)), y])
    return float(data + reg * (np.sum(W1 * W1) + np.sum(W2 * W2)))
