"""Numeric helpers shared by checks and tests: relative error and centred-difference gradients.

These run in the grader on plain arrays; ``f`` is any callable returning a float (or an array,
for the ``_array`` variant). They perturb ``x`` in place and restore it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np


def rel_error(x, y) -> float:
    """cs231n's relative error: max |x - y| / max(1e-8, |x| + |y|), elementwise."""
    return float(np.max(elementwise_rel_error(x, y)))


def _centred(f: Callable[[np.ndarray], Any], x: np.ndarray, h: float, ix: tuple[int, ...]) -> tuple[Any, Any]:
    """f at x with entry ``ix`` moved by +h and -h (copies), x restored afterwards."""
    old = x[ix]
    try:
        x[ix] = old + h
        plus = np.array(f(x), dtype=np.float64, copy=True)
        x[ix] = old - h
        minus = np.array(f(x), dtype=np.float64, copy=True)
    finally:
        x[ix] = old
    return plus, minus


def numerical_gradient(f: Callable[[np.ndarray], float], x: np.ndarray, h: float = 1e-5) -> np.ndarray:
    """Gradient of scalar ``f`` at ``x`` by centred differences, every entry."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        plus, minus = _centred(f, x, h, ix)
        grad[ix] = (float(plus) - float(minus)) / (2 * h)
    return grad


def numerical_gradient_array(
    f: Callable[[np.ndarray], np.ndarray], x: np.ndarray, dout: np.ndarray, h: float = 1e-5
) -> np.ndarray:
    """Gradient of ``sum(f(x) * dout)`` at ``x``: the backward pass of ``f`` given upstream ``dout``."""
    grad = np.zeros(x.shape, dtype=np.float64)
    for ix in np.ndindex(x.shape):
        plus, minus = _centred(f, x, h, ix)
        grad[ix] = np.sum((plus - minus) * dout) / (2 * h)
    return grad


def elementwise_rel_error(x, y) -> np.ndarray:
    x, y = np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    return np.abs(x - y) / np.maximum(1e-8, np.abs(x) + np.abs(y))


def sparse_gradient_errors(
    f: Callable[[np.ndarray], float],
    x: np.ndarray,
    analytic: np.ndarray,
    num_checks: int = 10,
    h: float = 1e-5,
    seed: int = 0,
) -> np.ndarray:
    """Relative errors between numeric and ``analytic`` gradients at ``num_checks`` random entries."""
    rng = np.random.default_rng(seed)
    errors = np.empty(num_checks)
    for k in range(num_checks):
        ix = tuple(int(rng.integers(n)) for n in x.shape)
        plus, minus = _centred(f, x, h, ix)
        numeric = (float(plus) - float(minus)) / (2 * h)
        errors[k] = abs(numeric - analytic[ix]) / max(abs(numeric) + abs(analytic[ix]), 1e-300)
    return errors
