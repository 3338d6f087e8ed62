"""Assertions for checks: every failure names the quantity, the tolerance, the largest error and where.

Values returned by student code arrive as plain data or as :class:`RemoteObject` handles; the
``as_*`` validators turn anything unexpected (a handle, ``None``, an object array, the wrong
shape, NaN) into a failure that says what was wrong.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

import numpy as np

from grader.core.numeric import elementwise_rel_error, numerical_gradient, sparse_gradient_errors
from grader.jail.client import RemoteObject

SHOW_VALUES = 4
_NOTES: list[str] = []  # the running check's notes (checks run one at a time in the grader)
_METRICS: dict[str, float] = {}  # the running check's measurements (accuracies), for leaderboards


def note(text: str) -> None:
    """Tell the report what this check accepted or detected (shown with its result)."""
    if text not in _NOTES:
        _NOTES.append(text)


def take_notes() -> tuple[str, ...]:
    """The notes since the last call (the plugin takes them once per check)."""
    notes = tuple(_NOTES)
    _NOTES.clear()
    return notes


def metric(name: str, value: float) -> None:
    """Record a number this check measured (an accuracy the grader computed), shown with its
    result and sent to Gradescope's leaderboard."""
    _METRICS[name] = round(float(value), 6)


def take_metrics() -> dict[str, float]:
    """The metrics since the last call (the plugin takes them once per check)."""
    metrics = dict(_METRICS)
    _METRICS.clear()
    return metrics


def broadcast_equivalent(shape: tuple[int, ...], expected: tuple[int, ...]) -> bool:
    """A per-feature vector (``expected`` is 1-D, e.g. ``dgamma``, a bias, a running mean) given
    as a row with leading axes of length 1 (``(1, D)`` for ``(D,)``). Numpy broadcasting treats
    them alike wherever the course uses them (its ``rel_error``, the ``Solver``'s updates, the
    next forward pass), so the course accepts them. ``(D, 1)`` is not accepted, nor a leading
    axis on an array with a batch axis (the next layer reads ``x.shape[0]`` as the batch size)."""
    shape, expected = tuple(shape), tuple(expected)
    return len(expected) == 1 and len(shape) > 1 and shape[-1:] == expected and set(shape[:-1]) == {1}


def describe(value: Any) -> str:
    """A short description of ``value`` for a failure message (its type and shape, or a hint such
    as a forgotten ``return`` for ``None``)."""
    if isinstance(value, RemoteObject):
        return f"a {value.remote_type} object"
    if value is None:
        return "None (did you forget a return statement?)"
    if isinstance(value, np.ndarray):
        return f"an array of shape {value.shape} and dtype {value.dtype}"
    return f"a {type(value).__name__}"


def as_array(name: str, value: Any, shape: tuple[int, ...] | None = None, *, exact_shape: bool = False) -> np.ndarray:
    """``value`` as a finite float64 array (of ``shape`` if given), or an AssertionError saying why not.

    A shape that is :func:`broadcast_equivalent` to ``shape`` is accepted (reshaped, with a note)
    unless ``exact_shape`` (for a check whose course code would break on such an array)."""
    if isinstance(value, (RemoteObject, type(None), str, bytes, dict)):
        raise AssertionError(f"{name}: expected an array, got {describe(value)}")
    try:
        array = np.asarray(value)
    except Exception:
        raise AssertionError(f"{name}: expected an array, got {describe(value)}") from None
    if array.dtype.kind not in "biuf":
        raise AssertionError(f"{name}: expected numbers, got {describe(array)}")
    array = array.astype(np.float64)
    if shape is not None and not exact_shape and broadcast_equivalent(array.shape, tuple(shape)):
        note(
            f"{name}: shape {array.shape} accepted for {tuple(shape)} (a row that broadcasts like "
            "the vector everywhere the course uses it)"
        )
        array = array.reshape(shape)
    if shape is not None and array.shape != tuple(shape):
        raise Mismatch(
            f"{name}: expected shape {tuple(shape)}, got {array.shape}",
            {"kind": "shape", "name": name, "shape": list(array.shape), "expected_shape": list(shape)},
        )
    bad = ~np.isfinite(array)
    if bad.any():
        where = tuple(int(i) for i in np.argwhere(bad)[0])
        raise AssertionError(
            f"{name}: contains {'NaN' if np.isnan(array[where]) else 'inf'} "
            f"(first at index {list(where)}), {int(bad.sum())} non-finite values"
        )
    return array


