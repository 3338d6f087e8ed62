"""Checks of cs231n/layers.py and cs231n/layer_utils.py, following FullyConnectedNets.ipynb."""

import numpy as np
from support import LAYERS, UTILS, both, rng_arrays

from grader.checks import (as_array, assert_close, assert_rel_error, assert_scalar_close, hidden,
                           plain, points)


def check_backward(student, reference, forward, backward, inputs, dout, names, module=LAYERS,
                   max_error=1e-8):
    """Run student and reference forward+backward on the same inputs; compare every gradient."""
    mine_out, mine_cache = getattr(student.module(module), forward)(*inputs)
    ref_out, ref_cache = getattr(reference.module(module), forward)(*inputs)
    assert_rel_error(f"{forward} output", mine_out, ref_out, max_error)
    mine = getattr(student.module(module), backward)(dout, mine_cache)
    ref = getattr(reference.module(module), backward)(dout, ref_cache)
    mine = mine if isinstance(mine, tuple) else (mine,)
    ref = ref if isinstance(ref, tuple) else (ref,)
    assert len(mine) == len(ref), f"{backward} returns {len(mine)} values; expected {len(ref)} ({', '.join(names)})"
    for name, got, want in zip(names, mine, ref):
        assert_rel_error(f"{backward}: {name}", got, want, max_error)


@points(1)
def test_affine_forward(student):
    """affine_forward matches the notebook's expected output."""
    x = np.linspace(-0.1, 0.5, num=240).reshape(2, 4, 5, 6)
    w = np.linspace(-0.2, 0.3, num=360).reshape(120, 3)
    b = np.linspace(-0.3, 0.1, num=3)
    out, _ = student.module(LAYERS).affine_forward(x, w, b)
    expected = [[1.49834967, 1.70660132, 1.91485297], [3.25553199, 3.5141327, 3.77273342]]
    assert_rel_error("affine_forward output", out, expected, 1e-8)


@points(2)
def test_affine_backward(student, reference):
    """affine_backward: dx, dw, db."""
    x, w, b, dout = rng_arrays(231, (10, 2, 3), (6, 5), (5,), (10, 5))
    check_backward(student, reference, "affine_forward", "affine_backward", (x, w, b), dout,
                   ("dx", "dw", "db"))


@points(1)
def test_relu_forward(student):
    """relu_forward matches the notebook's expected output."""
    x = np.linspace(-0.5, 0.5, num=12).reshape(3, 4)
    out, _ = student.module(LAYERS).relu_forward(x)
    assert_close("relu_forward output", out, np.maximum(0, x), atol=1e-12)


@points(1)
def test_relu_backward(student, reference):
    """relu_backward passes gradient only where the input was positive."""
    x, dout = rng_arrays(231, (10, 10), (10, 10))
    check_backward(student, reference, "relu_forward", "relu_backward", (x,), dout, ("dx",))


@points(1)
def test_affine_relu_sandwich(student, reference):
    """affine_relu_forward / affine_relu_backward."""
    x, w, b, dout = rng_arrays(231, (2, 3, 4), (12, 10), (10,), (2, 10))
    check_backward(student, reference, "affine_relu_forward", "affine_relu_backward", (x, w, b),
                   dout, ("dx", "dw", "db"), module=UTILS)


def check_loss(student, reference, function, seed=231, scale=0.001, n=50, c=10):
    rng = np.random.RandomState(seed)
    x, y = scale * rng.randn(n, c), rng.randint(c, size=n)
    (mine_loss, mine_dx), (ref_loss, ref_dx) = both(student, reference, LAYERS, function, x, y)
    assert_scalar_close(f"{function} loss", mine_loss, ref_loss, atol=1e-9 * max(1, abs(ref_loss)))
    assert_rel_error(f"{function} dx", mine_dx, ref_dx, 1e-7)


@points(1)
def test_svm_loss(student, reference):
    """svm_loss: loss near 9 and its gradient."""
    check_loss(student, reference, "svm_loss")


@points(1)
def test_softmax_loss(student, reference):
    """softmax_loss: loss near 2.3 and its gradient."""
    check_loss(student, reference, "softmax_loss")


def bn_inputs(seed, n=200, d=3):
    rng = np.random.RandomState(seed)
    w1, w2 = rng.randn(50, 60), rng.randn(60, d)
    return [np.maximum(0, rng.randn(n, 50).dot(w1)).dot(w2) for _ in range(5)]


