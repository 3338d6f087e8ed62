"""Checks of cs231n/classifiers/softmax.py and linear_classifier.py (softmax linear classifier)."""

import numpy as np
from support import LINEAR, SOFTMAX, blobs, inputs

from grader.checks import (as_array, as_scalar, assert_close, assert_gradient, assert_scalar_close,
                           hidden, points)


def check_loss(student, reference, function, seed, reg, **shape):
    W, X, y = inputs(seed, **shape)
    mine = getattr(student.module(SOFTMAX), function)(W, X, y, reg)
    ref_loss, ref_grad = getattr(reference.module(SOFTMAX), function)(W, X, y, reg)
    if not isinstance(mine, tuple) or len(mine) != 2:
        raise AssertionError(f"{function}(W, X, y, reg) must return a tuple (loss, dW)")
    assert_scalar_close(f"{function} loss at reg={reg}", mine[0], ref_loss, atol=1e-9)
    assert_close(f"{function} dW at reg={reg}", mine[1], ref_grad, atol=1e-9, rtol=1e-6)


@points(1)
def test_naive_loss_is_about_log_ten_for_small_weights(student):
    """With tiny random weights the naive loss is close to -log(0.1) (10 classes)."""
    W, X, y = inputs(0, n=50, d=40, w_scale=1e-4)
    loss = as_scalar("softmax_loss_naive loss", student.module(SOFTMAX).softmax_loss_naive(W, X, y, 0.0)[0])
    assert abs(loss - np.log(10)) < 0.05, f"loss {loss:.4f} should be close to -log(0.1) = {np.log(10):.4f}"


@points(2)
def test_naive_loss_and_gradient(student, reference):
    """softmax_loss_naive matches the reference without and with regularization."""
    check_loss(student, reference, "softmax_loss_naive", 1, 0.0)
    check_loss(student, reference, "softmax_loss_naive", 2, 5.0)


@points(1)
def test_naive_numeric_gradient(student):
    """The naive dW agrees with a numeric gradient of your own naive loss."""
    W, X, y = inputs(3, n=10, d=6, c=4)
    naive = student.module(SOFTMAX).softmax_loss_naive
    _, dW = naive(W, X, y, 0.5)
    assert_gradient("dW", lambda w: naive(w, X, y, 0.5)[0], W, dW, max_error=1e-6)


@points(2)
def test_vectorized_loss_and_gradient(student, reference):
    """softmax_loss_vectorized matches the reference without and with regularization."""
    check_loss(student, reference, "softmax_loss_vectorized", 4, 0.0)
    check_loss(student, reference, "softmax_loss_vectorized", 5, 5.0)


@points(1)
def test_vectorized_equals_naive(student):
    """The vectorized loss and gradient equal the naive ones (the notebook's comparison)."""
    W, X, y = inputs(6, n=40)
    module = student.module(SOFTMAX)
    naive, vectorized = module.softmax_loss_naive(W, X, y, 1e-2), module.softmax_loss_vectorized(W, X, y, 1e-2)
    assert_scalar_close("vectorized loss minus naive loss", as_scalar("loss", vectorized[0]),
                        as_scalar("naive loss", naive[0]), atol=1e-9)
    assert_close("vectorized dW (against naive dW)", vectorized[1], naive[1], atol=1e-9, rtol=1e-6)


@points(1)
def test_training_lowers_the_loss(student):
    """Softmax.train on separable data lowers the loss (SGD on mini-batches)."""
    X, y = blobs(7)
    student.seed(0)
    clf = student.module(LINEAR).Softmax()
    history = as_array("loss history", clf.train(X, y, learning_rate=1e-2, reg=1e-4, num_iters=200,
                                                   batch_size=50))
    if history.shape != (200,):
        raise AssertionError(f"train returned {history.shape[0] if history.ndim else 0} losses; "
                             "expected one per iteration (200)")
    first, last = history[:10].mean(), history[-10:].mean()
    if last > first:
        raise AssertionError(f"the loss rose from {first:.3f} to {last:.3f}: each step must go against the gradient")
    assert last < 0.3 * first, f"the loss only went from {first:.3f} to {last:.3f}; it should fall below 30%"
    W = as_array("clf.W after train", clf.W)
    if W.shape != (X.shape[1], 3):
        raise AssertionError(f"clf.W has shape {W.shape} after train; expected {(X.shape[1], 3)}")
    scores = X.dot(W)
    scores -= scores.max(axis=1, keepdims=True)
    final = float(np.mean(np.log(np.exp(scores).sum(axis=1)) - scores[np.arange(len(y)), y]))
    if final > 0.3 * np.log(3):  # the grader's own measure of the trained W: not the reported history
        raise AssertionError(f"the trained W has a data loss of {final:.3f} on the training data "
                             f"(computed by the grader); training should bring it below {0.3 * np.log(3):.3f}")


@points(1)
def test_predict(student, reference):
    """predict returns the highest-scoring class for each example."""
    W, X, _ = inputs(8, n=25)
    mine, ref = student.module(LINEAR).Softmax(), reference.module(LINEAR).Softmax()
    mine.W = W
    ref.W = W
    expected = ref.predict(X)
    got = as_array("predicted labels", mine.predict(X), expected.shape)
    assert np.array_equal(got.astype(int), expected), (
        f"{int(np.sum(got.astype(int) != expected))} of {len(expected)} labels differ from argmax of X.dot(W)")


@hidden
@points(2)
def test_losses_on_other_shapes(student, reference):
    """Both losses on other shapes and regularization strengths."""
    for function in ("softmax_loss_naive", "softmax_loss_vectorized"):
        check_loss(student, reference, function, 11, 0.3, n=13, d=17, c=5)


@hidden
@points(1)
def test_vectorized_loss_is_stable_for_large_scores(student, reference):
    """The vectorized loss stays finite when every score is near 1000."""
    W, X, y = inputs(12)
    X = np.hstack([X, np.ones((X.shape[0], 1))])  # a constant feature whose weights add 1000 to every score
    W = np.vstack([W, np.full((1, W.shape[1]), 1000.0)])
    loss = as_scalar("softmax_loss_vectorized loss for large scores",
                     student.module(SOFTMAX).softmax_loss_vectorized(W, X, y, 0.0)[0])
    assert np.isfinite(loss), f"loss is {loss}: subtract each row's maximum score before exponentiating"
    expected = reference.module(SOFTMAX).softmax_loss_vectorized(W, X, y, 0.0)[0]
    assert_scalar_close("softmax_loss_vectorized loss for large scores", loss, expected, atol=1e-8)