def as_scalar(name: str, value: Any) -> float:
    """A real number (Python or numpy scalar, or a 0-d / one-element array)."""
    if isinstance(value, (bool, np.bool_)):
        raise AssertionError(f"{name}: expected a number, got a bool")
    array = as_array(name, value)
    if array.size != 1:
        raise AssertionError(f"{name}: expected a single number, got an array of shape {array.shape}")
    return float(array.reshape(()))


def _where(index: tuple[int, ...]) -> str:
    return f"[{', '.join(map(str, index))}]" if index else "(scalar)"


class PartialCredit(AssertionError):
    """Ends a check with ``fraction`` of its points and ``message`` (e.g. an accuracy band)."""

    def __init__(self, fraction: float, message: str) -> None:
        super().__init__(message)
        self.fraction = float(min(max(fraction, 0.0), 1.0))


def grade_accuracy(accuracies: Mapping[str, float], thresholds: Any, dataset: str) -> None:
    """Pass when every accuracy reaches its threshold (``val_accuracy`` / ``test_accuracy``);
    otherwise the best partial band every accuracy reaches, or no credit."""
    for split, value in accuracies.items():
        metric(f"{split} accuracy", value)
    wanted = {"validation": thresholds.val_accuracy, "test": thresholds.test_accuracy}
    short = {k: (v, wanted[k]) for k, v in accuracies.items() if wanted.get(k) is not None and v < wanted[k]}
    if not short:
        return
    text = "; ".join(f"{k} accuracy {v:.3f} is below {t:.3g}" for k, (v, t) in short.items())
    bands = sorted(((float(level), credit) for level, credit in thresholds.partial.items()), reverse=True)
    worst = min(accuracies[k] for k in short)
    credit = next((c for level, c in bands if worst >= level), 0.0)
    message = f"{text} (thresholds for {dataset})" + (
        f"; {credit:.0%} credit for reaching {worst:.3f}" if credit else ""
    )
    raise PartialCredit(credit, message)


class Mismatch(AssertionError):
    """A failed comparison that also carries its facts as plain data (``details``) for the report."""

    def __init__(self, message: str, details: dict[str, Any]) -> None:
        super().__init__(message)
        self.details = details


def _worst_entries(diff: np.ndarray, count: int) -> list[tuple[int, ...]]:
    order = np.argsort(-diff.ravel(), kind="stable")[:count]
    return [tuple(int(i) for i in np.unravel_index(k, diff.shape)) for k in order]


def _mismatch(name: str, actual: np.ndarray, expected: np.ndarray, tolerance: str) -> Mismatch:
    diff = np.abs(actual - expected)
    rel = elementwise_rel_error(actual, expected)
    worst = _worst_entries(diff, SHOW_VALUES) if diff.ndim else [()]
    index = worst[0]
    bad = int(np.count_nonzero(diff))
    lines = [
        f"{name} does not match the reference ({tolerance}).",
        f"  largest absolute error {diff.max():.3g} at {_where(index)}: "
        f"yours {actual[index]:.8g}, expected {expected[index]:.8g}",
        f"  largest relative error {rel.max():.3g}; {bad} of {actual.size} entries differ",
    ]
    if actual.size > 1:
        flat_a, flat_e = actual.ravel()[:SHOW_VALUES], expected.ravel()[:SHOW_VALUES]
        lines.append(
            f"  first values: yours {np.array2string(flat_a, precision=6)}, "
            f"expected {np.array2string(flat_e, precision=6)}"
        )
    details = {
        "kind": "array",
        "name": name,
        "tolerance": tolerance,
        "shape": list(actual.shape),
        "max_abs_error": float(diff.max()),
        "max_rel_error": float(rel.max()),
        "differ": bad,
        "size": int(actual.size),
        "worst": [
            {"index": list(i), "yours": float(actual[i]), "expected": float(expected[i]), "abs_error": float(diff[i])}
            for i in worst
        ],
    }
    return Mismatch("\n".join(lines), details)


def assert_close(
    name: str, actual: Any, expected: Any, *, atol: float = 0.0, rtol: float = 0.0, exact_shape: bool = False
) -> np.ndarray:
    """Pass when ``|actual - expected| <= atol + rtol * |expected|`` everywhere (shapes must match
    up to :func:`broadcast_equivalent`, unless ``exact_shape``)."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = as_array(name, actual, expected.shape, exact_shape=exact_shape)
    if not np.all(np.abs(actual - expected) <= atol + rtol * np.abs(expected)):
        raise _mismatch(name, actual, expected, f"atol={atol:g}, rtol={rtol:g}")
    return actual


def assert_rel_error(
    name: str, actual: Any, expected: Any, max_error: float, *, exact_shape: bool = False
) -> np.ndarray:
    """cs231n's test: ``max |a - e| / max(1e-8, |a| + |e|) < max_error``."""
    expected = np.asarray(expected, dtype=np.float64)
    actual = as_array(name, actual, expected.shape, exact_shape=exact_shape)
    if elementwise_rel_error(actual, expected).max() >= max_error:
        raise _mismatch(name, actual, expected, f"relative error must be below {max_error:g}")
    return actual


