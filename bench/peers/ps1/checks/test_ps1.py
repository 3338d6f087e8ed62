"""The peers' four questions on two_layer_loss, as grader checks: the same toy net, the same
points and the same public/hidden split (q3's public part is a structure check worth nothing)."""

import numpy as np

from grader.checks import as_dict, as_scalar, assert_close, assert_gradient, hidden, points

NAMES = ("W1", "b1", "W2", "b2")


def toy():
    """Parameters from seed 0 (std 0.1), data from seed 1: X = 10 * randn(5, 4), y = [0, 1, 2, 2, 1]."""
    np.random.seed(0)
    params = {"W1": 0.1 * np.random.randn(4, 10), "b1": 0.1 * np.random.randn(10),
              "W2": 0.1 * np.random.randn(10, 3), "b2": 0.1 * np.random.randn(3)}
    np.random.seed(1)
    return 10 * np.random.randn(5, 4), np.array([0, 1, 2, 2, 1]), params


def loss_and_grads(side, X, y, params, reg):
    result = side.module("ps1").two_layer_loss(X, y, *(params[n] for n in NAMES), reg)
    if not isinstance(result, tuple) or len(result) != 2:
        raise AssertionError("two_layer_loss(X, y, ...) must return a tuple (loss, grads)")
    return as_scalar("loss", result[0]), as_dict("grads", result[1])


@points(1)
def test_q1_forward_scores(student, reference):
    """q1: forward pass scores on the toy net."""
    X, _, p = toy()
    args = [p[n] for n in NAMES]
    assert_close("scores", student.module("ps1").two_layer_loss(X, None, *args, 0.0),
                 reference.module("ps1").two_layer_loss(X, None, *args, 0.0), atol=1e-7)


@points(1)
def test_q2_loss(student, reference):
    """q2: loss value with reg = 0.05 (1.1559868905472284)."""
    X, y, p = toy()
    loss, _ = loss_and_grads(student, X, y, p, 0.05)
    expected, _ = reference.module("ps1").two_layer_loss(X, y, *(p[n] for n in NAMES), 0.05)
    assert abs(loss - expected) < 1e-7, f"loss is {loss:.12g}, expected {expected:.12g}"


@points(0)
def test_q3_gradient_structure(student):
    """q3 (public part): grads holds W1, b1, W2, b2 with the parameters' shapes."""
    X, y, p = toy()
    _, grads = loss_and_grads(student, X, y, p, 0.05)
    assert sorted(grads) == sorted(NAMES), f"grads has keys {sorted(grads)}; expected {sorted(NAMES)}"
    for name in NAMES:
        assert np.shape(grads[name]) == p[name].shape, f"grads['{name}'] has shape {np.shape(grads[name])}"


@hidden
@points(1)
def test_q3_numeric_gradient(student):
    """q3: the gradients agree with a numeric gradient of the loss (relative error < 1e-7)."""
    X, y, p = toy()
    _, grads = loss_and_grads(student, X, y, p, 0.05)
    if sorted(grads) != sorted(NAMES):
        raise AssertionError(f"grads has keys {sorted(grads)}; expected {sorted(NAMES)}")
    f = student.module("ps1").two_layer_loss
    for name in NAMES:
        def loss_at(value, name=name):
            return f(X, y, *(value if n == name else p[n] for n in NAMES), 0.05)[0]
        assert_gradient(f"grads['{name}']", loss_at, p[name].copy(), grads[name], max_error=1e-7)


@hidden
@points(1)
def test_q4_training(student):
    """q4: 100 SGD steps (learning rate 0.1, reg 1e-5) bring the toy loss below 0.05."""
    X, y, p = toy()
    params = {n: v.copy() for n, v in p.items()}
    for _ in range(100):
        loss, grads = loss_and_grads(student, X, y, params, 1e-5)
        for name in NAMES:
            params[name] = params[name] - 0.1 * np.asarray(grads[name], dtype=float)
    assert loss < 0.05, f"after 100 steps the loss is {loss:.4f}; it should be below 0.05"