@points(1)
def test_batchnorm_forward_train(student, reference):
    """batchnorm_forward in train mode normalizes with batch statistics and updates running averages."""
    batches = bn_inputs(231)
    gamma, beta = np.asarray([1.0, 2.0, 3.0]), np.asarray([11.0, 12.0, 13.0])
    mine_param, ref_param = student.hold({"mode": "train"}), {"mode": "train"}
    for a in batches:
        mine, _ = student.module(LAYERS).batchnorm_forward(a, gamma, beta, mine_param)
        ref, _ = reference.module(LAYERS).batchnorm_forward(a, gamma, beta, ref_param)
        assert_rel_error("batchnorm_forward output (train)", mine, ref, 1e-7)
    stored = plain(mine_param)
    for key in ("running_mean", "running_var"):
        assert key in stored, f"bn_param['{key}'] was not updated in train mode"
        assert_rel_error(f"bn_param['{key}'] after 5 batches", stored[key], ref_param[key], 1e-7)


@points(1)
def test_batchnorm_forward_test(student, reference):
    """batchnorm_forward in test mode uses the running averages, not the batch statistics."""
    batches = bn_inputs(232)
    gamma, beta = np.ones(3), np.zeros(3)
    running = {"mode": "train"}
    for a in batches:
        reference.module(LAYERS).batchnorm_forward(a, gamma, beta, running)
    test_param = dict(running, mode="test")
    mine, _ = student.module(LAYERS).batchnorm_forward(batches[0] * 2 + 1, gamma, beta, dict(test_param))
    ref, _ = reference.module(LAYERS).batchnorm_forward(batches[0] * 2 + 1, gamma, beta, dict(test_param))
    assert_rel_error("batchnorm_forward output (test mode)", mine, ref, 1e-7)


@points(2)
def test_batchnorm_backward(student, reference):
    """batchnorm_backward: dx, dgamma, dbeta."""
    x, gamma, beta, dout = rng_arrays(231, (4, 5), (5,), (5,), (4, 5))
    x = 5 * x + 12
    check_backward(student, reference, "batchnorm_forward", "batchnorm_backward",
                   (x, gamma, beta, {"mode": "train"}), dout, ("dx", "dgamma", "dbeta"), max_error=1e-7)


@points(1)
def test_batchnorm_backward_alt(student, reference):
    """batchnorm_backward_alt (the simplified form) gives the same gradients."""
    x, gamma, beta, dout = rng_arrays(231, (40, 50), (50,), (50,), (40, 50))
    check_backward(student, reference, "batchnorm_forward", "batchnorm_backward_alt",
                   (x, gamma, beta, {"mode": "train"}), dout, ("dx", "dgamma", "dbeta"), max_error=1e-7)


@points(1)
def test_layernorm_forward(student, reference):
    """layernorm_forward normalizes each example over its features."""
    a = bn_inputs(233, n=4)[0]
    gamma, beta = np.asarray([3.0, 3.0, 3.0]), np.asarray([5.0, 5.0, 5.0])
    (mine, _), (ref, _) = both(student, reference, LAYERS, "layernorm_forward", a, gamma, beta, {})
    assert_rel_error("layernorm_forward output", mine, ref, 1e-7)


@points(2)
def test_layernorm_backward(student, reference):
    """layernorm_backward: dx, dgamma, dbeta."""
    x, gamma, beta, dout = rng_arrays(231, (4, 5), (5,), (5,), (4, 5))
    x = 5 * x + 12
    check_backward(student, reference, "layernorm_forward", "layernorm_backward",
                   (x, gamma, beta, {}), dout, ("dx", "dgamma", "dbeta"), max_error=1e-7)


@points(1)
def test_dropout_forward(student):
    """Inverted dropout: p is the keep probability; train mode rescales by 1/p; test mode is identity."""
    x = rng_arrays(231, (500, 500), shift=10.0)[0]
    for p in (0.25, 0.4, 0.7):
        out, _ = student.module(LAYERS).dropout_forward(x, {"mode": "train", "p": p, "seed": 123})
        out = as_array(f"dropout_forward(p={p}) output", out, x.shape)
        zeros = float(np.mean(out == 0))
        assert abs(zeros - (1 - p)) < 0.02, (
            f"with p={p} (keep probability) {zeros:.2%} of outputs are zero; expected about {1 - p:.0%}")
        assert abs(out.mean() - x.mean()) < 0.05 * x.mean(), (
            f"with p={p} the mean output is {out.mean():.3f}, input mean {x.mean():.3f}: "
            "inverted dropout divides the kept units by p at train time")
        test_out, _ = student.module(LAYERS).dropout_forward(x, {"mode": "test", "p": p, "seed": 123})
        assert_close(f"dropout_forward(p={p}) in test mode", test_out, x, atol=0)


@points(1)
def test_dropout_backward(student):
    """dropout_backward applies the same mask as the forward pass."""
    x, dout = rng_arrays(231, (10, 10), (10, 10))
    x += 10
    param = {"mode": "train", "p": 0.2, "seed": 123}
    out, cache = student.module(LAYERS).dropout_forward(x, param)
    dx = student.module(LAYERS).dropout_backward(dout, cache)
    out = np.asarray(out, dtype=float)
    assert_close("dropout_backward dx", dx, dout * out / x, atol=1e-10)