def assert_scalar_close(name: str, actual: Any, expected: float, *, atol: float) -> float:
    """``actual`` is a number within ``atol`` of ``expected``; returns it as a float."""
    value = as_scalar(name, actual)
    if not abs(value - expected) <= atol:
        raise AssertionError(
            f"{name} is {value:.12g}, expected {expected:.12g} "
            f"(difference {abs(value - expected):.3g}, tolerance {atol:g})"
        )
    return value


def plain(value: Any) -> Any:
    """The value of a remote container (``fetch()``); local values pass through."""
    return value.fetch() if isinstance(value, RemoteObject) else value


def as_dict(name: str, value: Any) -> dict:
    """``value`` (a remote dict is fetched) as a plain dict, or a failure that says what it was."""
    if isinstance(value, RemoteObject) and value.remote_type == "dict":
        value = value.fetch()
    if not isinstance(value, dict):
        raise AssertionError(f"{name}: expected a dict, got {describe(value)}")
    return value


def assert_dict_close(
    name: str,
    actual: Any,
    expected: Mapping[str, Any],
    *,
    atol: float = 0.0,
    rtol: float = 0.0,
    aliases: Callable[[str], list[str]] | None = None,
) -> dict:
    """Every key of ``expected`` is in ``actual`` (or one of its ``aliases``) and close."""
    actual = as_dict(name, actual)
    found = {}
    for key, want in expected.items():
        candidates = [key] + (aliases(key) if aliases else [])
        have = next((k for k in candidates if k in actual), None)
        if have is None:
            raise AssertionError(f"{name}: missing key '{key}' (keys present: {sorted(map(str, actual))})")
        want = np.asarray(want, dtype=np.float64)
        got = actual[have]
        found[key] = assert_close(f"{name}['{key}']", got, want, atol=atol, rtol=rtol)
    return found


def numeric_gradient_errors(
    f: Callable[[np.ndarray], Any], x: np.ndarray, analytic: Any, name: str, h: float = 1e-5
) -> np.ndarray:
    """Elementwise relative errors between ``analytic`` and the centred difference of scalar ``f``."""
    return elementwise_rel_error(*_both_gradients(f, x, analytic, name, h))


def _both_gradients(f, x, analytic, name, h) -> tuple[np.ndarray, np.ndarray]:
    """(numeric, analytic) gradients of scalar ``f`` at ``x``, the analytic one validated."""
    analytic = as_array(name, analytic, x.shape)
    return numerical_gradient(lambda v: as_scalar(f"{name} (loss)", f(v)), x, h), analytic


def assert_gradient(
    name: str, f: Callable[[np.ndarray], Any], x: np.ndarray, analytic: Any, max_error: float, h: float = 1e-5
) -> None:
    """Numeric gradient check of a (remote) loss ``f`` at ``x`` against ``analytic``."""
    numeric, analytic = _both_gradients(f, x, analytic, name, h)
    if not numeric.any() and not analytic.any():
        raise AssertionError(
            f"{name}: your loss does not change when {name.split('[')[0]} changes and your "
            "gradient is zero: there is nothing to check (is the loss computed at all?)"
        )
    errors = elementwise_rel_error(numeric, analytic)
    if errors.max() >= max_error:
        index = tuple(int(i) for i in np.unravel_index(np.argmax(errors), errors.shape))
        raise AssertionError(
            f"{name}: analytic gradient disagrees with the numeric gradient: relative error "
            f"{errors.max():.3g} at {_where(index)} (must be below {max_error:g}); "
            f"{int(np.sum(errors >= max_error))} of {errors.size} entries are off"
        )


def assert_gradient_sparse(
    name: str,
    f: Callable[[np.ndarray], Any],
    x: np.ndarray,
    analytic: Any,
    max_error: float,
    num_checks: int = 10,
    h: float = 1e-5,
    seed: int = 0,
) -> None:
    """Numeric check at ``num_checks`` random entries only: for large parameters (CIFAR-sized W1)."""
    analytic = as_array(name, analytic, x.shape)
    errors = sparse_gradient_errors(lambda v: as_scalar(f"{name} (loss)", f(v)), x, analytic, num_checks, h, seed)
    if errors.max() >= max_error:
        raise AssertionError(
            f"{name}: analytic gradient disagrees with the numeric gradient at sampled "
            f"entries: largest relative error {errors.max():.3g} (must be below {max_error:g})"
        )
